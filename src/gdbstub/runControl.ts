/**
 * Resuming and stopping. `vCont` when the stub offers it (asked once with `vCont?`), else the
 * classic `c`/`s` after `Hc`. A resume is answered by a stop reply whenever the target stops, so
 * the promise stays pending while it runs; `interrupt()` sends the 0x03 byte around the queue, and
 * `interruptAndWait()` is the one way to stop a running target and know that it stopped.
 */
import { HyperFrameError } from '../util/errors';
import { GdbConnection } from './connection';
import { StopReply, ThreadId, classifyReply, parseStopReply, replyError } from './replies';
import { Threads } from './threads';

export interface ResumeOptions {
  /** Single-step instead of continue. */
  step?: boolean;
  /** The thread (vCPU) to step or continue; others stay stopped when stepping. */
  thread?: ThreadId;
}

/** How often interruptAndWait sends 0x03 again while the target has not stopped. */
const INTERRUPT_RETRY_MS = 50;

/**
 * Why a stub that announced no features may not stop: Xen's own gdbstub reads the line only
 * inside its trap handler and gdbsx never reads 0x03, and both answer `qSupported` with empty.
 */
export const DEAF_STUB_HINT =
  "this stub announced no features (no qSupported), as Xen's own gdbstub and gdbsx do, and those do not hear interrupts: stop the target from its side (Xen's '%' debug key, `xl pause`)";

/** What a stub's `qSupported` answer says about interrupts: a hint for a timeout, or nothing. */
export function interruptHint(announcedFeatures: number): string | undefined {
  return announcedFeatures === 0 ? DEAF_STUB_HINT : undefined;
}

export class RunControl {
  private vContActions: Set<string> | undefined;
  /** The resume from its first packet (or the work before it) to its stop or failure. */
  private pending: Promise<StopReply> | undefined;
  /** The latest stop reply, from a resume, `?`, or one the stub sent unasked. */
  lastStop: StopReply | undefined;

  constructor(
    private readonly conn: GdbConnection,
    private readonly threads: Threads,
    /** Runs before any packet of a resume (the client restores virtual mode there). */
    private readonly beforeResume: () => Promise<void> = async () => undefined,
    /** Said after a TIMEOUT of interruptAndWait: why this stub may not have heard the 0x03. */
    private readonly deafHint?: string,
  ) {
    conn.on('stop', (stop) => {
      this.lastStop = stop;
      threads.forgetSelection();
    });
  }

  /** `?`: why the target is stopped now. */
  async haltReason(): Promise<StopReply> {
    const reply = await this.conn.request('?', { kind: 'stopQuery' });
    const stop = parseStopReply(reply);
    if (!stop) throw replyError('?', classifyReply(reply), 'asking why the target stopped (?)');
    this.lastStop = stop;
    return stop;
  }

  /** True from the call to resume() until its stop or failure, including the packets before it. */
  get resuming(): boolean {
    return this.pending !== undefined;
  }

  /** Resolves with the stop reply once the target stops again; rejects if the resume fails. */
  resume(options: ResumeOptions = {}): Promise<StopReply> {
    if (this.pending) return Promise.reject(new HyperFrameError('TARGET', 'the target is already running'));
    const p = this.runOnce(options);
    this.pending = p;
    const clear = (): void => {
      if (this.pending === p) this.pending = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private async runOnce(options: ResumeOptions): Promise<StopReply> {
    await this.beforeResume();
    const packet = await this.resumePacket(options);
    this.threads.forgetSelection();
    const reply = await this.conn.request(packet, { kind: 'resume' });
    const stop = parseStopReply(reply);
    if (!stop) throw replyError(packet, classifyReply(reply), `resuming (${packet})`);
    return stop;
  }

  interrupt(): boolean {
    return this.conn.interrupt();
  }

  /**
   * Stops a running target and resolves with its stop (at once with the last one when nothing
   * runs). The 0x03 goes out again every 50 ms: one sent while the resume's own packets (Hc,
   * vCont?) were still on their way is lost. Rejects with the resume's own error if it failed, and
   * with TIMEOUT when the target has not stopped after `ms`: the resume then stays pending.
   */
  async interruptAndWait(ms: number): Promise<StopReply | undefined> {
    const p = this.pending;
    if (!p) return this.lastStop;
    let retry: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<StopReply>((resolve, reject) => {
        p.then(resolve, reject);
        this.conn.interrupt();
        retry = setInterval(() => this.conn.interrupt(), INTERRUPT_RETRY_MS);
        const why = this.deafHint ? ` — ${this.deafHint}` : '';
        timer = setTimeout(() => reject(new HyperFrameError('TIMEOUT', `the target did not stop within ${ms} ms of an interrupt${why}`)), ms);
      });
    } finally {
      clearInterval(retry);
      clearTimeout(timer);
    }
  }

  private async resumePacket({ step, thread }: ResumeOptions): Promise<string> {
    const actions = await this.probeVCont();
    const action = step ? 's' : 'c';
    if (actions.has(action)) return thread ? `vCont;${action}:${this.threads.format(thread)}` : `vCont;${action}`;
    if (thread) await this.threads.select('c', thread);
    return action;
  }

  private async probeVCont(): Promise<Set<string>> {
    if (this.vContActions) return this.vContActions;
    // Asked even without vContSupported+ (that feature is about the client); gdbsx answers empty.
    const reply = await this.conn.request('vCont?');
    const actions = new Set<string>();
    if (reply.startsWith('vCont')) for (const a of reply.split(';').slice(1)) actions.add(a);
    else if (reply !== '') throw new HyperFrameError('PROTOCOL', `unexpected reply to 'vCont?': '${reply}'`);
    this.vContActions = actions;
    return actions;
  }
}
