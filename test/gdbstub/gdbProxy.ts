/**
 * A TCP proxy between a gdb-remote client and a REAL stub (QEMU), for tests that must see what the
 * client sends (the z before a D, a Z1, the z/s/Z of a step off a breakpoint), hold a connection
 * mid-negotiation, or change one of the stub's answers. Everything else passes through untouched.
 */
import net from 'node:net';

/** Something the client sent: a packet's payload, or the interrupt byte as '\x03'. */
export type Sent = string;

export interface ProxyOptions {
  /** Replaces a stub packet's payload (the frame is rebuilt with a fresh checksum). */
  rewriteReply?: (payload: string) => string;
}

function checksum(body: string): string {
  let s = 0;
  for (let i = 0; i < body.length; i++) s = (s + body.charCodeAt(i)) & 0xff;
  return s.toString(16).padStart(2, '0');
}

/** Splits a byte stream into `$…#xx` packets and single bytes, keeping what is incomplete. */
class Framer {
  private buf = '';

  push(chunk: Buffer, onPacket: (body: string) => void, onByte: (ch: string) => void): void {
    this.buf += chunk.toString('latin1');
    for (;;) {
      if (this.buf === '') return;
      if (this.buf[0] !== '$') {
        onByte(this.buf[0]);
        this.buf = this.buf.slice(1);
        continue;
      }
      const hash = this.buf.indexOf('#');
      if (hash < 0 || this.buf.length < hash + 3) return;
      onPacket(this.buf.slice(1, hash));
      this.buf = this.buf.slice(hash + 3);
    }
  }
}

export class GdbProxy {
  /** What clients sent, in order, over every connection. */
  readonly sent: Sent[] = [];
  private readonly server: net.Server;
  private held = false;
  private readonly backlog: (() => void)[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly watchers: { test: () => boolean; resolve: () => void }[] = [];

  private constructor(
    private readonly upstreamPort: number,
    private readonly options: ProxyOptions,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(upstreamPort: number, options: ProxyOptions = {}): Promise<GdbProxy> {
    const proxy = new GdbProxy(upstreamPort, options);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Packets sent from index `from` on whose payload matches. */
  packets(re: RegExp, from = 0): string[] {
    return this.sent.slice(from).filter((p) => re.test(p));
  }

  /** Resolves once `test` holds (checked after every packet the client sends), or fails after `ms`. */
  until(test: () => boolean, what: string, ms = 10_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`proxy: ${what} not seen within ${ms} ms; sent: ${JSON.stringify(this.sent.slice(-20))}`)), ms);
      this.watchers.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Stops passing bytes on, both ways, until release(). */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    for (const f of this.backlog.splice(0)) f();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pass(f: () => void): void {
    if (this.held) this.backlog.push(f);
    else f();
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.upstreamPort });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
    }
    client.on('close', () => this.pass(() => upstream.end()));
    upstream.on('close', () => this.pass(() => client.end()));

    const fromClient = new Framer();
    client.on('data', (chunk: Buffer) => {
      fromClient.push(
        chunk,
        (body) => this.record(body),
        (ch) => {
          if (ch === '\x03') this.record(ch);
        },
      );
      this.pass(() => upstream.write(chunk));
    });

    const fromStub = new Framer();
    upstream.on('data', (chunk: Buffer) => {
      const rewrite = this.options.rewriteReply;
      if (!rewrite) {
        this.pass(() => client.write(chunk));
        return;
      }
      let out = '';
      fromStub.push(
        chunk,
        (body) => {
          const payload = rewrite(body);
          out += `$${payload}#${checksum(payload)}`;
        },
        (ch) => (out += ch),
      );
      this.pass(() => client.write(Buffer.from(out, 'latin1')));
    });
  }

  private record(entry: Sent): void {
    this.sent.push(entry);
    for (let i = this.watchers.length - 1; i >= 0; i--) {
      if (this.watchers[i].test()) this.watchers.splice(i, 1)[0].resolve();
    }
  }
}
