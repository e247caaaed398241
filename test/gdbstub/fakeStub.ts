/**
 * A FAKE gdb-remote stub on 127.0.0.1, for the failures a real QEMU will not produce on demand:
 * NAKs, corrupt or garbage bytes, silence (timeouts), a connection dropped mid-request, and stubs
 * unlike QEMU (no target description, no Z1, a small `m` cap, binary X, no-ack mode). Everything
 * that QEMU can show is tested against QEMU itself. Its framing code is written independently of
 * src/gdbstub/codec so that the two check each other.
 */
import net from 'node:net';
import { GdbClient, type GdbClientOptions } from '../../src/gdbstub/client';

/** One packet payload, several (sent back to back), nothing (stay silent), or raw bytes. */
export type FakeAnswer = string | string[] | null | { raw: string };

export type FakeHandler = (payload: string, stub: FakeStub) => FakeAnswer | Promise<FakeAnswer>;

function sum(text: string): string {
  let s = 0;
  for (let i = 0; i < text.length; i++) s = (s + text.charCodeAt(i)) & 0xff;
  return s.toString(16).padStart(2, '0');
}

/** Frames a payload, escaping `# $ } *` like a real stub does for binary data. */
export function frame(payload: string): string {
  const body = payload.replace(/[#$}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
  return `$${body}#${sum(body)}`;
}

function unescape(body: string): string {
  return body.replace(/\}([\s\S])/g, (_, c: string) => String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

export class FakeStub {
  /** Payloads received, in order (retransmissions included). */
  readonly received: string[] = [];
  interrupts = 0;
  acksFromClient = 0;
  naksFromClient = 0;
  /** Send `-` instead of `+` for the next N packets. */
  nakNext = 0;
  /** Send the next N replies (and their retransmissions) with a wrong checksum. */
  corruptNext = 0;
  ackMode = true;
  client: net.Socket | undefined;
  private lastReply: string | undefined;
  private readonly server: net.Server;
  private connected: (() => void) | undefined;

  private constructor(
    public handler: FakeHandler,
    private readonly onConnect?: (stub: FakeStub) => void,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async start(handler: FakeHandler, onConnect?: (stub: FakeStub) => void): Promise<FakeStub> {
    const stub = new FakeStub(handler, onConnect);
    await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Resolves once a client has connected. */
  whenConnected(): Promise<void> {
    return this.client ? Promise.resolve() : new Promise((r) => (this.connected = r));
  }

  send(payload: string): void {
    this.sendRaw(frame(payload));
  }

  sendRaw(bytes: string): void {
    this.client?.write(Buffer.from(bytes, 'latin1'));
  }

  dropClient(): void {
    this.client?.destroy();
  }

  async close(): Promise<void> {
    this.client?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.client = socket;
    socket.setNoDelay(true);
    let state: 'idle' | 'body' | 'cs' = 'idle';
    let body = '';
    let cs = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const ch of chunk.toString('latin1')) {
        if (state === 'idle') {
          if (ch === '$') {
            state = 'body';
            body = '';
          } else if (ch === '+') this.acksFromClient++;
          else if (ch === '-') {
            this.naksFromClient++;
            if (this.lastReply !== undefined) this.sendReply(this.lastReply); // a real stub resends
          }
          else if (ch === '\x03') {
            this.interrupts++;
            void this.answer('\x03');
          }
        } else if (state === 'body') {
          if (ch === '#') {
            state = 'cs';
            cs = '';
          } else body += ch;
        } else {
          cs += ch;
          if (cs.length === 2) {
            state = 'idle';
            this.onPacket(body, cs);
          }
        }
      }
    });
    this.onConnect?.(this);
    this.connected?.();
  }

  private onPacket(body: string, cs: string): void {
    const payload = unescape(body);
    this.received.push(payload);
    if (sum(body) !== cs.toLowerCase()) {
      if (this.ackMode) this.sendRaw('-');
      return;
    }
    if (this.nakNext > 0) {
      this.nakNext--;
      this.sendRaw('-');
      return;
    }
    if (this.ackMode) this.sendRaw('+');
    void this.answer(payload);
  }

  private sendReply(payload: string): void {
    this.lastReply = payload;
    const good = frame(payload);
    if (this.corruptNext > 0) {
      this.corruptNext--;
      this.sendRaw(good.slice(0, -2) + (good.slice(-2) === '00' ? '01' : '00'));
    } else this.sendRaw(good);
  }

  private async answer(payload: string): Promise<void> {
    const reply = await this.handler(payload, this);
    if (reply === null) return;
    if (typeof reply === 'string') this.sendReply(reply);
    else if (Array.isArray(reply)) this.sendRaw(reply.map(frame).join(''));
    else this.sendRaw(reply.raw);
  }
}

/** Little-endian hex of `value` in `bytes` bytes (test data for `g` replies). */
export function le(value: bigint, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++) out += ((value >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return out;
}

/** One fake stub and the client connected to it, per test; `cleanup` goes in afterEach. */
export function fakeClients(): {
  open(handler: FakeHandler, options?: GdbClientOptions): Promise<[FakeStub, GdbClient]>;
  cleanup(): Promise<void>;
} {
  let stub: FakeStub | undefined;
  let client: GdbClient | undefined;
  return {
    async open(handler, options = {}) {
      stub = await FakeStub.start(handler);
      client = await GdbClient.connect('127.0.0.1', stub.port, { timeoutMs: 2000, ...options });
      return [stub, client];
    },
    async cleanup() {
      client?.connection.close();
      await stub?.close();
      stub = client = undefined;
    },
  };
}
