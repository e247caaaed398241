/**
 * What a stub's answers mean: OK, `E NN`, empty (= "I don't know this packet"), console output,
 * stop replies, and thread ids in both the plain and the multiprocess (`p1.2`) form.
 */
import { HyperFrameError } from '../util/errors';
import { preview } from './codec';

export type Reply =
  | { kind: 'ok' }
  /** `errno` is the NN of `E NN`, read as hex as the protocol says (QEMU writes E22 for EINVAL). */
  | { kind: 'error'; errno: number | undefined; text: string }
  | { kind: 'empty' }
  | { kind: 'data'; payload: string };

export function classifyReply(payload: string): Reply {
  if (payload === '') return { kind: 'empty' };
  if (payload === 'OK') return { kind: 'ok' };
  const e = /^E([0-9a-fA-F]{2})$/.exec(payload);
  if (e) return { kind: 'error', errno: parseInt(e[1], 16), text: payload };
  if (payload.startsWith('E.')) return { kind: 'error', errno: undefined, text: payload };
  return { kind: 'data', payload };
}

/** A refusal from the stub, keeping the packet that was refused and its error number. */
export class StubError extends HyperFrameError {
  constructor(
    readonly packet: string,
    readonly errno: number | undefined,
    message: string,
  ) {
    super('TARGET', message);
    this.name = 'StubError';
  }
}

/** Turns anything but OK into an error that names the packet. */
export function expectOk(packet: string, payload: string, what = `'${preview(packet)}'`): void {
  const r = classifyReply(payload);
  if (r.kind === 'ok') return;
  throw replyError(packet, r, what);
}

export function replyError(packet: string, r: Reply, what = `'${preview(packet)}'`): HyperFrameError {
  switch (r.kind) {
    case 'error':
      return new StubError(packet, r.errno, `the stub refused ${what}: ${r.text}`);
    case 'empty':
      return new StubError(packet, undefined, `the stub does not support ${what} (empty reply)`);
    case 'ok':
      return new HyperFrameError('PROTOCOL', `unexpected OK to ${what}`);
    case 'data':
      return new HyperFrameError('PROTOCOL', `unexpected reply to ${what}: '${preview(r.payload)}'`);
  }
}

/** `O<hex>` while a command runs: text for the user (but `OK` is not output). */
export function isConsoleOutput(payload: string): boolean {
  return /^O(?:[0-9a-fA-F]{2})+$/.test(payload);
}

/** `S`/`T` + signal or `W`/`X` + code: the shape of a stop reply, whatever follows (no other answer starts so). */
export function looksLikeStopReply(payload: string): boolean {
  return /^[STWX][0-9a-fA-F]{2}/.test(payload);
}

// ---- thread ids -------------------------------------------------------------------------------

/** `tid` -1 means "all threads", 0 "any thread"; `pid` is present in the multiprocess form. */
export interface ThreadId {
  pid?: number;
  tid: number;
}

function parseIdPart(text: string): number {
  if (text === '-1') return -1;
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new HyperFrameError('PROTOCOL', `bad thread id part '${text}'`);
  return parseInt(text, 16);
}

export function parseThreadId(text: string): ThreadId {
  if (text.startsWith('p')) {
    const [pid, tid] = text.slice(1).split('.', 2);
    return { pid: parseIdPart(pid), tid: tid === undefined ? -1 : parseIdPart(tid) };
  }
  return { tid: parseIdPart(text) };
}

/** `p1.2` under multiprocess (pid defaults to 1, QEMU's only process), else plain `2`. */
export function formatThreadId(id: ThreadId, multiprocess: boolean): string {
  const part = (n: number): string => (n < 0 ? '-1' : n.toString(16));
  return multiprocess ? `p${part(id.pid ?? 1)}.${part(id.tid)}` : part(id.tid);
}

export function sameThread(a: ThreadId, b: ThreadId): boolean {
  return a.tid === b.tid && (a.pid ?? 1) === (b.pid ?? 1);
}

// ---- stop replies -----------------------------------------------------------------------------

export type StopReason =
  | { kind: 'swbreak' | 'hwbreak'; address?: bigint }
  | { kind: 'watch' | 'rwatch' | 'awatch'; address: bigint };

export type StopReply =
  | {
      kind: 'signal';
      signal: number;
      thread?: ThreadId;
      core?: number;
      reason?: StopReason;
      /** Registers the stub sent along (`regnum` → little-endian hex). */
      registers: Map<number, string>;
      raw: string;
    }
  | { kind: 'exited'; exitCode: number; pid?: number; raw: string }
  | { kind: 'terminated'; signal: number; pid?: number; raw: string };

function optionalAddress(value: string): bigint | undefined {
  return /^[0-9a-fA-F]+$/.test(value) ? BigInt('0x' + value) : undefined;
}

/**
 * Parses `S AA`, `T AA n:r;…`, `W AA[;process:pid]` and `X AA[;process:pid]`. Strict, so that a
 * reply to another command is never mistaken for a stop (and vice versa); undefined otherwise.
 */
export function parseStopReply(payload: string): StopReply | undefined {
  const s = /^S([0-9a-fA-F]{2})$/.exec(payload);
  if (s) return { kind: 'signal', signal: parseInt(s[1], 16), registers: new Map(), raw: payload };
  const wx = /^([WX])([0-9a-fA-F]{2})(?:;process:([0-9a-fA-F]+))?$/.exec(payload);
  if (wx) {
    const n = parseInt(wx[2], 16);
    const pid = wx[3] === undefined ? undefined : parseInt(wx[3], 16);
    return wx[1] === 'W'
      ? { kind: 'exited', exitCode: n, pid, raw: payload }
      : { kind: 'terminated', signal: n, pid, raw: payload };
  }
  const t = /^T([0-9a-fA-F]{2})((?:[^:;]+:[^;]*;)*(?:[^:;]+:[^;]*)?)$/.exec(payload); // last ';' optional
  if (!t) return undefined;
  const stop: StopReply = { kind: 'signal', signal: parseInt(t[1], 16), registers: new Map(), raw: payload };
  for (const pair of t[2].split(';')) {
    if (pair === '') continue;
    const colon = pair.indexOf(':');
    const name = pair.slice(0, colon);
    const value = pair.slice(colon + 1);
    try {
      if (name === 'thread') stop.thread = parseThreadId(value);
      else if (name === 'core') stop.core = parseInt(value, 16);
      else if (name === 'swbreak' || name === 'hwbreak') stop.reason = { kind: name, address: optionalAddress(value) };
      else if (name === 'watch' || name === 'rwatch' || name === 'awatch') {
        const address = optionalAddress(value);
        if (address === undefined) return undefined;
        stop.reason = { kind: name, address };
      } else if (/^[0-9a-fA-F]+$/.test(name)) stop.registers.set(parseInt(name, 16), value);
      // Other keys (library, fork, exec, create, …) carry nothing a system debugger needs.
    } catch {
      return undefined;
    }
  }
  return stop;
}

/** One line for logs and errors ("signal 5 (SIGTRAP) on p1.2, hardware breakpoint"). */
export function describeStop(stop: StopReply): string {
  if (stop.kind === 'exited') return `process exited with code ${stop.exitCode}`;
  if (stop.kind === 'terminated') return `process terminated by signal ${stop.signal}`;
  const names: Record<number, string> = { 2: 'SIGINT', 5: 'SIGTRAP', 11: 'SIGSEGV' };
  let text = `signal ${stop.signal}${names[stop.signal] ? ` (${names[stop.signal]})` : ''}`;
  if (stop.thread) text += ` on ${formatThreadId(stop.thread, stop.thread.pid !== undefined)}`;
  if (stop.reason) {
    text += `, ${stop.reason.kind}`;
    if (stop.reason.address !== undefined) text += ` at 0x${stop.reason.address.toString(16)}`;
  }
  return text;
}
