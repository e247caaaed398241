/**
 * One TCP connection to a gdb-remote stub. It owns the socket, keeps exactly one request in
 * flight (the protocol has no sequence numbers: answers are matched by order alone), queues the
 * rest, handles acks and retransmits, and tells stop replies that nobody asked for (QEMU sends one
 * right after connect when the VM was running) apart from answers.
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
  };
  /** The first stop reply that arrived unasked (QEMU: `T02thread:01;` after connect). */
  initialStop: StopReply | undefined;

  private readonly events = new EventEmitter();
  private readonly decoder = new PacketDecoder();
  private readonly queue: Pending[] = [];
  private inFlight: Pending | undefined;
  private ackMode = true;
  private interruptPending = false;
  private closeError: HyperFrameError | undefined;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;

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
    socket.on('close', () => this.shutdown(new HyperFrameError('DISCONNECTED', `connection to ${peer} closed by the stub`)));
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
        resolve(new GdbConnection(socket, peer, options));
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

  /** True while a resume request is queued or waiting for its stop reply. */
  get running(): boolean {
    return this.inFlight?.kind === 'resume' || this.queue.some((p) => p.kind === 'resume');
  }

  /** After `QStartNoAckMode` was answered OK, neither side sends `+`/`-` any more. */
  disableAcks(): void {
    this.ackMode = false;
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
    if (this.inFlight?.kind === 'resume') this.write(String.fromCharCode(INTERRUPT_BYTE));
    else this.interruptPending = true;
    return true;
  }

  /** Closes the socket; every waiter gets the same DISCONNECTED error. */
  close(reason = 'connection closed'): void {
    this.shutdown(new HyperFrameError('DISCONNECTED', `${reason} (${this.peer})`), false);
  }

  private pump(): void {
    if (this.inFlight || this.closeError) return;
    const next = this.queue.shift();
    if (!next) return;
    this.inFlight = next;
    this.transmit(next);
  }

  private transmit(p: Pending): void {
    const frame = encodePacket(p.payload);
    this.counters.packetsSent++;
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

  private write(data: string): void {
    const buf = Buffer.from(data, 'latin1');
    this.counters.bytesSent += buf.length;
    this.socket.write(buf);
  }

  private onEvent(ev: DecoderEvent): void {
    switch (ev.type) {
      case 'ack':
        return;
      case 'nak':
        return this.onNak();
      case 'garbage':
        this.counters.garbageBytes += ev.bytes;
        return;
      case 'badPacket':
        return this.onBadPacket(ev.reason);
      case 'packet':
        this.counters.packetsReceived++;
        if (this.ackMode) this.write('+');
        return this.onPacket(ev.payload);
    }
  }

  private onNak(): void {
    const p = this.inFlight;
    if (!p) return;
    if (++p.retries > this.maxRetries) {
      this.inFlight = undefined;
      // The stub never accepted the packet, so no answer is owed: the connection stays usable.
      this.settle(p, new HyperFrameError('PROTOCOL', `the stub rejected '${preview(p.payload)}' ${p.retries} times`));
      this.pump();
      return;
    }
    this.counters.retransmits++;
    this.transmit(p);
  }

  private onBadPacket(reason: string): void {
    this.counters.badPackets++;
    const p = this.inFlight;
    if (this.ackMode && (!p || ++p.retries <= this.maxRetries)) {
      this.write('-'); // ask the stub to send it again
      return;
    }
    const what = p ? `the answer to '${preview(p.payload)}'` : 'a packet';
    const message = `${what} from ${this.peer} arrived corrupt (${reason}); connection closed`;
    this.shutdown(new HyperFrameError('DISCONNECTED', message), true, new HyperFrameError('PROTOCOL', message));
  }

  private onPacket(payload: string): void {
    const p = this.inFlight;
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
    this.inFlight = undefined;
    this.settle(p, undefined, payload);
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
    this.inFlight = undefined;
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
    const current = this.inFlight;
    const queued = this.queue.splice(0);
    this.inFlight = undefined;
    if (current) this.settle(current, inFlightError);
    for (const p of queued) this.settle(p, error);
    this.socket.destroy();
    this.events.emit('close', emitError ? error : undefined);
  }
}
