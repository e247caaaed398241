/**
 * Run control on the long4spin guest, whose two vCPUs run the same loop forever (a frame-pointer
 * function, a recursive one, a counter): pause and continue, one-instruction steps on one vCPU
 * while the other stays put, step over a call while the other vCPU runs through the same code,
 * step over a recursive call (the temporary breakpoint is hit deeper first), step out, the
 * frame-pointer call stack, and the step off a breakpoint before a continue. Addresses come from
 * the hand-written long4spin.expected.ts. The adapter talks to QEMU through a proxy that records
 * the packets it sends: QEMU's own D removes every breakpoint, so only the packets can show that
 * the adapter took its breakpoints out.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_IDS } from '../../src/shared/dapRequests';
import { bootGuest, parseInfoRegisters, type BootedGuest } from '../guests/harness';
import { SPIN, SPIN_STACK_TOP } from '../guests/long4spin.expected';
import { connectClient, ref } from './session.harness';
import { at, breakpointStateAtDetach, counter, expectStillSpinning, ProxiedSession } from './spin.helpers';

const CPU0_CR3 = '0x110000';

/** rsp of a vCPU, from QEMU's monitor (an independent view of the registers). */
async function rsp(g: BootedGuest, cpu: number): Promise<bigint> {
  await g.hmp(`cpu ${cpu}`);
  return parseInfoRegisters(await g.hmp('info registers')).get(0)?.get('rsp') ?? -1n;
}

const inSpinCode = (pc: bigint): boolean => pc >= SPIN.spin_main && pc < SPIN.spin_main + 0x100n;

describe('run control on long4spin (two vCPUs in the same loop)', () => {
  const s = new ProxiedSession('long4spin', { symbols: true, trace: true });
  beforeAll(async () => {
    const stop = await s.open();
    expect(stop?.body.reason).toBe('entry');
  });
  afterAll(() => s.close());

  /** Stops CPU 0 at `address` (an instruction breakpoint limited to CPU 0 by its CR3), then removes it. */
  async function stopCpu0At(address: bigint, extraCondition = ''): Promise<void> {
    const cond = `$cr3 == ${CPU0_CR3}${extraCondition ? ` && ${extraCondition}` : ''}`;
    const [bp] = await s.c.setInstructionBreakpoints([{ instructionReference: ref(address), condition: cond }]);
    expect(bp.verified).toBe(true);
    const stop = await s.c.runTo(() => s.c.dc.continueRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'breakpoint', threadId: 1, hitBreakpointIds: [bp.id] });
    expect(await s.c.pc(1)).toBe(address);
    await s.c.setInstructionBreakpoints([]);
  }

  it('lists two running vCPUs', async () => {
    expect((await s.c.threads()).map((t) => t.name)).toEqual(['CPU 0', 'CPU 1']);
  });

  it('continues, then pauses with a stop on a vCPU inside the loop', async () => {
    const before = await counter(s.guest);
    const continued = s.c.event<DebugProtocol.ContinuedEvent>('continued');
    await s.c.dc.continueRequest({ threadId: 1 });
    // Views learn that the target runs from the adapter, not only from their own requests.
    expect((await continued).body).toMatchObject({ allThreadsContinued: true });
    await s.c.noEvent('stopped', 300);
    const running = await s.c.rawResponse('hyperframe/roots', {});
    expect(running.success).toBe(false);
    expect((running as DebugProtocol.ErrorResponse).body.error?.id).toBe(ERROR_IDS.RUNNING);
    const stop = await s.c.runTo(() => s.c.dc.pauseRequest({ threadId: 1 }));
    expect(stop.body.reason).toBe('pause');
    expect([1, 2]).toContain(stop.body.threadId);
    expect(await counter(s.guest)).toBeGreaterThan(before + 1000n);
    expect(inSpinCode(await s.c.pc(1))).toBe(true);
    expect(inSpinCode(await s.c.pc(2))).toBe(true);
  });

  it('steps one instruction on one vCPU: rip advances by its length, the other vCPU stays', async () => {
    await stopCpu0At(SPIN.spin_func);
    const other = await s.c.pc(2);
    let stop = await s.c.runTo(() => s.c.dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await s.c.pc(1)).toBe(SPIN.spin_func + 1n); // push %rbp: 1 byte
    stop = await s.c.runTo(() => s.c.dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await s.c.pc(1)).toBe(SPIN.spin_func_body); // mov %rsp,%rbp: 3 bytes
    expect(await s.c.pc(2)).toBe(other);
  });

  it('shows the frame-pointer chain, and no invented frame past code without one', async () => {
    const frames = await s.c.frames(1);
    expect(frames.map((f) => f.name)).toEqual(['spin_func+0x4', 'spin_main+0xa']);
    expect(frames.map((f) => f.instructionPointerReference)).toEqual([`v0:${ref(SPIN.spin_func_body)}`, `v0:${ref(SPIN.spin_after_func)}`]);
    expect(new Set(frames.map((f) => f.id)).size).toBe(2);
  });

  it('steps out of the function to the instruction after its call, on the same vCPU', async () => {
    const stop = await s.c.runTo(() => s.c.dc.stepOutRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await s.c.pc(1)).toBe(SPIN.spin_after_func);
    expect(await rsp(s.guest, 0)).toBe(SPIN_STACK_TOP[0]);
    expect(s.c.consoleText()).not.toMatch(/no frame pointer/);
  });

  it('steps over the call on CPU 0 while CPU 1 runs the same code: stops after the call on CPU 0', async () => {
    for (let round = 0; round < 4; round++) {
      await stopCpu0At(SPIN.spin_call_func);
      const before = await counter(s.guest);
      const stop = await s.c.runTo(() => s.c.dc.nextRequest({ threadId: 1 }));
      expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
      expect(await s.c.pc(1)).toBe(SPIN.spin_after_func);
      expect(await rsp(s.guest, 0)).toBe(SPIN_STACK_TOP[0]);
      expect(await counter(s.guest)).toBeGreaterThan(before); // the call ran
    }
  });

  it('resumes silently when the other vCPU hits the step-over breakpoint first', async () => {
    // CPU 1 parked on the instruction after the call (not yet executed), CPU 0 stepped alone to
    // the call. CPU 1 reports the temporary breakpoint as soon as its thread runs, CPU 0 only after
    // the call: CPU 1 is usually first, but the host schedules the two vCPU threads, so a round in
    // which CPU 0 wins (a plain step over) is run again.
    let seen = false;
    for (let round = 0; round < 10 && !seen; round++) {
      const [bp] = await s.c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_after_func), condition: '$cr3 == 0x11d000' }]);
      const hit = await s.c.runTo(() => s.c.dc.continueRequest({ threadId: 1 }));
      expect(hit.body).toMatchObject({ reason: 'breakpoint', threadId: 2, hitBreakpointIds: [bp.id] });
      await s.c.setInstructionBreakpoints([]);
      for (let i = 0; i < 100 && (await s.c.pc(1)) !== SPIN.spin_call_func; i++) {
        await s.c.runTo(() => s.c.dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
      }
      expect(await s.c.pc(1)).toBe(SPIN.spin_call_func);
      expect(await s.c.pc(2)).toBe(SPIN.spin_after_func);
      const traced = s.c.consoleText().length;
      const stop = await s.c.runTo(() => s.c.dc.nextRequest({ threadId: 1 }));
      expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
      expect(await s.c.pc(1)).toBe(SPIN.spin_after_func);
      seen = /step over: CPU 1 reached 0x100c0a with sp 0x10f800 \(another vCPU\); resumed/.test(s.c.consoleText().slice(traced));
    }
    expect(seen).toBe(true);
  });

  it('steps over a recursive call: hits of the temporary breakpoint in deeper frames are resumed silently', async () => {
    // Level 1 of the recursion (called from spin_main with %edi = 2) is at its call with %edi = 1.
    await stopCpu0At(SPIN.spin_recurse_call, '$rdi == 1');
    expect((await s.c.frames(1)).map((f) => f.name)).toEqual(['spin_recurse+0xa', 'spin_main+0x14']);
    const sp = await rsp(s.guest, 0);
    const traced = s.c.consoleText().length;
    const stop = await s.c.runTo(() => s.c.dc.nextRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await s.c.pc(1)).toBe(SPIN.spin_recurse_ret);
    expect(await rsp(s.guest, 0)).toBe(sp);
    expect((await s.c.frames(1)).map((f) => f.name)).toEqual(['spin_recurse+0xf', 'spin_main+0x14']);
    // Level 3 reaches spin_recurse_ret by its jz, then returns into level 2 there: both deeper.
    expect(s.c.consoleText().slice(traced)).toMatch(/step over: CPU 0 reached 0x100c8f with sp 0x[0-9a-f]+ \(a deeper call\); resumed/);
  });

  it('walks the chain through every level of the recursion, and steps out one level at a time', async () => {
    // The innermost level (%edi = 0) arrives at spin_recurse_ret through its jz.
    await stopCpu0At(SPIN.spin_recurse_ret, '$rdi == 0');
    const depth = Number((SPIN_STACK_TOP[0] - (await rsp(s.guest, 0))) / 16n);
    expect(depth).toBe(3);
    const names = (await s.c.frames(1)).map((f) => f.name);
    expect(names).toEqual(['spin_recurse+0xf', 'spin_recurse+0xf', 'spin_recurse+0xf', 'spin_main+0x14']);
    for (const expectedFrames of [3, 2]) {
      const stop = await s.c.runTo(() => s.c.dc.stepOutRequest({ threadId: 1 }));
      expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
      expect(await s.c.pc(1)).toBe(SPIN.spin_recurse_ret);
      expect(await s.c.frames(1)).toHaveLength(expectedFrames);
    }
    const stop = await s.c.runTo(() => s.c.dc.stepOutRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await s.c.pc(1)).toBe(SPIN.spin_after_recurse);
  });

  it('continues from a breakpoint by taking it out for one step, as gdb does (z0, s, Z0, then c)', async () => {
    const [bp] = await s.c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_func_body) }]);
    let stop = await s.c.runTo(() => s.c.dc.continueRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
    for (let i = 0; i < 3; i++) {
      const from = s.proxy.sent.length;
      const thread = stop.body.threadId ?? 0;
      stop = await s.c.runTo(() => s.c.dc.continueRequest({ threadId: 1 }));
      expect(stop.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
      // Under KVM the int3 stays in memory: a step from it with it inserted would trap on it again.
      const body = at(SPIN.spin_func_body);
      expect(s.proxy.packets(/^([zZ]\d|vCont;[cs])/, from)).toEqual([`z0,${body},1`, `vCont;s:p1.${thread.toString(16)}`, `Z0,${body},1`, 'vCont;c']);
    }
    await s.c.setInstructionBreakpoints([]);
  });

  it('judges the step off a breakpoint like any stop: a watchpoint its instruction hits is reported', async () => {
    // CPU 0 at the `lock incq`, a breakpoint there again; only CPU 0's hits count.
    await stopCpu0At(SPIN.spin_func_body);
    const cond = `$cr3 == ${CPU0_CR3}`;
    await s.c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_func_body), condition: cond }]);
    const [watch] = (await s.c.dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: '0x100f08/8', accessType: 'write', condition: cond }] })).body.breakpoints;
    expect(watch.verified).toBe(true);
    const before = await counter(s.guest);
    const stop = await s.c.runTo(() => s.c.dc.continueRequest({ threadId: 1 }));
    // The step's own stop: CPU 1 never ran, and CPU 0 did not go round to its breakpoint again.
    expect(stop.body).toMatchObject({ reason: 'data breakpoint', threadId: 1, hitBreakpointIds: [watch.id] });
    expect(await s.c.pc(1)).toBe(SPIN.spin_func_after_inc);
    expect(await counter(s.guest)).toBe(before + 1n);
    await s.c.dc.setDataBreakpointsRequest({ breakpoints: [] });
    await s.c.setInstructionBreakpoints([]);
    // QEMU keeps a second debug stop pending after a watchpoint hit inside a step: the next step
    // would stop at once, executing nothing. The adapter takes it and steps on.
    const stepped = await s.c.runTo(() => s.c.dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    expect(stepped.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await s.c.pc(1)).toBe(SPIN.spin_func_after_inc + 1n); // past the 1-byte pop %rbp
    expect(s.c.consoleText()).toMatch(/CPU 0 stopped again at 0x100c4d without running \(QEMU's second stop for a watchpoint hit in a step\); ignored/);
  });

  it('detaches leaving both vCPUs running, without our breakpoints', async () => {
    // Left with QEMU's pending second stop from a watchpoint hit in a step (see above): a detach
    // that does not take it first leaves the VM "paused (debug)" with no debugger.
    await stopCpu0At(SPIN.spin_func_body);
    await s.c.dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: '0x100f08/8', accessType: 'write' }] });
    const stepped = await s.c.runTo(() => s.c.dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    expect(stepped.body).toMatchObject({ reason: 'step', threadId: 1 });
    await s.c.dc.setDataBreakpointsRequest({ breakpoints: [] });
    await s.c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_func) }]);
    await s.c.disconnect();
    expect(breakpointStateAtDetach(s.proxy, SPIN.spin_func)).toEqual([`z0,${at(SPIN.spin_func)},1`, 'D;1']);
    await expectStillSpinning(s.guest);
  });
});

describe('step out without symbols', () => {
  const s = new ProxiedSession('long4spin');
  beforeAll(() => s.open());
  afterAll(() => s.close());

  it('says it uses [sp] and, at a function entry, still lands after the call', async () => {
    const [bp] = await s.c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_func) }]);
    const hit = await s.c.runTo(() => s.c.dc.continueRequest({ threadId: 1 }));
    expect(hit.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
    const thread = hit.body.threadId ?? 0;
    expect((await s.c.frames(thread)).map((f) => f.name)).toEqual(['0x100c40']);
    await s.c.setInstructionBreakpoints([]);
    const stop = await s.c.runTo(() => s.c.dc.stepOutRequest({ threadId: thread }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: thread });
    expect(await s.c.pc(thread)).toBe(SPIN.spin_after_func);
    expect(s.c.consoleText()).toMatch(/step out: no frame pointer found at 0x100c40; returning to the address at \[sp\] \(0x100c0a\)/);
  });

  it('disconnects while running: interrupts, takes its breakpoints out, detaches, and the loop goes on', async () => {
    await s.c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_main), condition: '$cr3 == 0x12345000' }]);
    await s.c.dc.continueRequest({ threadId: 1 });
    await s.c.noEvent('stopped', 200);
    expect((await s.c.threads()).map((t) => t.name)).toEqual(['CPU 0', 'CPU 1']);
    await s.c.disconnect();
    // Every hit is stepped off with the breakpoint taken out and put back: it must be out at the D.
    expect(breakpointStateAtDetach(s.proxy, SPIN.spin_main)).toEqual([`z0,${at(SPIN.spin_main)},1`, 'D;1']);
    await expectStillSpinning(s.guest);
  });

  it('times out a step on a vCPU that cannot execute and says why', async () => {
    // Not this guest: its vCPUs always run. The halted long4 guest's CPU never finishes a step.
    const halted = await bootGuest('long4');
    const h = await connectClient();
    try {
      await h.start('attach', { port: halted.gdbPort, timeout: 3000 });
      const stop = await h.runTo(() => h.dc.stepInRequest({ threadId: 1 }), 10_000);
      expect(stop.body).toMatchObject({ reason: 'pause', threadId: 1, description: 'instruction not executed' });
      expect(h.consoleText()).toMatch(/CPU 0 executed no instruction within 2000 ms: it is halted/);
      expect(await h.pc(1)).toBe(0xffff_ffff_8000_0012n);
    } finally {
      await h.close();
      await halted.stop();
    }
  });
});

describe('a pause while a halted vCPU steps off a breakpoint', () => {
  const s = new ProxiedSession('long4'); // its vCPU never finishes a step: the step off lasts 2 s
  beforeAll(() => s.open());
  afterAll(() => s.close());

  it('stops there without resuming the other vCPUs first', async () => {
    const pc = 0xffff_ffff_8000_0012n;
    await s.c.setInstructionBreakpoints([{ instructionReference: ref(pc) }]);
    const from = s.proxy.sent.length;
    await s.c.dc.continueRequest({ threadId: 1 });
    await s.proxy.until(() => s.proxy.packets(/^vCont;s/, from).length > 0, 'the step off the breakpoint');
    const stop = await s.c.runTo(() => s.c.dc.pauseRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'pause', threadId: 1 });
    // The interrupt may go out more than once (it is repeated until the stop): one is enough here.
    const sent = s.proxy.sent.slice(from).filter((p, i, all) => (p === '\x03' ? all[i - 1] !== p : /^([zZ]\d|vCont;[cs])/.test(p)));
    expect(sent).toEqual([`z0,${at(pc)},1`, 'vCont;s:p1.1', '\x03', `Z0,${at(pc)},1`]);
    expect(await s.c.pc(1)).toBe(pc);
  });
});
