/**
 * One TCP connection to a gdb-remote stub. It owns the socket, queues requests, handles acks and
 * retransmits, and tells stop replies that nobody asked for (QEMU sends one right after connect
 * when the VM was running) apart from answers.
 *
 * The protocol has no sequence numbers: answers are matched by order alone. One request is in
 * flight at a time, except memory reads marked `pipeline` when pipelining is on (QEMU takes
 * several packets back to back and answers them in order): then up to `pipelineDepth` of them go
 * out together. The stub answers in the order it accepted packets, which acks tell (a packet it
 * NAKs is sent again and answered after those it took meanwhile). A corrupt answer while several
 * are outstanding cannot be asked for again (the stub would resend its latest answer, not that
 * one), and stray bytes may mean an answer was lost: then every outstanding read is sent again
 * after a barrier (`qC`, whose answer no read can be mistaken for), one at a time from then on.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { HyperFrameError } from '../util/errors';
import { DecoderEvent, INTERRUPT_BYTE, PacketDecoder, encodePacket, hexToText, preview } from './codec';
import { StopReply, isConsoleOutput, parseStopReply } from './replies';

export interface ConnectionOptions {
  /** Default per-request timeout in ms (time without any answer once the packet is sent). */
  timeoutMs?: number;
  /** How often a packet is resent after `-` (or a corrupt answer is NAKed) before giving up. */
  maxRetries?: number;
}

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

export interface ConnectionEvents {
  stop: (stop: StopReply) => void;
  console: (text: string) => void;
  /** Something the stub sent that we cannot use and nobody waits for (a stop reply that does not parse). */
  protocolError: (error: HyperFrameError) => void;
  /** The connection is gone; `error` says why when we did not close it ourselves. */
  close: (error: HyperFrameError | undefined) => void;
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

/**
 * Why a connection failed, in words that say what to do: a refused connection almost always
 * means QEMU was started without its gdbstub, or on another port.
 */
function connectFailure(err: NodeJS.ErrnoException, port: number): string {
  if (err.code === 'ECONNREFUSED') {
    const how = port === 1234 ? '-s (or -gdb tcp::1234)' : `-gdb tcp::${port} (-s listens on 1234)`;
    return `nothing listens there (ECONNREFUSED). Start QEMU with its gdbstub on that port: ${how}; add -S to hold the guest before its first instruction`;
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `the host name does not resolve (${err.code})`;
  return err.message;
}

/** `S`/`T` + signal or `W`/`X` + code: the shape of a stop reply, whatever follows (no other answer starts so). */
export function looksLikeStopReply(payload: string): boolean {
  return /^[STWX][0-9a-fA-F]{2}/.test(payload);
}

export class GdbConnection {
  readonly counters: ConnectionCounters = {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    retransmits: 0,
    badPackets: 0,
    garbageBytes: 0,
    maxInFlight: 0,
    resyncs: 0,
    resends: 0,
  };
  /** The first stop reply that arrived unasked (QEMU: `T02thread:01;` after connect). */
  initialStop: StopReply | undefined;

  private readonly events = new EventEmitter();
  private readonly decoder = new PacketDecoder();
  private readonly queue: Pending[] = [];
  /** Sent and not yet answered, in the order the stub will answer them. */
  private inFlight: Pending[] = [];
  /** Sent and not yet acked (ack mode), oldest first. */
  private unacked: Pending[] = [];
  /** Set while recovering from a fault among pipelined reads: answers are dropped until this barrier's. */
  private barrier: Pending | undefined;
  /** Reads marked `pipeline` that may be in flight together; 1 = one request at a time. */
  private depth = 1;
  /** Bytes waiting for this turn's single socket write. */
  private outgoing: string[] = [];
  private ackMode = true;
  private interruptPending = false;
  private closeError: HyperFrameError | undefined;
  /** Why the connection was lost, when it was not closed on purpose (a timeout, the stub hanging up). */
  private lostError: HyperFrameError | undefined;
  /** Where we connected, for a new connection after this one is lost. */
  private address: { host: string; port: number } | undefined;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  /** The other end closed the socket (not a timeout, not a garbled exchange, not us). */
  private peerHungUp = false;

  constructor(
    private readonly socket: net.Socket,
    readonly peer: string,
    options: ConnectionOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxRetries = options.maxRetries ?? 3;
    socket.setNoDelay(true); // without it every small packet waits ~40 ms for Nagle
    socket.on('data', (chunk: Buffer) => {
      this.counters.bytesReceived += chunk.length;
      for (const ev of this.decoder.push(chunk)) this.onEvent(ev);
    });
    socket.on('error', (err) => this.shutdown(new HyperFrameError('DISCONNECTED', `connection to ${peer} lost: ${err.message}`)));
    socket.on('close', () => {
      if (!this.closeError) this.peerHungUp = true;
      this.shutdown(new HyperFrameError('DISCONNECTED', `connection to ${peer} closed by the stub`));
    });
  }

  static connect(host: string, port: number, options: ConnectionOptions & { connectTimeoutMs?: number } = {}): Promise<GdbConnection> {
    const peer = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HyperFrameError('TIMEOUT', `could not connect to ${peer} within ${options.connectTimeoutMs ?? 5000} ms`));
      }, options.connectTimeoutMs ?? 5000);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        const conn = new GdbConnection(socket, peer, options);
        conn.address = { host, port };
        resolve(conn);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new HyperFrameError('DISCONNECTED', `cannot connect to ${peer}: ${connectFailure(err, port)}`));
      });
    });
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): this {
    this.events.on(event, listener);
    return this;
  }

  off<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): this {
    this.events.off(event, listener);
    return this;
  }

  get closed(): boolean {
    return this.closeError !== undefined;
  }

  /** True once the stub (or something between) closed the connection before we did. */
  get hungUp(): boolean {
    return this.peerHungUp;
  }

  /** Why the connection ended, when we did not end it (undefined while open or after close()). */
  get lost(): HyperFrameError | undefined {
    return this.lostError;
  }

  /** Host and port to connect to again (set by connect()). */
  get reconnectAddress(): { host: string; port: number } | undefined {
    return this.address;
  }

  /** The TCP endpoints of the connection (ours and the stub's), for finding the stub's process. */
  get endpoints(): { localPort?: number; remoteAddress?: string; remotePort?: number } {
    return { localPort: this.socket.localPort, remoteAddress: this.socket.remoteAddress, remotePort: this.socket.remotePort };
  }

  /** True while a resume request is queued or waiting for its stop reply. */
  get running(): boolean {
    return this.inFlight[0]?.kind === 'resume' || this.queue.some((p) => p.kind === 'resume');
  }

  /** How many pipelined reads may be in flight together (1: none; a stub known to take it: more). */
  get pipelineDepth(): number {
    return this.depth;
  }

  set pipelineDepth(n: number) {
    this.depth = Math.max(1, Math.floor(n));
  }

  /** After `QStartNoAckMode` was answered OK, neither side sends `+`/`-` any more. */
  disableAcks(): void {
    this.ackMode = false;
    this.unacked = [];
  }

  /** Sends a packet and resolves with the (decoded) payload of its answer. */
  request(payload: string, options: RequestOptions = {}): Promise<string> {
    if (this.closeError) return Promise.reject(this.closeError);
    if (this.running) {
      return Promise.reject(new HyperFrameError('TARGET', `cannot send '${preview(payload)}': the target is running; interrupt it first`));
    }
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

  /**
   * Sends the 0x03 interrupt byte, outside the queue; only meaningful while running. A resume still
   * waiting in the queue gets it right after its packet (a stopped stub would ignore it).
   */
  interrupt(): boolean {
    if (this.closeError || !this.running) return false;
    if (this.inFlight[0]?.kind === 'resume') this.write(String.fromCharCode(INTERRUPT_BYTE));
    else this.interruptPending = true;
    return true;
  }

  /** Closes the socket; every waiter gets the same DISCONNECTED error. */
  close(reason = 'connection closed'): void {
    this.shutdown(new HyperFrameError('DISCONNECTED', `${reason} (${this.peer})`), false);
  }

  private pump(): void {
    while (!this.closeError && !this.barrier && this.queue.length > 0) {
      const next = this.queue[0];
      if (this.inFlight.length > 0) {
        const joins = next.pipeline !== undefined && this.inFlight.length < this.depth && this.inFlight.every((p) => p.pipeline !== undefined);
        if (!joins) return;
      }
      this.queue.shift();
      this.inFlight.push(next);
      this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.inFlight.length);
      this.transmit(next);
    }
  }

  private transmit(p: Pending): void {
    const frame = encodePacket(p.payload);
    this.counters.packetsSent++;
    if (this.ackMode) this.unacked.push(p);
    this.write(frame);
    if (p.kind === 'resume' && this.interruptPending) {
      this.interruptPending = false;
      this.write(String.fromCharCode(INTERRUPT_BYTE));
    }
    this.arm(p);
  }

  private arm(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    if (!Number.isFinite(p.timeoutMs)) return;
    p.timer = setTimeout(() => {
      // With no sequence numbers a late answer would be taken for the next request's, so a
      // missed answer ends the conversation: the caller reconnects.
      this.shutdown(
        new HyperFrameError('DISCONNECTED', `connection to ${this.peer} closed after '${preview(p.payload)}' timed out`),
        true,
        new HyperFrameError('TIMEOUT', `no answer to '${preview(p.payload)}' from ${this.peer} within ${p.timeoutMs} ms`),
      );
    }, p.timeoutMs);
  }

  /**
   * Queues bytes for the socket. Everything written in one turn of the event loop (the acks for a
   * burst of answers and the requests they let out) leaves in one write: one system call, not one
   * per packet.
   */
  private write(data: string): void {
    this.outgoing.push(data);
    if (this.outgoing.length === 1) process.nextTick(() => this.flushWrites());
  }

  private flushWrites(): void {
    const data = this.outgoing.join('');
    this.outgoing = [];
    if (this.socket.destroyed) return;
    const buf = Buffer.from(data, 'latin1');
    this.counters.bytesSent += buf.length;
    this.socket.write(buf);
  }

  private onEvent(ev: DecoderEvent): void {
    switch (ev.type) {
      case 'ack':
        if (!this.barrier) this.unacked.shift();
        return;
      case 'nak':
        return this.onNak();
      case 'garbage':
        this.counters.garbageBytes += ev.bytes;
        // With several answers on the way, stray bytes may be one of them, broken.
        if (this.inFlight.length > 1) this.resync();
        return;
      case 'badPacket':
        return this.onBadPacket(ev.reason);
      case 'packet':
        this.counters.packetsReceived++;
        // A stray answer (nothing asked, no stop reply, no console output) gets no ack: after a
        // `D` or a resume QEMU reads any byte as an interrupt and stops the VM it just resumed.
        if (this.ackMode && !this.isStray(ev.payload)) this.write('+');
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
    this.counters.retransmits++;
    this.inFlight.push(p);
    this.transmit(p);
  }

  /**
   * Among several pipelined reads, answers can no longer be matched: every outstanding read goes
   * back to the head of the queue, and a barrier request's answer marks where the stub's answers
   * to them end. From then on, one request at a time.
   */
  private resync(): void {
    if (this.barrier || this.closeError) return;
    this.counters.resyncs++;
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
    this.counters.badPackets++;
    if (this.barrier || this.inFlight.length > 1) {
      // Asking again would get the stub's latest answer, not this one: take it and resync.
      if (this.ackMode) this.write('+');
      this.resync();
      return;
    }
    const p = this.inFlight[0];
    if (this.ackMode && (!p || ++p.retries <= this.maxRetries)) {
      this.write('-'); // ask the stub to send it again
      return;
    }
    const what = p ? `the answer to '${preview(p.payload)}'` : 'a packet';
    const message = `${what} from ${this.peer} arrived corrupt (${reason}); connection closed`;
    this.shutdown(new HyperFrameError('DISCONNECTED', message), true, new HyperFrameError('PROTOCOL', message));
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
      this.events.emit('console', text);
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
      this.counters.resends++;
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
      if (stop) {
        this.initialStop ??= stop;
        this.events.emit('stop', stop);
      } else {
        this.events.emit('protocolError', new HyperFrameError('PROTOCOL', `${this.peer} sent a stop reply that cannot be parsed: '${preview(payload)}' (ignored)`));
      }
      return;
    }
    this.inFlight.shift();
    if (stop) {
      if (p.kind === 'resume') this.events.emit('stop', stop);
      this.settle(p, undefined, payload);
    } else {
      this.settle(p, new HyperFrameError('PROTOCOL', `the stop reply to '${preview(p.payload)}' from ${this.peer} cannot be parsed: '${preview(payload)}'`));
    }
    this.pump();
  }

  private settle(p: Pending, error: Error | undefined, payload = ''): void {
    if (p.timer) clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve(payload);
  }

  /** Fails every waiter with one error (the in-flight request may get a more precise one). */
  private shutdown(error: HyperFrameError, emitError = true, inFlightError: HyperFrameError = error): void {
    if (this.closeError) return;
    this.closeError = error;
    if (emitError) this.lostError = error;
    const current = this.inFlight.splice(0);
    const queued = this.queue.splice(0);
    if (this.barrier?.timer) clearTimeout(this.barrier.timer);
    this.barrier = undefined;
    current.forEach((p, i) => this.settle(p, i === 0 ? inFlightError : error));
    for (const p of queued) this.settle(p, error);
    this.socket.destroy();
    this.events.emit('close', emitError ? error : undefined);
  }
}
