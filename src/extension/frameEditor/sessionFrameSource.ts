import type { FrameSource, SourceRead } from '../../frames/frameSource';
import type { SessionTracker } from '../session/sessionTracker';

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/**
 * A live session's physical memory, through the adapter (`readMemory`/`writeMemory` on `p:`
 * references): the editor never sees the session. Writes are refused while the target runs, once
 * the session has ended, and for dumps.
 */
export class SessionFrameSource implements FrameSource {
  readonly start = 0n;
  /** Whether the session's target can be written at all (false for dumps), once known. */
  writable: boolean | undefined;

  constructor(
    private readonly tracker: SessionTracker,
    readonly sessionId: string,
    readonly name: string,
  ) {}

  private client() {
    const t = this.tracker.get(this.sessionId);
    if (!t) throw new Error(`the debug session '${this.name}' has ended: open the frame again from a live session`);
    return t.client;
  }

  async read(pa: bigint, length: number): Promise<SourceRead> {
    const r = await this.client().readMemory(`p:${hex(pa)}`, 0, length);
    return { data: r.data, unreadable: length - r.data.length };
  }

  async write(pa: bigint, data: Uint8Array): Promise<void> {
    const written = await this.client().writeMemory(`p:${hex(pa)}`, 0, data);
    if (written !== data.length) throw new Error(`only ${written} of ${data.length} bytes at ${hex(pa)} were written`);
  }

  readOnlyReason(): string | undefined {
    const t = this.tracker.get(this.sessionId);
    if (!t) return `the debug session '${this.name}' has ended`;
    if (this.writable === false) return `${this.name} is a dump: it cannot be written`;
    if (t.snapshot.state === 'running') return 'the target is running: pause it to edit';
    if (t.snapshot.state !== 'stopped') return 'the session is starting';
    return undefined;
  }
}
