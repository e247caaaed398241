/**
 * A TCP proxy between a gdb-remote client and a REAL stub (QEMU) that spoils one of the stub's
 * packets: the k-th `$…#xx` reply (counted from 0 over the proxy's life) is dropped, delayed,
 * corrupted, truncated, duplicated, preceded by garbage, or the connection is closed there. Every
 * other byte passes untouched, both ways. This is the one thing a real stub will not do on demand;
 * the stub behind it and the client in front are real.
 */
import net from 'node:net';

export const FAULT_KINDS = ['drop', 'delay', 'corrupt', 'truncate', 'duplicate', 'garbage', 'close'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** Which of the stub's packets (0 = the first reply of the first connection). */
  index: number;
  /** `delay`: how long the link stalls from that packet on. */
  delayMs?: number;
}

/** Bytes that are no packet: what a noisy line or a confused stub might send. */
const GARBAGE = Buffer.from('\x00\xffjunk}*#4\x7f', 'latin1');

export class FaultProxy {
  /** Stub packets seen so far (the index the next one gets). */
  packets = 0;
  /** Whether the fault has been applied. */
  fired = false;
  /** What passed, both ways (`>` client to stub, `<` stub to client), for a failing trial's report. */
  readonly log: string[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private open = 0;
  private idle: (() => void)[] = [];

  private constructor(
    private readonly upstreamPort: number,
    private readonly fault: Fault | undefined,
  ) {
    this.server = net.createServer((c) => this.accept(c));
  }

  static async start(upstreamPort: number, fault?: Fault): Promise<FaultProxy> {
    const p = new FaultProxy(upstreamPort, fault);
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    return p;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Resolves once no connection to the stub is open (QEMU takes one client at a time). */
  whenIdle(): Promise<void> {
    return this.open === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.upstreamPort });
    this.open++;
    let closed = 0;
    let stalledUntil = 0;
    const queue: Buffer[] = [];
    const toClient = (b: Buffer): void => {
      if (Date.now() < stalledUntil || queue.length) {
        queue.push(b);
        return;
      }
      if (!client.destroyed) client.write(b);
    };
    const flush = (): void => {
      for (const b of queue.splice(0)) if (!client.destroyed) client.write(b);
    };
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.once('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
        if (++closed === 2) {
          this.open--;
          if (this.open === 0) for (const f of this.idle.splice(0)) f();
        }
      });
    }
    client.on('data', (b: Buffer) => {
      this.log.push(`> ${b.toString("latin1").slice(0, 60)}`);
      upstream.write(b);
    });

    let buf = '';
    upstream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      this.log.push(`< ${chunk.toString('latin1').slice(0, 60)} (${chunk.length} bytes${this.fired ? '' : `, packet ${this.packets}`})`);
      let out = '';
      const emit = (): void => {
        if (out) toClient(Buffer.from(out, 'latin1'));
        out = '';
      };
      while (buf.length) {
        if (buf[0] !== '$') {
          out += buf[0];
          buf = buf.slice(1);
          continue;
        }
        const hash = buf.indexOf('#');
        if (hash < 0 || buf.length < hash + 3) break;
        const raw = buf.slice(0, hash + 3);
        buf = buf.slice(hash + 3);
        const index = this.packets++;
        const f = this.fault;
        if (!f || this.fired || index !== f.index) {
          out += raw;
          continue;
        }
        this.fired = true;
        switch (f.kind) {
          case 'drop':
            break;
          case 'delay':
            emit();
            stalledUntil = Date.now() + (f.delayMs ?? 2000);
            queue.push(Buffer.from(raw, 'latin1'));
            setTimeout(flush, f.delayMs ?? 2000);
            break;
          case 'corrupt': {
            // A checksum that cannot match: the client must refuse it (and QEMU resends on '-').
            const digit = raw[raw.length - 1] === '0' ? '1' : '0';
            out += raw.slice(0, -1) + digit;
            break;
          }
          case 'truncate':
            out += raw.slice(0, Math.max(1, Math.floor(raw.length / 2)));
            break;
          case 'duplicate':
            out += raw + raw;
            break;
          case 'garbage':
            out += GARBAGE.toString('latin1') + raw;
            break;
          case 'close':
            emit();
            client.destroy();
            upstream.destroy();
            return;
        }
      }
      emit();
    });
  }
}
