/**
 * Threads, which for QEMU and gdbsx are vCPUs: listing (`qfThreadInfo`/`qsThreadInfo`), a
 * description (`qThreadExtraInfo`, "CPU#1 [halted ]"), and selection for register access (`Hg`)
 * and for resuming (`Hc`). Selections are remembered until the target runs again, because a stop
 * resets them on the stub's side (QEMU points both at the vCPU that stopped).
 */
import { hexToText } from './codec';
import { GdbConnection } from './connection';
import { ThreadId, classifyReply, expectOk, formatThreadId, parseThreadId, replyError, sameThread } from './replies';

export interface ThreadInfo {
  id: ThreadId;
  /** The id as the stub writes it ("p1.2"). */
  text: string;
  /** From qThreadExtraInfo, when the stub has it. */
  extraInfo?: string;
}

export class Threads {
  private selected: { g?: ThreadId; c?: ThreadId } = {};
  private extraInfoSupported = true;

  constructor(
    private readonly conn: GdbConnection,
    private readonly multiprocess: boolean,
  ) {}

  format(id: ThreadId): string {
    return formatThreadId(id, this.multiprocess);
  }

  /** All threads, with their extra info; an empty list if the stub cannot list threads. */
  async list(withExtraInfo = true): Promise<ThreadInfo[]> {
    const ids: ThreadId[] = [];
    for (let packet = 'qfThreadInfo'; ; packet = 'qsThreadInfo') {
      const reply = await this.conn.request(packet);
      const c = classifyReply(reply);
      if (c.kind === 'empty' && packet === 'qfThreadInfo') return [];
      if (c.kind !== 'data' || (reply[0] !== 'm' && reply[0] !== 'l')) throw replyError(packet, c, `listing threads (${packet})`);
      if (reply[0] === 'l') break;
      // gdbsx ends its one list with the 'l' in the same packet ("m0,1l") and knows no qsThreadInfo.
      const last = reply.endsWith('l');
      for (const part of reply.slice(1, last ? -1 : undefined).split(',')) if (part) ids.push(parseThreadId(part));
      if (last || ids.length > 100_000) break; // 100,000: a stub that never says 'l'
    }
    const out: ThreadInfo[] = [];
    for (const id of ids) {
      out.push({ id, text: this.format(id), extraInfo: withExtraInfo ? await this.extraInfo(id) : undefined });
    }
    return out;
  }

  async extraInfo(id: ThreadId): Promise<string | undefined> {
    if (!this.extraInfoSupported) return undefined;
    const packet = `qThreadExtraInfo,${this.format(id)}`;
    const reply = await this.conn.request(packet);
    const c = classifyReply(reply);
    if (c.kind === 'empty') {
      this.extraInfoSupported = false;
      return undefined;
    }
    if (c.kind !== 'data') throw replyError(packet, c, `describing thread ${this.format(id)}`);
    return hexToText(reply).trim();
  }

  /** `H<op><id>` unless that thread is already selected; undefined leaves the selection alone. */
  async select(op: 'g' | 'c', id: ThreadId | undefined): Promise<void> {
    if (!id) return;
    const current = this.selected[op];
    if (current && sameThread(current, id)) return;
    const packet = `H${op}${this.format(id)}`;
    expectOk(packet, await this.conn.request(packet), `selecting thread ${this.format(id)} (${packet})`);
    this.selected[op] = id;
  }

  /** The stub resets its selections when the target stops. */
  forgetSelection(): void {
    this.selected = {};
  }
}
