/**
 * A TCP proxy between a gdb-remote client and a REAL stub (QEMU), for tests that must see what the
 * client sends (the z before a D, a Z1, the z/s/Z of a step off a breakpoint), hold a connection
 * mid-negotiation, or change one of the stub's answers. Everything else passes through untouched.
 *
 * It also counts what passes through (`stats`), and can hide QEMU's physical-memory mode (drop
 * PhyMemMode from the reply to `qqemu.Supported`) so that QEMU stands in for a stub without one
 * (gdbsx, Xen's own stub) and the client has to find physical memory another way (a direct map).
 * With `keepPaused` it answers a client's `D` itself and hangs up on QEMU without it, which leaves
 * the VM paused: several clients one after another then see one frozen machine.
 */
import net from 'node:net';

/** Something the client sent: a packet's payload, or the interrupt byte as '\x03'. */
export type Sent = string;

export interface ProxyOptions {
  /** Replaces a stub packet's payload (the frame is rebuilt with a fresh checksum). */
  rewriteReply?: (payload: string) => string;
  /** Drop PhyMemMode from QEMU's `qqemu.Supported` reply (applied before rewriteReply). */
  hidePhyMemMode?: boolean;
  /** Answer `D` with `OK` here and drop the stub's connection without it: the VM stays paused. */
  keepPaused?: boolean;
}

/** What passed through, over every connection. */
export interface GdbProxyStats {
  /** `$…#xx` packets from the client (acks and 0x03 not counted). */
  clientPackets: number;
  serverPackets: number;
  /** Bytes as they arrived from either side (before any rewrite). */
  clientBytes: number;
  serverBytes: number;
  /** Client packets by name: `m`, `g`, `Hg`, `qqemu.Supported`, `Qqemu.PhyMemMode`, … */
  byName: Map<string, number>;
  /** Addresses of every `m` read, in order. */
  reads: bigint[];
  /** How many `qqemu.Supported` replies lost their PhyMemMode. */
  hidden: number;
  /** How many `D` packets were answered here and not passed on (keepPaused). */
  detachesKept: number;
}

function packetName(payload: string): string {
  const c = payload[0] ?? '';
  if (c === 'q' || c === 'Q' || c === 'v') return /^[^:,;]*/.exec(payload)?.[0] ?? payload;
  if (c === 'H') return payload.slice(0, 2);
  return c;
}

/** QEMU's `qqemu.Supported` reply without PhyMemMode, or undefined if `payload` is not one that has it. */
function withoutPhyMemMode(payload: string): string | undefined {
  const items = payload.split(';');
  if (!items.includes('PhyMemMode') || !items.includes('sstep')) return undefined;
  return items.filter((i) => i !== 'PhyMemMode').join(';');
}

function checksum(body: string): string {
  let s = 0;
  for (let i = 0; i < body.length; i++) s = (s + body.charCodeAt(i)) & 0xff;
  return s.toString(16).padStart(2, '0');
}

/**
 * Splits a byte stream into `$…#xx` packets (body without `$`, `#xx`), `%…#xx` notifications and
 * single bytes (both as they came), keeping what is incomplete for the next chunk.
 */
class Framer {
  private buf = '';

  push(chunk: Buffer, onPacket: (body: string, raw: string) => void, onOther: (raw: string) => void): void {
    const buf = this.buf + chunk.toString('latin1');
    let i = 0;
    while (i < buf.length) {
      const c = buf[i];
      if (c !== '$' && c !== '%') {
        onOther(c);
        i++;
        continue;
      }
      const hash = buf.indexOf('#', i);
      if (hash < 0 || buf.length < hash + 3) break;
      const raw = buf.slice(i, hash + 3);
      if (c === '$') onPacket(buf.slice(i + 1, hash), raw);
      else onOther(raw);
      i = hash + 3;
    }
    this.buf = buf.slice(i);
  }
}

export class GdbProxy {
  /** What clients sent, in order, over every connection. */
  readonly sent: Sent[] = [];
  /** Counts of what passed through, over every connection. */
  readonly stats: GdbProxyStats = { clientPackets: 0, serverPackets: 0, clientBytes: 0, serverBytes: 0, byName: new Map(), reads: [], hidden: 0, detachesKept: 0 };
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
      s.setNoDelay(true); // or every packet waits ~40 ms for Nagle
      s.once('close', () => this.sockets.delete(s));
      s.on('error', () => undefined); // the close that follows is what matters
    }
    client.on('close', () => this.pass(() => upstream.end()));
    upstream.on('close', () => this.pass(() => client.end()));

    const fromClient = new Framer();
    let detached = false;
    client.on('data', (chunk: Buffer) => {
      this.stats.clientBytes += chunk.length;
      let kept = '';
      fromClient.push(
        chunk,
        (body, raw) => {
          this.count(body);
          this.record(body);
          if (this.options.keepPaused && /^D(;|$)/.test(body)) detached = true;
          else if (!detached) kept += raw;
        },
        (ch) => {
          if (ch === '\x03') this.record(ch);
          if (!detached) kept += ch;
        },
      );
      if (!this.options.keepPaused) this.pass(() => upstream.write(chunk));
      else if (kept) this.pass(() => upstream.write(Buffer.from(kept, 'latin1')));
      if (detached && !upstream.destroyed) {
        this.stats.detachesKept++;
        this.pass(() => {
          client.write('+$OK#9a');
          upstream.destroy(); // no D: QEMU keeps the VM stopped
        });
      }
    });

    const fromStub = new Framer();
    upstream.on('data', (chunk: Buffer) => {
      this.stats.serverBytes += chunk.length;
      const { rewriteReply, hidePhyMemMode } = this.options;
      if (!rewriteReply && !hidePhyMemMode) {
        fromStub.push(
          chunk,
          () => this.stats.serverPackets++,
          () => undefined,
        );
        this.pass(() => client.write(chunk));
        return;
      }
      let out = '';
      fromStub.push(
        chunk,
        (body, raw) => {
          this.stats.serverPackets++;
          let payload = body;
          const hidden = hidePhyMemMode ? withoutPhyMemMode(payload) : undefined;
          if (hidden !== undefined) {
            this.stats.hidden++;
            payload = hidden;
          }
          if (rewriteReply) payload = rewriteReply(payload);
          out += payload === body ? raw : `$${payload}#${checksum(payload)}`;
        },
        (raw) => (out += raw),
      );
      if (out) this.pass(() => client.write(Buffer.from(out, 'latin1')));
    });
  }

  private count(payload: string): void {
    const { stats } = this;
    stats.clientPackets++;
    const name = packetName(payload);
    stats.byName.set(name, (stats.byName.get(name) ?? 0) + 1);
    if (name === 'm') stats.reads.push(BigInt(`0x${payload.slice(1).split(',')[0]}`));
  }

  private record(entry: Sent): void {
    this.sent.push(entry);
    for (let i = this.watchers.length - 1; i >= 0; i--) {
      if (this.watchers[i].test()) this.watchers.splice(i, 1)[0].resolve();
    }
  }
}
