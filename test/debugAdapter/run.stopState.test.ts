/**
 * One stop, one read of a vCPU's registers: after a stop, what VS Code asks (threads, the call
 * stack, the scopes and the register values) and what run control needs (the pc of a breakpoint
 * hit) are answered from one state per debuggee. Counted on the packets the adapter sends to a
 * real QEMU (long4spin guest behind a recording proxy): one `g` per vCPU looked at, and one
 * `info registers` (qRcmd) for its segment state. (It was two `g` for a step shown, four for a
 * breakpoint hit: run control and the views each kept their own state, and the report of a stop
 * threw away what judging it had read.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPIN } from '../guests/long4spin.expected';
import { ref } from './session.harness';
import { ProxiedSession } from './spin.helpers';

const INFO_REGISTERS = `qRcmd,${Buffer.from('info registers').toString('hex')}`;

describe('registers read once per stop', () => {
  const s = new ProxiedSession('long4spin', { symbols: true });
  beforeAll(async () => {
    expect((await s.open())?.body.reason).toBe('entry');
  });
  afterAll(() => s.close());

  /** What VS Code asks after a stop on thread 1: threads, its stack, its scopes, every register. */
  async function showStop(): Promise<void> {
    await s.c.threads();
    const [frame] = (await s.c.dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    const scopes = (await s.c.dc.scopesRequest({ frameId: frame.id })).body.scopes;
    const names = new Set<string>();
    for (const scope of scopes) {
      for (const v of (await s.c.dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables) names.add(v.name);
    }
    expect([...names]).toEqual(expect.arrayContaining(['rip', 'cs', 'cr3']));
  }

  it('a step of CPU 0, shown: one g, one info registers', async () => {
    const from = s.proxy.sent.length;
    const stop = await s.c.runTo(() => s.c.dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    expect(stop.body).toMatchObject({ reason: 'step', threadId: 1 });
    await showStop();
    expect(s.proxy.packets(/^g$/, from)).toHaveLength(1);
    expect(s.proxy.packets(new RegExp(`^${INFO_REGISTERS}$`), from)).toHaveLength(1);
  });

  it('a breakpoint hit on CPU 0 (run control reads its pc, the condition its cr3), shown: one g', async () => {
    const [bp] = await s.c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_func), condition: '$cr3 == 0x110000' }]);
    expect(bp.verified).toBe(true);
    // The condition is judged on each vCPU that hits: count from the stop that is reported.
    const stop = await s.c.runTo(() => s.c.dc.continueRequest({ threadId: 1 }));
    expect(stop.body).toMatchObject({ reason: 'breakpoint', threadId: 1 });
    await s.c.setInstructionBreakpoints([]);
    await showStop();
    // The reported stop is the one after the last resume (other hits were judged and resumed).
    const from = s.proxy.sent.map((p) => /^vCont;c/.test(p)).lastIndexOf(true);
    expect(from).toBeGreaterThan(0);
    expect(s.proxy.packets(/^g$/, from)).toHaveLength(1);
    expect(s.proxy.packets(new RegExp(`^${INFO_REGISTERS}$`), from)).toHaveLength(1);
  });
});
