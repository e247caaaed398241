import { closeSync, openSync, readFileSync } from 'node:fs';
import type { GdbClient } from '../gdbstub/client';
import { HostRamMem, type HostRamRange } from '../memory/hostRam';
import { formatBytes } from '../memory/format';
import type { WritablePhysMem } from '../memory/physMem';
import { hex } from '../util/numbers';
import { type FlatRange, hostBackedRanges, parseGpa2hva, systemMemoryRanges } from './qemuMemoryMap';
import { isLoopback, peerProcess } from './qemuProcess';
import type { PhysicalStrategy } from './target';

/** Guest RAM in a file QEMU maps shared (`-object memory-backend-file,share=on,…`). */
export interface SharedRamFile {
  path: string;
  /** The memory backend's id: the region name QEMU's flat view gives its ranges. */
  region: string;
}

/** A host path to guest RAM, or why there is none. */
export type HostRam = { mem: HostRamMem; reason: string; strategy: PhysicalStrategy } | { mem?: undefined; why: string };

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOENT' ? 'no such file' : (code ?? String(e));
}

function ptraceHint(): string {
  try {
    const scope = readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim();
    return ` (kernel.yama.ptrace_scope = ${scope}: reading another process's memory needs its user${scope === '1' ? ' and to be its parent' : ''}, or root)`;
  } catch {
    return ' (reading another process\'s memory needs its user, or root)';
  }
}

function summary(ranges: readonly FlatRange[]): string {
  const byRegion = new Map<string, bigint>();
  for (const r of ranges) byRegion.set(r.region, (byRegion.get(r.region) ?? 0n) + (r.end - r.start + 1n));
  return [...byRegion].map(([name, bytes]) => `${name} ${formatBytes(bytes)}`).join(', ');
}

/**
 * Where guest RAM can be read on this host, as QEMU's monitor describes it: the shared RAM file
 * (when given, or with `file` found through qom-get), else the QEMU process's memory at the host
 * addresses `gpa2hva` gives. The first bytes of RAM and of `probe` (the root table) are read
 * both ways and must be equal, or the path is not used.
 */
export async function findHostRam(client: GdbClient, stub: WritablePhysMem, how: 'file' | 'proc' | 'auto', file: SharedRamFile | undefined, probes: readonly bigint[]): Promise<HostRam> {
  const peer = client.connection.peer;
  const { localPort, remoteAddress, remotePort } = client.connection.endpoints;
  if (!remoteAddress || !isLoopback(remoteAddress) || localPort === undefined || remotePort === undefined) {
    return { why: `the stub at ${peer} is not on this host` };
  }
  let ranges: FlatRange[];
  try {
    ranges = hostBackedRanges(systemMemoryRanges(await client.monitor('info mtree -f')));
  } catch (e) {
    return { why: `QEMU's memory map (info mtree -f) is not available: ${(e as Error).message}` };
  }
  let found: HostRam;
  if (how !== 'proc' && (file !== undefined || how === 'file')) found = await fromFile(client, stub, ranges, file);
  else found = { why: 'no shared RAM file' };
  if (found.mem === undefined && how !== 'file') {
    const proc = await fromProcess(client, stub, ranges, localPort, remotePort);
    found = proc.mem ? proc : { why: how === 'auto' && file ? `${found.why}; ${proc.why}` : proc.why };
  }
  if (found.mem === undefined) return found;
  const mismatch = await verify(client, found.mem, stub, [ranges[0].start, ...probes]);
  if (mismatch) {
    found.mem.close();
    return { why: mismatch };
  }
  return found;
}

async function fromFile(client: GdbClient, stub: WritablePhysMem, ranges: FlatRange[], given: SharedRamFile | undefined): Promise<HostRam> {
  let file = given;
  if (file === undefined) {
    // A backend the user set up: its file, if it is shared.
    for (const region of new Set(ranges.map((r) => r.region))) {
      // qom-get prints strings as JSON ("/dev/shm/ram") and booleans bare.
      const quoted = (await client.monitor(`qom-get /objects/${region} mem-path`).catch(() => '')).trim();
      let path = quoted;
      try {
        if (quoted.startsWith('"')) path = String(JSON.parse(quoted));
      } catch {
        path = ''; // not a path we can read
      }
      const share = (await client.monitor(`qom-get /objects/${region} share`).catch(() => '')).trim();
      if (path.startsWith('/') && share === 'true') file = { path, region };
    }
    if (file === undefined) return { why: "QEMU's RAM is not a shared file (-object memory-backend-file,share=on)" };
  }
  const mine = ranges.filter((r) => r.region === file.region);
  if (mine.length === 0) return { why: `QEMU's memory map has no range of ${file.region}, the shared RAM file's backend` };
  let fd: number;
  try {
    fd = openSync(file.path, 'r');
  } catch (e) {
    return { why: `cannot open the shared RAM file ${file.path}: ${errnoText(e)}` };
  }
  const host: HostRamRange[] = mine.map((r) => ({ gpa: Number(r.start), bytes: Number(r.end - r.start + 1n), position: Number(r.offset) }));
  const reason = `QEMU guest RAM via shared file ${file.path} (${summary(mine)}); MMIO and holes through the stub`;
  return { mem: new HostRamMem(fd, host, stub, `${client.connection.peer}, guest RAM from ${file.path}`, file.path), reason, strategy: { kind: 'hostFile', path: file.path } };
}

async function fromProcess(client: GdbClient, stub: WritablePhysMem, ranges: FlatRange[], localPort: number, remotePort: number): Promise<HostRam> {
  const peer = peerProcess(localPort, remotePort);
  if (peer.pid === undefined) return { why: peer.why };
  const path = `/proc/${peer.pid}/mem`;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return { why: `cannot read ${path} (${peer.command}): ${errnoText(e)}${ptraceHint()}` };
  }
  const host: HostRamRange[] = [];
  try {
    // One gpa2hva per RAM block: its ranges lie at their offsets from the block's host address.
    const base = new Map<string, bigint>();
    for (const r of ranges) {
      if (!base.has(r.region)) base.set(r.region, parseGpa2hva(await client.monitor(`gpa2hva ${hex(r.start)}`)) - r.offset);
      host.push({ gpa: Number(r.start), bytes: Number(r.end - r.start + 1n), position: Number(base.get(r.region)! + r.offset) });
    }
  } catch (e) {
    closeSync(fd);
    return { why: `QEMU's gpa2hva did not answer as expected: ${(e as Error).message}` };
  }
  const reason = `QEMU guest RAM via ${path} (gpa2hva: ${summary(ranges)}); MMIO and holes through the stub`;
  return { mem: new HostRamMem(fd, host, stub, `${client.connection.peer}, guest RAM from ${path}`, path), reason, strategy: { kind: 'hostProcess', pid: peer.pid } };
}

/** Reads a few places both ways; a difference means the host path is not this guest's RAM. */
async function verify(client: GdbClient, host: HostRamMem, stub: WritablePhysMem, probes: readonly bigint[]): Promise<string | undefined> {
  const BYTES = 0x200;
  const places = [...new Set(probes)].filter((pa) => host.covers(pa, BYTES));
  try {
    const viaStub = await client.withPhysical(() => Promise.all(places.map((pa) => stub.read(pa, BYTES))));
    for (const [i, pa] of places.entries()) {
      const direct = await host.read(pa, BYTES);
      if (!Buffer.from(direct).equals(Buffer.from(viaStub[i]))) return `the host's bytes at ${hex(pa)} differ from the stub's: not used`;
    }
  } catch (e) {
    return `checking the host path against the stub failed: ${(e as Error).message}`;
  }
  return undefined;
}
