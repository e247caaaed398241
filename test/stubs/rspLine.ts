/**
 * The wire under the test servers of test/stubs: one TCP client at a time, RSP framing and acks
 * the way the small stubs do them, which differs from QEMU's in ways a client can trip over:
 *
 * - after each reply the stub reads exactly one byte as the ack: `+` ends it, anything else sends
 *   the reply again (Xen's gdb_check_ack gives up after 10 tries; gdbsx's gx_putpkt never does);
 * - it reads nothing while the target runs: bytes that came meanwhile (0x03 included) are skipped
 *   by the next packet read, which looks for `$`;
 * - gdbsx masks every byte to 7 bits and reads hex digits in lower case only (gx_fromhex);
 * - Xen's stub NAKs a packet of a page or more (its in_buf is PAGE_SIZE).
 *
 * Packets are handled strictly one after another, as those single-threaded loops do. Written
 * independently of src/gdbstub/codec, so that the client is checked against a second reading.
 */
import net from 'node:net';

/**
 * What a model answers to one packet: a payload; nothing; a hang-up; or a last payload after which
 * the stub reads no more (Xen's stub once it has left its trap handler: the line stays open).
 */
export type LineAnswer = string | null | { close: true } | { last: string };

export interface LineOptions {
  /** Packets at least this long (payload bytes) are NAKed (Xen: PAGE_SIZE). */
  maxPacketBytes?: number;
  /** Resends of one reply before giving up on its ack (Xen: 10); undefined = forever (gdbsx). */
  maxResends?: number;
  /** Checksum digits as the stub reads them (gdbsx's gx_fromhex takes lower case only). */
  checksumDigit?: (c: string) => number;
  /** Mask incoming bytes to 7 bits (gdbsx's readchar). */
  sevenBit?: boolean;
  /** False while the stub reads nothing (Xen outside its trap): a new client waits for listenAgain(). */
  listening?: () => boolean;
}

export function sum(text: string): number {
  let s = 0;
  for (let i = 0; i < text.length; i++) s = (s + text.charCodeAt(i)) & 0xff;
  return s;
}

export function frame(payload: string): string {
  return `$${payload}#${sum(payload).toString(16).padStart(2, '0')}`;
}

const anyCaseDigit = (c: string): number => {
  const n = parseInt(c, 16);
  return Number.isNaN(n) ? 0 : n;
};

/**
 * A listening socket that hands each packet's payload to `handle`, one at a time, and sends what
 * it returns. A resume's handler returns only when the target stops: meanwhile nothing is read,
 * as in the real stubs.
 */
export class RspLine {
  /** Payloads received, in order (NAKed ones included). */
  readonly received: string[] = [];
  /** Bytes that were skipped looking for `$` (0x03 among them), by count. */
  skipped = 0;
  private readonly server: net.Server;
  private socket: net.Socket | undefined;
  private bytes = '';
  private waiting: ((c: string | undefined) => void) | undefined;
  private closedByPeer: (() => void)[] = [];

  private constructor(
    private readonly handle: (payload: string) => Promise<LineAnswer>,
    private readonly options: LineOptions,
    private readonly onPeerClose: () => Promise<void>,
  ) {
    this.server = net.createServer((s) => this.accept(s));
  }

  static async listen(handle: (payload: string) => Promise<LineAnswer>, options: LineOptions, onPeerClose: () => Promise<void>): Promise<RspLine> {
    const line = new RspLine(handle, options, onPeerClose);
    await new Promise<void>((resolve) => line.server.listen(0, '127.0.0.1', resolve));
    return line;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  /** Resolves once the client is gone and the model has reacted to it. */
  whenPeerGone(): Promise<void> {
    return this.connected ? new Promise((r) => this.closedByPeer.push(r)) : Promise.resolve();
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Hangs up on the client (gdbsx after `D`, or at exit). */
  hangUp(): void {
    this.socket?.end();
  }

  private accept(socket: net.Socket): void {
    if (this.connected) {
      socket.destroy(); // both stubs serve one debugger
      return;
    }
    this.socket = socket;
    this.bytes = '';
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      let text = chunk.toString('latin1');
      if (this.options.sevenBit) text = text.replace(/[\x80-\xff]/g, (c) => String.fromCharCode(c.charCodeAt(0) & 0x7f));
      this.bytes += text;
      this.wake();
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.wake();
      void this.onPeerClose().finally(() => {
        for (const r of this.closedByPeer.splice(0)) r();
      });
    });
    if (this.options.listening?.() ?? true) void this.serve(socket);
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(undefined);
  }

  /** The next byte from the client, or undefined once it has gone. */
  private async readByte(socket: net.Socket): Promise<string | undefined> {
    while (this.bytes.length === 0) {
      if (socket.destroyed || this.socket !== socket) return undefined;
      await new Promise<string | undefined>((r) => (this.waiting = r));
    }
    const c = this.bytes[0];
    this.bytes = this.bytes.slice(1);
    return c;
  }

  /** Serves the current client again after a `last` answer (Xen entered its trap handler again). */
  listenAgain(): void {
    if (this.socket) void this.serve(this.socket);
  }

  private async serve(socket: net.Socket): Promise<void> {
    for (;;) {
      const payload = await this.readPacket(socket);
      if (payload === undefined) return;
      const answer = await this.handle(payload);
      if (answer === null) continue;
      if (typeof answer === 'object') {
        if ('last' in answer) await this.send(socket, answer.last);
        else socket.end();
        return;
      }
      if (!(await this.send(socket, answer))) return;
    }
  }

  /** Skips to `$`, reads to `#` and two checksum digits; NAKs a bad one and reads again. */
  private async readPacket(socket: net.Socket): Promise<string | undefined> {
    const digit = this.options.checksumDigit ?? anyCaseDigit;
    for (;;) {
      let c: string | undefined;
      while ((c = await this.readByte(socket)) !== '$') {
        if (c === undefined) return undefined;
        this.skipped++;
      }
      let body = '';
      while ((c = await this.readByte(socket)) !== '#') {
        if (c === undefined) return undefined;
        body += c;
      }
      const hi = await this.readByte(socket);
      const lo = await this.readByte(socket);
      if (hi === undefined || lo === undefined) return undefined;
      this.received.push(body);
      const tooBig = this.options.maxPacketBytes !== undefined && body.length >= this.options.maxPacketBytes;
      if (!tooBig && digit(hi) * 16 + digit(lo) === sum(body)) {
        socket.write('+');
        return body;
      }
      socket.write('-');
    }
  }

  /** Sends a reply and reads one byte as its ack, sending again on anything but `+`. */
  async send(socket: net.Socket | undefined, payload: string): Promise<boolean> {
    if (!socket) return false;
    const bytes = frame(payload);
    for (let tries = 0; ; tries++) {
      if (socket.destroyed) return false;
      socket.write(Buffer.from(bytes, 'latin1'));
      const ack = await this.readByte(socket);
      if (ack === undefined) return false;
      if (ack === '+') return true;
      if (this.options.maxResends !== undefined && tries >= this.options.maxResends) return true;
    }
  }

  /**
   * Sends a packet from inside a handler (Xen's console output while the target runs, before the
   * stop reply): the serving loop is waiting on that handler, so nothing else reads acks.
   */
  emit(payload: string): Promise<boolean> {
    return this.send(this.socket, payload);
  }
}
