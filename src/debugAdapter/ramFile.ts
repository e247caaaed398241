/**
 * Guest RAM in a shared file, for a QEMU the adapter starts: `-object memory-backend-file,
 * share=on,…` and `-machine memory-backend=…` make QEMU keep RAM in a file the adapter can read
 * directly (in /dev/shm, so still memory). The file is removed once QEMU has it mapped: QEMU and
 * the reader keep what they opened, and nothing is left behind whatever happens to either.
 */
import { existsSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SharedRamFile } from '../target/hostPhysical';

/** The memory backend's id, which is also the region name QEMU's memory map gives guest RAM. */
export const RAM_BACKEND_ID = 'hyperframe-ram';

/** QEMU's default guest RAM on x86 when `-m` is not given. */
const DEFAULT_RAM_BYTES = 128 << 20;

const SUFFIX: Record<string, number> = { '': 1 << 20, b: 1, k: 1 << 10, m: 1 << 20, g: 1 << 30, t: 2 ** 40 };

/** Guest RAM size from QEMU's `-m` (`512`, `1G`, `size=2G,slots=2,maxmem=8G`), or undefined if unreadable. */
export function ramBytesOfArgs(args: readonly string[]): number | undefined {
  let spec: string | undefined;
  for (let i = 0; i < args.length; i++) if (args[i] === '-m' || args[i] === '--m') spec = args[i + 1];
  if (spec === undefined) return DEFAULT_RAM_BYTES;
  const size = spec.split(',').map((p) => p.replace(/^size=/, '')).find((p) => !p.includes('='));
  const m = /^(\d+(?:\.\d+)?)([bkmgt]?)$/i.exec(size ?? '');
  return m ? Math.round(Number(m[1]) * SUFFIX[m[2].toLowerCase()]) : undefined;
}

export interface RamFilePlan {
  /** QEMU's arguments with the backend added. */
  args: string[];
  file: SharedRamFile;
  /** Removes the file (QEMU and readers keep what they opened). */
  unlink(): void;
}

/** Free bytes under `dir`, or 0 when unknown. */
function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return 0;
  }
}

/**
 * Adds a shared RAM file to QEMU's arguments, or says why not (then QEMU runs as given and the
 * adapter reads its memory another way).
 */
export function planRamFile(args: readonly string[]): RamFilePlan | { why: string } {
  if (args.some((a) => /^-(-)?(mem-path|numa)$/.test(a) || /memory-backend/.test(a))) {
    return { why: "QEMU's arguments set up guest RAM themselves" };
  }
  const bytes = ramBytesOfArgs(args);
  if (bytes === undefined) return { why: "QEMU's -m is not a size the adapter reads" };
  const base = ['/dev/shm', tmpdir()].find((d) => existsSync(d) && freeBytes(d) > bytes);
  if (base === undefined) return { why: `no room for ${bytes >> 20} MiB of guest RAM in /dev/shm or ${tmpdir()}` };
  const dir = mkdtempSync(join(base, 'hyperframe-ram-'));
  const path = join(dir, 'guest-ram');
  let removed = false;
  const unlink = (): void => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', unlink);
  return {
    args: [...args, '-object', `memory-backend-file,id=${RAM_BACKEND_ID},size=${bytes},mem-path=${path.replace(/,/g, ',,')},share=on`, '-machine', `memory-backend=${RAM_BACKEND_ID}`],
    file: { path, region: RAM_BACKEND_ID },
    unlink,
  };
}
