import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isIP } from 'node:net';

/**
 * Which process serves a TCP connection on this host: the peer of our socket, found the way `ss
 * -p` finds it (the connection's inode in /proc/net/tcp*, then the process holding a descriptor
 * on that socket). Linux only; anything else answers with the reason it could not.
 */
export type PeerProcess = { pid: number; command: string } | { pid?: undefined; why: string };

/** True for 127.0.0.0/8, ::1 and localhost: a stub on this very host. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** The inodes of sockets whose local port is `localPort` and remote port `remotePort`. */
function inodesOf(table: string, localPort: number, remotePort: number): number[] {
  const out: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const lp = parseInt(f[1].split(':').pop() ?? '', 16);
    const rp = parseInt(f[2].split(':').pop() ?? '', 16);
    if (lp === localPort && rp === remotePort) out.push(Number(f[9]));
  }
  return out.filter((i) => i > 0);
}

// /proc reads are tiny and answered by the kernel at once: plain synchronous calls are the fastest.
function attempt<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

function processName(pid: string): string {
  return attempt(() => readFileSync(`/proc/${pid}/comm`, 'utf8'), '').trim();
}

function holds(pid: string, sockets: Set<string>): boolean {
  for (const fd of attempt(() => readdirSync(`/proc/${pid}/fd`), [] as string[])) {
    if (sockets.has(attempt(() => readlinkSync(`/proc/${pid}/fd/${fd}`), ''))) return true;
  }
  return false;
}

/**
 * The process on the other end of our connection from `ourPort` to `theirPort` on this host.
 * QEMU processes (by name) are looked at first, then every process we may look into.
 */
export function peerProcess(ourPort: number, theirPort: number): PeerProcess {
  if (process.platform !== 'linux') return { why: `finding the stub's process needs Linux's /proc (this is ${process.platform})` };
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].map((p) => attempt(() => readFileSync(p, 'utf8'), ''));
  // Their socket: local port theirs, remote port ours.
  const inodes = tables.flatMap((t) => inodesOf(t, theirPort, ourPort));
  if (inodes.length === 0) {
    return { why: `no socket on this host serves our connection to port ${theirPort} (the stub is in another network namespace, a container, or behind a forwarder)` };
  }
  const sockets = new Set(inodes.map((i) => `socket:[${i}]`));
  if (holds(String(process.pid), sockets)) return { why: `the other end of port ${theirPort} is this very process (a relay), not QEMU` };
  const pids = attempt(() => readdirSync('/proc'), [] as string[]).filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  // QEMU by name first (newest first: usually the one just started), then anyone.
  pids.sort((a, b) => Number(b) - Number(a));
  const others: string[] = [];
  for (const pid of pids) {
    const name = processName(pid);
    if (!name.startsWith('qemu')) others.push(pid);
    else if (holds(pid, sockets)) return { pid: Number(pid), command: name };
  }
  for (const pid of others) if (holds(pid, sockets)) return { pid: Number(pid), command: processName(pid) };
  return { why: `the process serving port ${theirPort} is not visible here (another PID namespace, or no right to look into it)` };
}
