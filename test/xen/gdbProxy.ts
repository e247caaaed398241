/**
 * A TCP relay between a gdb-remote client and QEMU's gdbstub that counts what the client asks for
 * and, on request, hides QEMU's physical-memory mode (drops PhyMemMode from the reply to
 * `qqemu.Supported`), so that QEMU can stand in for a stub without one (gdbsx, Xen's own stub)
 * and the client has to find physical memory another way (a direct map).
 *
 * One client at a time is enough for the tests; each gets its own upstream connection, and a
 * close on either side closes the other (the client's close without `D` leaves QEMU paused, as a
 * direct connection would).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface GdbProxyOptions {
  /** Drop PhyMemMode from QEMU's `qqemu.Supported` reply. */
  hidePhyMemMode?: boolean;
}

export interface GdbProxyStats {
  /** `$…#xx` packets from the client (acks and 0x03 not counted). */
  clientPackets: number;
  serverPackets: number;
  clientBytes: number;
  serverBytes: number;
  /** Client packets by name: `m`, `g`, `Hg`, `qqemu.Supported`, `Qqemu.PhyMemMode`, … */
  byName: Map<string, number>;
  /** Addresses of every `m` read, in order. */
  reads: bigint[];
  /** How many `qqemu.Supported` replies lost their PhyMemMode. */
  hidden: number;
}

export interface GdbProxy {
  readonly port: number;
  readonly stats: GdbProxyStats;
  reset(): void;
  close(): Promise<void>;
}

/** Splits a gdb-remote byte stream (latin1) into packets and single bytes; keeps an incomplete tail. */
class Framer {
  private buf = '';
  push(chunk: string): string[] {
    this.buf += chunk;
    const out: string[] = [];
    while (this.buf.length) {
      const c = this.buf[0];
      if (c === '$' || c === '%') {
        const hash = this.buf.indexOf('#');
        if (hash < 0 || this.buf.length < hash + 3) break;
        out.push(this.buf.slice(0, hash + 3));
        this.buf = this.buf.slice(hash + 3);
      } else {
        out.push(c);
        this.buf = this.buf.slice(1);
      }
    }
    return out;
  }
}

function packetName(payload: string): string {
  const c = payload[0] ?? '';
  if (c === 'q' || c === 'Q' || c === 'v') return /^[^:,;]*/.exec(payload)?.[0] ?? payload;
  if (c === 'H') return payload.slice(0, 2);
  return c;
}

function frame(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

function emptyStats(): GdbProxyStats {
  return { clientPackets: 0, serverPackets: 0, clientBytes: 0, serverBytes: 0, byName: new Map(), reads: [], hidden: 0 };
}

export async function startGdbProxy(upstreamPort: number, opts: GdbProxyOptions = {}, upstreamHost = '127.0.0.1'): Promise<GdbProxy> {
  let stats = emptyStats();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: upstreamHost, port: upstreamPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true); // or every packet waits ~40 ms for Nagle
      s.setEncoding('latin1');
      s.once('close', () => sockets.delete(s));
      s.on('error', () => undefined); // the close that follows is what matters
    }
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    const fromClient = new Framer();
    client.on('data', (d: string) => {
      stats.clientBytes += d.length;
      upstream.write(d, 'latin1');
      for (const f of fromClient.push(d)) {
        if (f[0] !== '$') continue;
        const payload = f.slice(1, -3);
        stats.clientPackets++;
        const name = packetName(payload);
        stats.byName.set(name, (stats.byName.get(name) ?? 0) + 1);
        if (name === 'm') stats.reads.push(BigInt(`0x${payload.slice(1).split(',')[0]}`));
      }
    });
    const fromServer = new Framer();
    upstream.on('data', (d: string) => {
      stats.serverBytes += d.length;
      if (!opts.hidePhyMemMode) {
        client.write(d, 'latin1');
        for (const f of fromServer.push(d)) if (f[0] === '$') stats.serverPackets++;
        return;
      }
      let out = '';
      for (const f of fromServer.push(d)) {
        if (f[0] !== '$') {
          out += f;
          continue;
        }
        stats.serverPackets++;
        const items = f.slice(1, -3).split(';');
        if (items.includes('PhyMemMode') && items.includes('sstep')) {
          stats.hidden++;
          out += frame(items.filter((i) => i !== 'PhyMemMode').join(';'));
        } else out += f;
      }
      if (out) client.write(out, 'latin1');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the gdb proxy has no TCP port');
  return {
    port: address.port,
    get stats() {
      return stats;
    },
    reset: () => {
      stats = emptyStats();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
