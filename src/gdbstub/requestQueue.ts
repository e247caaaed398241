/**
 * The order of requests on one gdb-remote connection: which packet may go out now, which answer
 * belongs to which request (stop replies nobody asked for, as QEMU sends right after connect when
 * the VM was running, are told apart from answers), and what to do when acks, NAKs or corrupt
 * bytes say something went wrong on the wire. The socket itself is the connection's
 * (connection.ts): this module only writes bytes through it, and asks it to end the conversation
 * when answers can no longer be matched.
 *
 * The protocol has no sequence numbers: answers are matched by order alone. One request is in
 * flight at a time, except memory reads marked `pipeline` when pipelining is on (QEMU takes
 * several packets back to back and answers them in order): then up to `depth` of them go out
 * together. The stub answers in the order it accepted packets, which acks tell (a packet it NAKs
 * is sent again and answered after those it took meanwhile). A corrupt answer while several are
 * outstanding cannot be asked for again (the stub would resend its latest answer, not that one),
 * and stray bytes may mean an answer was lost: then every outstanding read is sent again after a
 * barrier (`qC`, whose answer no read can be mistaken for), one at a time from then on.
 */
import { HyperFrameError } from '../util/errors';
import { DecoderEvent, INTERRUPT_BYTE, encodePacket, hexToText, preview } from './codec';
import { StopReply, isConsoleOutput, looksLikeStopReply, parseStopReply } from './replies';

/**
 * `normal`: answered by one packet. `stopQuery` (`?`): answered by a stop reply.
 * `resume` (c, s, vCont): answered by a stop reply whenever the target stops; no timeout by default,
 * and other requests are refused meanwhile (all-stop mode: the stub only listens for 0x03).
 */
export type RequestKind = 'normal' | 'stopQuery' | 'resume';

export interface RequestOptions {
  kind?: RequestKind;
  /**
   * An idempotent read that may share the wire with other such reads (sent again, unasked, after
   * a transmission fault). `valid` tells a well-formed answer; one that is not means answers were
   * mixed up.
   */
  pipeline?: { valid(payload: string): boolean };
  /** Overrides the connection's timeout; Infinity waits forever. */
  timeoutMs?: number;
  /** Called for each `O` console packet that arrives while this request is in flight. */
  onConsole?: (text: string) => void;
}

export interface ConnectionCounters {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  retransmits: number;
  badPackets: number;
  garbageBytes: number;
  /** Most requests ever in flight together (1 without pipelining). */
  maxInFlight: number;
  /** Times pipelined reads were sent again after a transmission fault. */
  resyncs: number;
  /** Stub packets dropped as resends of an answer already taken (they came before the next ack). */
  resends: number;
}

/** What the queue needs of the connection that owns the socket. */
export interface Wire {
  readonly peer: string;
  readonly counters: ConnectionCounters;
  /** True once the connection ended: nothing more goes out. */
  closed(): boolean;
  /** Queues bytes for the socket. */
  write(data: string): void;
  /**
   * Ends the conversation (a missed or corrupt answer): every waiter gets `error`, the request in
   * flight `inFlightError`.
   */
  fail(error: HyperFrameError, inFlightError: HyperFrameError): void;
  /** A stop reply that is not the answer to a request (or that ends a resume). */
  stop(stop: StopReply, unasked: boolean): void;
  console(text: string): void;
  protocolError(error: HyperFrameError): void;
}

interface Pending {
  payload: string;
  kind: RequestKind;
  pipeline?: RequestOptions['pipeline'];
  timeoutMs: number;
  onConsole?: (text: string) => void;
  resolve: (payload: string) => void;
  reject: (error: Error) => void;
  retries: number;
  timer?: NodeJS.Timeout;
}

export class RequestQueue {
  /** Reads marked `pipeline` that may be in flight together; 1 = one request at a time. */
  depth = 1;
  private readonly queue: Pending[] = [];
  /** Sent and not yet answered, in the order the stub will answer them. */
  private inFlight: Pending[] = [];
  /** Sent and not yet acked (ack mode), oldest first. */
  private unacked: Pending[] = [];
  /** Set while recovering from a fault among pipelined reads: answers are dropped until this barrier's. */
  private barrier: Pending | undefined;
  private ackMode = true;
  private interruptPending = false;

  constructor(
    private readonly wire: Wire,
    /** Default per-request timeout in ms (time without any answer once the packet is sent). */
    private readonly timeoutMs: number,
    /** How often a packet is resent after `-` (or a corrupt answer is NAKed) before giving up. */
    private readonly maxRetries: number,
  ) {}

  /** True while a resume request is queued or waiting for its stop reply. */
  get running(): boolean {
    return this.inFlight[0]?.kind === 'resume' || this.queue.some((p) => p.kind === 'resume');
  }

  /** After `QStartNoAckMode` was answered OK, neither side sends `+`/`-` any more. */
  disableAcks(): void {
    this.ackMode = false;
    this.unacked = [];
  }

  /** Queues a request; resolves with the (decoded) payload of its answer. */
  request(payload: string, options: RequestOptions): Promise<string> {
    const kind = options.kind ?? 'normal';
    return new Promise<string>((resolve, reject) => {
      this.queue.push({
        payload,
        kind,
        pipeline: kind === 'normal' ? options.pipeline : undefined,
        timeoutMs: options.timeoutMs ?? (kind === 'resume' ? Infinity : this.timeoutMs),
        onConsole: options.onConsole,
        resolve,
        reject,
        retries: 0,
      });
      this.pump();
    });
  }

  /** The 0x03 byte, now if the resume is out, else right after its packet (a stopped stub would ignore it). */
  interrupt(): void {
    if (this.inFlight[0]?.kind === 'resume') this.wire.write(String.fromCharCode(INTERRUPT_BYTE));
    else this.interruptPending = true;
  }

  /** The connection ended: every waiter gets `error`, the request in flight `inFlightError`. */
  failAll(error: HyperFrameError, inFlightError: HyperFrameError): void {
    const current = this.inFlight.splice(0);
    const queued = this.queue.splice(0);
    if (this.barrier?.timer) clearTimeout(this.barrier.timer);
    this.barrier = undefined;
    current.forEach((p, i) => this.settle(p, i === 0 ? inFlightError : error));
    for (const p of queued) this.settle(p, error);
  }

  private pump(): void {
    while (!this.wire.closed() && !this.barrier && this.queue.length > 0) {
      const next = this.queue[0];
      if (this.inFlight.length > 0) {
        const joins = next.pipeline !== undefined && this.inFlight.length < this.depth && this.inFlight.every((p) => p.pipeline !== undefined);
        if (!joins) return;
      }
      this.queue.shift();
      this.inFlight.push(next);
      this.wire.counters.maxInFlight = Math.max(this.wire.counters.maxInFlight, this.inFlight.length);
      this.transmit(next);
    }
  }

  private transmit(p: Pending): void {
    const frame = encodePacket(p.payload);
    this.wire.counters.packetsSent++;
    if (this.ackMode) this.unacked.push(p);
    this.wire.write(frame);
    if (p.kind === 'resume' && this.interruptPending) {
      this.interruptPending = false;
      this.wire.write(String.fromCharCode(INTERRUPT_BYTE));
    }
    this.arm(p);
  }

  private arm(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    if (!Number.isFinite(p.timeoutMs)) return;
    p.timer = setTimeout(() => {
      // With no sequence numbers a late answer would be taken for the next request's, so a
      // missed answer ends the conversation: the caller reconnects.
      this.wire.fail(
        new HyperFrameError('DISCONNECTED', `connection to ${this.wire.peer} closed after '${preview(p.payload)}' timed out`),
        new HyperFrameError('TIMEOUT', `no answer to '${preview(p.payload)}' from ${this.wire.peer} within ${p.timeoutMs} ms`),
      );
    }, p.timeoutMs);
  }

  /** What the packet decoder found in the stub's bytes. */
  onEvent(ev: DecoderEvent): void {
    switch (ev.type) {
      case 'ack':
        if (!this.barrier) this.unacked.shift();
        return;
      case 'nak':
        return this.onNak();
      case 'garbage':
        this.wire.counters.garbageBytes += ev.bytes;
        // With several answers on the way, stray bytes may be one of them, broken.
        if (this.inFlight.length > 1) this.resync();
        return;
      case 'badPacket':
        return this.onBadPacket(ev.reason);
      case 'packet':
        this.wire.counters.packetsReceived++;
        // A stray answer (nothing asked, no stop reply, no console output) gets no ack: after a
        // `D` or a resume QEMU reads any byte as an interrupt and stops the VM it just resumed.
        if (this.ackMode && !this.isStray(ev.payload)) this.wire.write('+');
        return this.onPacket(ev.payload);
    }
  }

  private isStray(payload: string): boolean {
    return this.inFlight.length === 0 && !this.barrier && !looksLikeStopReply(payload) && !isConsoleOutput(payload);
  }

  private onNak(): void {
    // While resyncing, whatever the stub refused is sent again anyway (or the barrier times out).
    if (this.barrier) return;
    // The oldest packet not yet acked is the one the stub refused; it answers the others first.
    const p = this.ackMode ? this.unacked.shift() : this.inFlight[0];
    const at = p ? this.inFlight.indexOf(p) : -1;
    if (!p || at < 0) return;
    this.inFlight.splice(at, 1);
    if (++p.retries > this.maxRetries) {
      // The stub never accepted the packet, so no answer is owed: the connection stays usable.
      this.settle(p, new HyperFrameError('PROTOCOL', `the stub rejected '${preview(p.payload)}' ${p.retries} times`));
      this.pump();
      return;
    }
    this.wire.counters.retransmits++;
    this.inFlight.push(p);
    this.transmit(p);
  }

  /**
   * Among several pipelined reads, answers can no longer be matched: every outstanding read goes
   * back to the head of the queue, and a barrier request's answer marks where the stub's answers
   * to them end. From then on, one request at a time.
   */
  private resync(): void {
    if (this.barrier || this.wire.closed()) return;
    this.wire.counters.resyncs++;
    const again = this.inFlight.splice(0);
    this.unacked = [];
    this.depth = 1;
    this.queue.unshift(...again);
    const barrier: Pending = {
      payload: 'qC',
      kind: 'normal',
      timeoutMs: this.timeoutMs,
      resolve: () => undefined,
      reject: () => undefined,
      retries: 0,
    };
    this.barrier = barrier;
    this.transmit(barrier);
  }

  private onBadPacket(reason: string): void {
    this.wire.counters.badPackets++;
    if (this.barrier || this.inFlight.length > 1) {
      // Asking again would get the stub's latest answer, not this one: take it and resync.
      if (this.ackMode) this.wire.write('+');
      this.resync();
      return;
    }
    const p = this.inFlight[0];
    if (this.ackMode && (!p || ++p.retries <= this.maxRetries)) {
      this.wire.write('-'); // ask the stub to send it again
      return;
    }
    const what = p ? `the answer to '${preview(p.payload)}'` : 'a packet';
    const message = `${what} from ${this.wire.peer} arrived corrupt (${reason}); connection closed`;
    this.wire.fail(new HyperFrameError('DISCONNECTED', message), new HyperFrameError('PROTOCOL', message));
  }

  private onPacket(payload: string): void {
    if (this.barrier) return this.onResyncPacket(payload);
    const p = this.inFlight[0];
    if (isConsoleOutput(payload)) {
      let text: string;
      try {
        text = hexToText(payload.slice(1));
      } catch {
        text = payload.slice(1);
      }
      this.wire.console(text);
      if (p) {
        p.onConsole?.(text);
        this.arm(p); // output is progress: a long monitor command is not a dead stub
      }
      return;
    }
    if (looksLikeStopReply(payload)) return this.onStopReply(payload, p);
    if (!p) return; // a stray answer; nothing waits for it
    // The stub acks each packet before it answers it: a packet that comes while the oldest request
    // still waits for its ack is no answer to it, but the stub sending its last answer again
    // (as it does when it misses our '+'). Taken, it would be read as the next request's answer.
    if (this.ackMode && this.unacked.includes(p)) {
      this.wire.counters.resends++;
      return;
    }
    if (p.pipeline && this.inFlight.length > 1 && !p.pipeline.valid(payload)) return this.resync();
    this.inFlight.shift();
    this.settle(p, undefined, payload);
    this.pump();
  }

  /** While resyncing: answers to the reads being sent again are dropped, up to the barrier's. */
  private onResyncPacket(payload: string): void {
    if (!payload.startsWith('QC') && payload !== '') return;
    const b = this.barrier!;
    if (b.timer) clearTimeout(b.timer);
    this.barrier = undefined;
    this.unacked = [];
    this.pump();
  }

  /**
   * A stop reply is told apart from answers by its shape, and only then parsed strictly: one that
   * does not parse is never taken for the answer to an unrelated request.
   */
  private onStopReply(payload: string, p: Pending | undefined): void {
    const stop = parseStopReply(payload);
    if (!p || p.kind === 'normal') {
      // Nobody asked: QEMU's stop-on-connect, or a stop racing with a request.
      if (stop) this.wire.stop(stop, true);
      else this.wire.protocolError(new HyperFrameError('PROTOCOL', `${this.wire.peer} sent a stop reply that cannot be parsed: '${preview(payload)}' (ignored)`));
      return;
    }
    this.inFlight.shift();
    if (stop) {
      if (p.kind === 'resume') this.wire.stop(stop, false);
      this.settle(p, undefined, payload);
    } else {
      this.settle(p, new HyperFrameError('PROTOCOL', `the stop reply to '${preview(p.payload)}' from ${this.wire.peer} cannot be parsed: '${preview(payload)}'`));
    }
    this.pump();
  }

  private settle(p: Pending, error: Error | undefined, payload = ''): void {
    if (p.timer) clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve(payload);
  }
}
