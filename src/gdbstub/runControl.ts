/**
 * Resuming and stopping. `vCont` when the stub offers it (asked once with `vCont?`), else the
 * classic `c`/`s` after `Hc`. A resume is answered by a stop reply whenever the target stops, so
 * the promise stays pending while it runs; `interrupt()` sends the 0x03 byte around the queue.
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

export class RunControl {
  private vContActions: Set<string> | undefined;
  /** The latest stop reply, from a resume, `?`, or one the stub sent unasked. */
  lastStop: StopReply | undefined;

  constructor(
    private readonly conn: GdbConnection,
    private readonly threads: Threads,
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

  async resume(options: ResumeOptions = {}): Promise<StopReply> {
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
