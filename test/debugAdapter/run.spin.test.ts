/**
 * Run control on the long4spin guest, whose two vCPUs run the same loop forever (a frame-pointer
 * function, a recursive one, a counter): pause and continue, one-instruction steps on one vCPU
 * while the other stays put, step over a call while the other vCPU runs through the same code,
 * step over a recursive call (the temporary breakpoint is hit deeper first), step out, and the
 * frame-pointer call stack. Addresses come from the hand-written long4spin.expected.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, parseInfoRegisters, parseXp, type BootedGuest } from '../guests/harness';
import { SPIN, SPIN_STACK_TOP } from '../guests/long4spin.expected';
import { connectClient, ref, type Client } from './session.harness';

const CPU0_CR3 = '0x110000';

async function counter(g: BootedGuest): Promise<bigint> {
  return parseXp(await g.hmp(`xp /1gx ${ref(SPIN.spin_counter)}`))[0] ?? -1n;
}

/** rsp of a vCPU, from QEMU's monitor (an independent view of the registers). */
async function rsp(g: BootedGuest, cpu: number): Promise<bigint> {
  await g.hmp(`cpu ${cpu}`);
  return parseInfoRegisters(await g.hmp('info registers')).get(0)?.get('rsp') ?? -1n;
}

const inSpinCode = (pc: bigint): boolean => pc >= SPIN.spin_main && pc < SPIN.spin_main + 0x100n;

describe('run control on long4spin (two vCPUs in the same loop)', () => {
  let guest: BootedGuest;
  let c: Client;

  beforeAll(async () => {
    guest = await bootGuest('long4spin');
    c = await connectClient();
    const stop = await c.start('attach', { port: guest.gdbPort, symbols: [guest.elfPath], trace: true, timeout: 3000 });
    expect(stop?.body.reason).toBe('entry');
  });
  afterAll(async () => {
    await c?.close();
    await guest?.stop();
  });

  /** Stops CPU 0 at `address` (an instruction breakpoint limited to CPU 0 by its CR3), then removes it. */
  async function stopCpu0At(address: bigint, extraCondition = ''): Promise<void> {
    const cond = `$cr3 == ${CPU0_CR3}${extraCondition ? ` && ${extraCondition}` : ''}`;
    const [bp] = await c.setInstructionBreakpoints([{ instructionReference: ref(address), condition: cond }]);
    expect(bp.verified).toBe(true);
    const stop = await c.runTo(() => c.dc.continueRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'breakpoint', threadId: 1, hitBreakpointIds: [bp.id] });
    expect(await c.pc(1)).toBe(address);
    await c.setInstructionBreakpoints([]);
  }

  it('lists two running vCPUs', async () => {
    expect((await c.threads()).map((t) => t.name)).toEqual(['CPU 0', 'CPU 1']);
  });

  it('continues, then pauses with a stop on a vCPU inside the loop', async () => {
    const before = await counter(guest);
    await c.dc.continueRequest({ threadId: 1 });
    await c.noEvent('stopped', 300);
    const stop = await c.runTo(() => c.dc.pauseRequest({ threadId: 1 }));
    expect(stop.body.reason).toBe('pause');
    expect([1, 2]).toContain(stop.body.threadId);
    expect(await counter(guest)).toBeGreaterThan(before + 1000n);
    expect(inSpinCode(await c.pc(1))).toBe(true);
    expect(inSpinCode(await c.pc(2))).toBe(true);
  });

  it('steps one instruction on one vCPU: rip advances by its length, the other vCPU stays', async () => {
    await stopCpu0At(SPIN.spin_func);
    const other = await c.pc(2);
    let stop = await c.runTo(() => c.dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await c.pc(1)).toBe(SPIN.spin_func + 1n); // push %rbp: 1 byte
    stop = await c.runTo(() => c.dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await c.pc(1)).toBe(SPIN.spin_func_body); // mov %rsp,%rbp: 3 bytes
    expect(await c.pc(2)).toBe(other);
  });

  it('shows the frame-pointer chain, and no invented frame past code without one', async () => {
    const frames = await c.frames(1);
    expect(frames.map((f) => f.name)).toEqual(['spin_func+0x4', 'spin_main+0xa']);
    expect(frames.map((f) => BigInt(f.instructionPointerReference ?? ''))).toEqual([SPIN.spin_func_body, SPIN.spin_after_func]);
    expect(new Set(frames.map((f) => f.id)).size).toBe(2);
  });

  it('steps out of the function to the instruction after its call, on the same vCPU', async () => {
    const stop = await c.runTo(() => c.dc.stepOutRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await c.pc(1)).toBe(SPIN.spin_after_func);
    expect(await rsp(guest, 0)).toBe(SPIN_STACK_TOP[0]);
    expect(c.consoleText()).not.toMatch(/no frame pointer/);
  });

  it('steps over the call on CPU 0 while CPU 1 runs the same code: stops after the call on CPU 0', async () => {
    for (let round = 0; round < 4; round++) {
      await stopCpu0At(SPIN.spin_call_func);
      const before = await counter(guest);
      const stop = await c.runTo(() => c.dc.nextRequest({ threadId: 1 }));
      expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
      expect(await c.pc(1)).toBe(SPIN.spin_after_func);
      expect(await rsp(guest, 0)).toBe(SPIN_STACK_TOP[0]);
      expect(await counter(guest)).toBeGreaterThan(before); // the call ran
    }
  });

  it('resumes silently when the other vCPU hits the step-over breakpoint first', async () => {
    // CPU 1 parked on the instruction after the call (not yet executed), CPU 0 stepped alone to the call.
    const [bp] = await c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_after_func), condition: '$cr3 == 0x11d000' }]);
    const hit = await c.runTo(() => c.dc.continueRequest({ threadId: 1 }));
    expect(hit.body).toMatchObject({ reason: 'breakpoint', threadId: 2, hitBreakpointIds: [bp.id] });
    await c.setInstructionBreakpoints([]);
    for (let i = 0; i < 100 && (await c.pc(1)) !== SPIN.spin_call_func; i++) {
      await c.runTo(() => c.dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    }
    expect(await c.pc(1)).toBe(SPIN.spin_call_func);
    expect(await c.pc(2)).toBe(SPIN.spin_after_func);
    const traced = c.consoleText().length;
    const stop = await c.runTo(() => c.dc.nextRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await c.pc(1)).toBe(SPIN.spin_after_func);
    expect(c.consoleText().slice(traced)).toMatch(/step over: CPU 1 reached 0x100c0a with sp 0x10f800 \(another vCPU\); resumed/);
  });

  it('steps over a recursive call: hits of the temporary breakpoint in deeper frames are resumed silently', async () => {
    // Level 1 of the recursion (called from spin_main with %edi = 2) is at its call with %edi = 1.
    await stopCpu0At(SPIN.spin_recurse_call, '$rdi == 1');
    expect((await c.frames(1)).map((f) => f.name)).toEqual(['spin_recurse+0xa', 'spin_main+0x14']);
    const sp = await rsp(guest, 0);
    const traced = c.consoleText().length;
    const stop = await c.runTo(() => c.dc.nextRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await c.pc(1)).toBe(SPIN.spin_recurse_ret);
    expect(await rsp(guest, 0)).toBe(sp);
    expect((await c.frames(1)).map((f) => f.name)).toEqual(['spin_recurse+0xf', 'spin_main+0x14']);
    // Level 3 reaches spin_recurse_ret by its jz, then returns into level 2 there: both deeper.
    expect(c.consoleText().slice(traced)).toMatch(/step over: CPU 0 reached 0x100c8f with sp 0x[0-9a-f]+ \(a deeper call\); resumed/);
  });

  it('walks the chain through every level of the recursion, and steps out one level at a time', async () => {
    // The innermost level (%edi = 0) arrives at spin_recurse_ret through its jz.
    await stopCpu0At(SPIN.spin_recurse_ret, '$rdi == 0');
    const depth = Number((SPIN_STACK_TOP[0] - (await rsp(guest, 0))) / 16n);
    expect(depth).toBe(3);
    const names = (await c.frames(1)).map((f) => f.name);
    expect(names).toEqual(['spin_recurse+0xf', 'spin_recurse+0xf', 'spin_recurse+0xf', 'spin_main+0x14']);
    for (const expectedFrames of [3, 2]) {
      const stop = await c.runTo(() => c.dc.stepOutRequest({ threadId: 1 }));
      expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
      expect(await c.pc(1)).toBe(SPIN.spin_recurse_ret);
      expect(await c.frames(1)).toHaveLength(expectedFrames);
    }
    const stop = await c.runTo(() => c.dc.stepOutRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    expect(await c.pc(1)).toBe(SPIN.spin_after_recurse);
  });

  it('detaches leaving both vCPUs running, without our breakpoints', async () => {
    await c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_func) }]);
    await c.disconnect();
    const a = await counter(guest);
    await new Promise((r) => setTimeout(r, 100));
    expect(await counter(guest)).toBeGreaterThan(a + 1000n);
    expect(await guest.hmp('info status')).toMatch(/running/);
  });
});

describe('step out without symbols', () => {
  let guest: BootedGuest;
  let c: Client;
  beforeAll(async () => {
    guest = await bootGuest('long4spin');
    c = await connectClient();
    await c.start('attach', { port: guest.gdbPort, timeout: 3000 });
  });
  afterAll(async () => {
    await c?.close();
    await guest?.stop();
  });

  it('says it uses [sp] and, at a function entry, still lands after the call', async () => {
    const [bp] = await c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_func) }]);
    const hit = await c.runTo(() => c.dc.continueRequest({ threadId: 1 }));
    expect(hit.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
    const thread = hit.body.threadId ?? 0;
    expect((await c.frames(thread)).map((f) => f.name)).toEqual(['0x100c40']);
    await c.setInstructionBreakpoints([]);
    const stop = await c.runTo(() => c.dc.stepOutRequest({ threadId: thread }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: thread });
    expect(await c.pc(thread)).toBe(SPIN.spin_after_func);
    expect(c.consoleText()).toMatch(/step out: no frame pointer found at 0x100c40; returning to the address at \[sp\] \(0x100c0a\)/);
  });

  it('disconnects while running: interrupts, takes its breakpoints out, detaches, and the loop goes on', async () => {
    await c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_main), condition: '$cr3 == 0x12345000' }]);
    await c.dc.continueRequest({ threadId: 1 });
    await c.noEvent('stopped', 200);
    expect((await c.threads()).map((t) => t.name)).toEqual(['CPU 0', 'CPU 1']);
    await c.disconnect();
    const a = await counter(guest);
    await new Promise((r) => setTimeout(r, 100));
    expect(await counter(guest)).toBeGreaterThan(a + 1000n);
    expect(await guest.hmp('info status')).toMatch(/running/);
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
