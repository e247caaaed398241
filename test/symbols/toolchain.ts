import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch directory where tests assemble and link their own ELF files with binutils. */
export interface Workshop {
  dir: string;
  path(name: string): string;
  write(name: string, text: string | Uint8Array): Promise<string>;
  /** Runs a binutils command in the directory and returns its stdout. */
  run(cmd: string, args: string[]): string;
  cleanup(): Promise<void>;
}

export async function makeWorkshop(tag: string): Promise<Workshop> {
  const dir = await mkdtemp(join(tmpdir(), `hyperframe-${tag}-`));
  const path = (name: string): string => join(dir, name);
  return {
    dir,
    path,
    async write(name, text) {
      await writeFile(path(name), text);
      return path(name);
    },
    run: (cmd, args) => execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface NmSymbol {
  va: bigint;
  sizeBytes?: bigint;
  type: string;
  name: string;
}

/** Parses `nm -S` output: `address [size] type name`, skipping undefined symbols. */
export function parseNm(out: string): NmSymbol[] {
  const syms: NmSymbol[] = [];
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]+) (?:([0-9a-f]+) )?(\S) (.+)$/.exec(line.trim());
    if (!m) continue;
    syms.push({
      va: BigInt('0x' + m[1]),
      sizeBytes: m[2] === undefined ? undefined : BigInt('0x' + m[2]),
      type: m[3],
      name: m[4],
    });
  }
  return syms;
}
