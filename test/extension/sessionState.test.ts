import { describe, expect, it } from 'vitest';
import { applyAdapterMessage, initialSnapshot } from '../../src/extension/session/sessionState';

const ev = (event: string, body: Record<string, unknown> = {}) => ({ type: 'event', event, body });

describe('a session’s run state, from what its adapter sends', () => {
  it('starting → stopped → running → stopped → ended, counting stops', () => {
    const s = initialSnapshot();
    expect(s.state).toBe('starting');
    expect(applyAdapterMessage(s, ev('stopped', { reason: 'entry', threadId: 1 }))).toEqual({ kind: 'state' });
    expect(s).toMatchObject({ state: 'stopped', stopCount: 1, stoppedVcpu: 0, stopReason: 'entry' });
    applyAdapterMessage(s, ev('continued', { threadId: 2, allThreadsContinued: true }));
    expect(s.state).toBe('running');
    applyAdapterMessage(s, ev('stopped', { reason: 'breakpoint', threadId: 2 }));
    expect(s).toMatchObject({ state: 'stopped', stopCount: 2, stoppedVcpu: 1, stopReason: 'breakpoint' });
    expect(applyAdapterMessage(s, ev('terminated'))).toEqual({ kind: 'state' });
    expect(s.state).toBe('ended');
    expect(applyAdapterMessage(s, ev('continued'))).toBeUndefined();
    expect(s.state).toBe('ended');
  });

  it('memory and invalidated events are passed on; responses and other events change nothing', () => {
    const s = initialSnapshot();
    expect(applyAdapterMessage(s, ev('memory', { memoryReference: 'p:0x1000', offset: 8, count: 2 }))).toEqual({ kind: 'memory', memoryReference: 'p:0x1000', offset: 8, count: 2 });
    expect(applyAdapterMessage(s, ev('invalidated', { areas: ['variables'] }))).toEqual({ kind: 'invalidated' });
    expect(applyAdapterMessage(s, { type: 'response', command: 'continue', success: true })).toBeUndefined();
    expect(applyAdapterMessage(s, ev('output', { output: 'x' }))).toBeUndefined();
    expect(s).toEqual(initialSnapshot());
  });
});
