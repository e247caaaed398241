/**
 * Breakpoints through the real adapter on the long4spin guest (two vCPUs in one loop, symbols
 * from its own ELF): instruction and function breakpoints with the right thread, conditions on a
 * vCPU's CR3 (false: never stops; true: only that vCPU), hit counts, hardware mode, watchpoints on
 * the counter, breakpoints changed while running, and honest refusals. A proxy records the packets
 * the adapter sends (QEMU under TCG treats Z1 like Z0: only the packet shows the mode was used).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_LINE_INFO } from '../../src/debugAdapter/breakpointTable';
import { SPIN } from '../guests/long4spin.expected';
import { ref } from './session.harness';
import { counter, ProxiedSession } from './spin.helpers';

describe('breakpoints on long4spin', () => {
  const s = new ProxiedSession('long4spin', { symbols: true });
  beforeAll(() => s.open());
  afterAll(() => s.close());

  const cont = () => s.c.runTo(() => s.c.dc.continueRequest({ threadId: 1 }));

  it('stops at an instruction breakpoint (reference + offset) on the vCPU that hit it', async () => {
    const [bp] = await s.c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_func), offset: 4 }]);
    expect(bp).toMatchObject({ verified: true, instructionReference: ref(SPIN.spin_func_body) });
    for (let i = 0; i < 4; i++) {
      const stop = await cont();
      expect(stop.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
      expect(await s.c.pc(stop.body.threadId ?? 0)).toBe(SPIN.spin_func_body);
    }
    await s.c.setInstructionBreakpoints([]);
  });

  it('stops at a function breakpoint by symbol, and refuses unknown names', async () => {
    const [bp, missing] = await s.c.setFunctionBreakpoints([{ name: 'spin_recurse' }, { name: 'no_such_function' }]);
    expect(bp).toMatchObject({ verified: true, instructionReference: ref(SPIN.spin_recurse) });
    expect(missing.verified).toBe(false);
    expect(missing.message).toMatch(/no symbol 'no_such_function' among the \d+ loaded/);
    const stop = await cont();
    expect(stop.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
    const frames = await s.c.frames(stop.body.threadId ?? 0);
    expect(frames[0]).toMatchObject({ name: 'spin_recurse', instructionPointerReference: `v${(stop.body.threadId ?? 1) - 1}:${ref(SPIN.spin_recurse)}` });
    await s.c.setFunctionBreakpoints([]);
  });

  it('never stops when the condition is false ($cr3 of no vCPU), and the guest keeps running', async () => {
    const [bp] = await s.c.setFunctionBreakpoints([{ name: 'spin_func', condition: '$cr3 == 0x12345000' }]);
    expect(bp.verified).toBe(true);
    const before = await counter(s.guest);
    await s.c.dc.continueRequest({ threadId: 1 });
    await s.c.noEvent('stopped', 1500);
    const stop = await s.c.runTo(() => s.c.dc.pauseRequest({ threadId: 1 }));
    expect(stop.body.reason).toBe('pause');
    // Every call stopped at the breakpoint and was resumed: slow, but going.
    expect(await counter(s.guest)).toBeGreaterThan(before + 10n);
  });

  it('with a true condition, stops only on the vCPU it names', async () => {
    const [bp] = await s.c.setFunctionBreakpoints([{ name: 'spin_func', condition: '$cr3 == 0x11d000' }]);
    for (let i = 0; i < 4; i++) {
      const stop = await cont();
      expect(stop.body).toMatchObject({ reason: 'breakpoint', threadId: 2, hitBreakpointIds: [bp.id] });
    }
    await s.c.setFunctionBreakpoints([]);
  });

  it('stops and says why when a condition cannot be evaluated', async () => {
    const [bp] = await s.c.setFunctionBreakpoints([{ name: 'spin_func', condition: '$nosuchreg == 1' }]);
    const stop = await cont();
    expect(stop.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
    expect(s.c.consoleText()).toMatch(/breakpoint spin_func: cannot evaluate condition '\$nosuchreg == 1': /);
    await s.c.setFunctionBreakpoints([]);
  });

  it('counts hits: "3" stops at the third hit and from then on', async () => {
    const [bp] = await s.c.setFunctionBreakpoints([{ name: 'spin_func', hitCondition: '3' }]);
    const c0 = await counter(s.guest);
    const stop = await cont();
    expect(stop.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
    // Hits 1 and 2 each ran the increment; each vCPU may add one more from a call it was already
    // in (or stepped off the entry of, as the last stop left it there) when the breakpoint came.
    const c1 = await counter(s.guest);
    expect(c1 - c0).toBeGreaterThanOrEqual(2n);
    expect(c1 - c0).toBeLessThanOrEqual(4n);
    // From the third hit on every hit stops: at most the two vCPUs' increments in between.
    await cont();
    expect((await counter(s.guest)) - c1).toBeLessThanOrEqual(2n);
    await s.c.setFunctionBreakpoints([]);
  });

  it('refuses a bad hit condition and a bad mode', async () => {
    const [badHit, badMode] = await s.c.setInstructionBreakpoints([
      { instructionReference: ref(SPIN.spin_func), hitCondition: 'often' },
      { instructionReference: ref(SPIN.spin_func), mode: 'magic' },
    ]);
    expect(badHit).toMatchObject({ verified: false, message: expect.stringMatching(/bad hit condition 'often'/) });
    expect(badMode).toMatchObject({ verified: false, message: expect.stringMatching(/unknown breakpoint mode 'magic'/) });
  });

  it('stops at a hardware breakpoint (mode "hardware", Z1)', async () => {
    const from = s.proxy.sent.length;
    const [bp] = await s.c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_after_recurse), mode: 'hardware' }]);
    expect(bp.verified).toBe(true);
    expect(s.proxy.packets(/^Z\d,/, from)).toEqual([`Z1,${SPIN.spin_after_recurse.toString(16)},1`]);
    const stop = await cont();
    expect(stop.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
    expect(await s.c.pc(stop.body.threadId ?? 0)).toBe(SPIN.spin_after_recurse);
    await s.c.setInstructionBreakpoints([]);
  });

  it('stops on a write to the counter with reason "data breakpoint"', async () => {
    const info = await s.c.dc.dataBreakpointInfoRequest({ name: 'spin_counter' });
    expect(info.body).toMatchObject({ dataId: '0x100f08/8', accessTypes: ['write', 'read', 'readWrite'] });
    const [bp] = (await s.c.dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId ?? '', accessType: 'write' }] })).body.breakpoints;
    expect(bp.verified).toBe(true);
    const before = await counter(s.guest);
    const stop = await cont();
    expect(stop.body).toMatchObject({ reason: 'data breakpoint', hitBreakpointIds: [bp.id] });
    // QEMU stops after the writing instruction.
    expect(await s.c.pc(stop.body.threadId ?? 0)).toBe(SPIN.spin_func_after_inc);
    // The other vCPU may have completed its own increment in the same instant.
    const after = await counter(s.guest);
    expect(after === before + 1n || after === before + 2n).toBe(true);
    await s.c.dc.setDataBreakpointsRequest({ breakpoints: [] });
  });

  it('watches what an expression points at (evaluated on the stopped vCPU)', async () => {
    const stop = s.c.stops[s.c.stops.length - 1];
    const thread = stop?.body.threadId ?? 1;
    const frameId = (await s.c.frames(thread))[0].id;
    const info = await s.c.dc.dataBreakpointInfoRequest({ name: '$rsp', frameId });
    expect(info.body.dataId).toMatch(/^0x10[0-9a-f]{4}\/8$/);
    const bySymbolPlus = await s.c.dc.dataBreakpointInfoRequest({ name: 'spin_counter+4' });
    expect(bySymbolPlus.body.dataId).toBe('0x100f0c/4');
  });

  it('answers dataBreakpointInfo for addresses and refuses what x86 cannot watch', async () => {
    const asAddress = await s.c.dc.dataBreakpointInfoRequest({ name: '0x100f08', asAddress: true, bytes: 4 });
    expect(asAddress.body.dataId).toBe('0x100f08/4');
    const misaligned = await s.c.dc.dataBreakpointInfoRequest({ name: '0x100f09', asAddress: true, bytes: 4 });
    expect(misaligned.body).toMatchObject({ dataId: null, description: 'cannot watch 4 bytes at 0x100f09: the address must be 4-byte aligned' });
    const tooBig = await s.c.dc.dataBreakpointInfoRequest({ name: '0x100f08', asAddress: true, bytes: 16 });
    expect(tooBig.body.dataId).toBeNull();
  });

  it('takes new breakpoints while the target runs', async () => {
    await s.c.dc.continueRequest({ threadId: 1 });
    await s.c.noEvent('stopped', 200);
    const stopped = s.c.event('stopped');
    const [bp] = await s.c.setFunctionBreakpoints([{ name: 'spin_func' }]);
    expect(bp.verified).toBe(true);
    const stop = await stopped;
    expect(stop.body).toMatchObject({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
    await s.c.setFunctionBreakpoints([]);
  });

  it('answers source breakpoints honestly', async () => {
    const r = await s.c.dc.setBreakpointsRequest({ source: { path: '/src/spin.s' }, breakpoints: [{ line: 10 }, { line: 20 }] });
    expect(r.body.breakpoints).toEqual([
      { verified: false, message: NO_LINE_INFO },
      { verified: false, message: NO_LINE_INFO },
    ]);
    expect(NO_LINE_INFO).toBe('no line information: use function or instruction breakpoints');
  });
});
