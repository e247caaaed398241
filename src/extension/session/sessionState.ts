/**
 * What the views need to know of a debug session, folded from the messages its adapter sends:
 * whether the target is stopped (views may read it), running (they show that instead of stale
 * data) or gone. Pure: the tracker feeds it DAP messages; tests feed it the same.
 */
export type RunState = 'starting' | 'stopped' | 'running' | 'ended';

export interface SessionSnapshot {
  state: RunState;
  /** Counts stops: a view compares it to know whether what it read is still current. */
  stopCount: number;
  /** vCPU of the last stop (DAP thread id − 1). */
  stoppedVcpu?: number;
  /** Why the last stop happened (`breakpoint`, `pause`, `entry`, …). */
  stopReason?: string;
}

/** What a message changed, for the tracker to announce. */
export type Change = { kind: 'state' } | { kind: 'memory'; memoryReference: string; offset: number; count: number } | { kind: 'invalidated' } | undefined;

interface DapMessage {
  type?: string;
  event?: string;
  body?: Record<string, unknown>;
}

export function initialSnapshot(): SessionSnapshot {
  return { state: 'starting', stopCount: 0 };
}

/** Folds one message the adapter sent into the snapshot (in place) and says what changed. */
export function applyAdapterMessage(s: SessionSnapshot, message: unknown): Change {
  const m = message as DapMessage;
  if (m?.type !== 'event') return undefined;
  const body = m.body ?? {};
  switch (m.event) {
    case 'stopped': {
      s.state = 'stopped';
      s.stopCount++;
      s.stoppedVcpu = typeof body.threadId === 'number' ? body.threadId - 1 : s.stoppedVcpu;
      s.stopReason = typeof body.reason === 'string' ? body.reason : undefined;
      return { kind: 'state' };
    }
    case 'continued':
      if (s.state === 'ended') return undefined;
      s.state = 'running';
      return { kind: 'state' };
    case 'terminated':
    case 'exited':
      if (s.state === 'ended') return undefined;
      s.state = 'ended';
      return { kind: 'state' };
    case 'memory':
      return { kind: 'memory', memoryReference: String(body.memoryReference ?? ''), offset: Number(body.offset ?? 0), count: Number(body.count ?? 0) };
    case 'invalidated':
      return { kind: 'invalidated' };
    default:
      return undefined;
  }
}
