/**
 * One TCP connection to a gdb-remote stub. It owns the socket: connecting, batching writes,
 * decoding what arrives, telling its listeners about stops, console output and its end. Which
 * packet goes out when, and which answer is whose, is the request queue's (requestQueue.ts).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { HyperFrameError } from '../util/errors';
import { PacketDecoder, preview } from './codec';
import { StopReply } from './replies';
import { type ConnectionCounters, RequestQueue, type RequestOptions } from './requestQueue';

export type { ConnectionCounters, RequestKind, RequestOptions } from './requestQueue';

export interface ConnectionOptions {
  /** Default per-request timeout in ms (time without any answer once the packet is sent). */
  timeoutMs?: number;
  /** How often a packet is resent after `-` (or a corrupt answer is NAKed) before giving up. */
  maxRetries?: number;
}

export interface ConnectionEvents {
  stop: (stop: StopReply) => void;
  console: (text: string) => void;
  /** Something the stub sent that we cannot use and nobody waits for (a stop reply that does not parse). */
  protocolError: (error: HyperFrameError) => void;
  /** The connection is gone; `error` says why when we did not close it ourselves. */
  close: (error: HyperFrameError | undefined) => void;
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
  private readonly requests: RequestQueue;
  /** Bytes waiting for this turn's single socket write. */
  private outgoing: string[] = [];
  private closeError: HyperFrameError | undefined;
  /** Why the connection was lost, when it was not closed on purpose (a timeout, the stub hanging up). */
  private lostError: HyperFrameError | undefined;
  /** Where we connected, for a new connection after this one is lost. */
  private address: { host: string; port: number } | undefined;
  /** The other end closed the socket (not a timeout, not a garbled exchange, not us). */
  private peerHungUp = false;

  constructor(
    private readonly socket: net.Socket,
    readonly peer: string,
    options: ConnectionOptions = {},
  ) {
    this.requests = new RequestQueue(
      {
        peer,
        counters: this.counters,
        closed: () => this.closed,
        write: (data) => this.write(data),
        fail: (error, inFlightError) => this.shutdown(error, true, inFlightError),
        stop: (stop, unasked) => {
          if (unasked) this.initialStop ??= stop;
          this.events.emit('stop', stop);
        },
        console: (text) => this.events.emit('console', text),
        protocolError: (error) => this.events.emit('protocolError', error),
      },
      options.timeoutMs ?? 5000,
      options.maxRetries ?? 3,
    );
    socket.setNoDelay(true); // without it every small packet waits ~40 ms for Nagle
    socket.on('data', (chunk: Buffer) => {
      this.counters.bytesReceived += chunk.length;
      for (const ev of this.decoder.push(chunk)) this.requests.onEvent(ev);
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
    return this.requests.running;
  }

  /** How many pipelined reads may be in flight together (1: none; a stub known to take it: more). */
  get pipelineDepth(): number {
    return this.requests.depth;
  }

  set pipelineDepth(n: number) {
    this.requests.depth = Math.max(1, Math.floor(n));
  }

  /** After `QStartNoAckMode` was answered OK, neither side sends `+`/`-` any more. */
  disableAcks(): void {
    this.requests.disableAcks();
  }

  /** Sends a packet and resolves with the (decoded) payload of its answer. */
  request(payload: string, options: RequestOptions = {}): Promise<string> {
    if (this.closeError) return Promise.reject(this.closeError);
    if (this.running) {
      return Promise.reject(new HyperFrameError('TARGET', `cannot send '${preview(payload)}': the target is running; interrupt it first`));
    }
    return this.requests.request(payload, options);
  }

  /**
   * Sends the 0x03 interrupt byte, outside the queue; only meaningful while running. A resume still
   * waiting in the queue gets it right after its packet (a stopped stub would ignore it).
   */
  interrupt(): boolean {
    if (this.closeError || !this.running) return false;
    this.requests.interrupt();
    return true;
  }

  /** Closes the socket; every waiter gets the same DISCONNECTED error. */
  close(reason = 'connection closed'): void {
    this.shutdown(new HyperFrameError('DISCONNECTED', `${reason} (${this.peer})`), false);
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

  /** Fails every waiter with one error (the in-flight request may get a more precise one). */
  private shutdown(error: HyperFrameError, emitError = true, inFlightError: HyperFrameError = error): void {
    if (this.closeError) return;
    this.closeError = error;
    if (emitError) this.lostError = error;
    this.requests.failAll(error, inFlightError);
    this.socket.destroy();
    this.events.emit('close', emitError ? error : undefined);
  }
}
