/**
 * Builds the test guests from their assembly sources with GNU as + ld (32-bit output, so no
 * multilib compiler is needed). Output goes to test/guests/build/ (gitignored); a guest is
 * rebuilt only when a source, the shared include, the linker script or this file is newer.
 * `buildGuestIn` takes the folders explicitly, for callers bundled elsewhere (the demo), where
 * this module's own URL no longer points into test/guests.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GUEST_NAMES, type GuestName } from './expected-types';

const HERE = dirname(fileURLToPath(import.meta.url));
export const GUEST_SRC_DIR = join(HERE, 'src');
export const GUEST_BUILD_DIR = join(HERE, 'build');

/** Where guests are built from and into. */
export interface GuestDirs {
  /** test/guests: holds src/ and this file (build.ts), whose flags are an input of every guest. */
  guestsDir: string;
  /** Output folder for `<name>.elf`. */
  buildDir: string;
}

const DEFAULT_DIRS: GuestDirs = { guestsDir: HERE, buildDir: GUEST_BUILD_DIR };

interface GuestSource {
  source: string;
  defines: string[];
}

const SOURCES: Record<GuestName, GuestSource> = {
  legacy32: { source: 'legacy32.s', defines: [] },
  pae: { source: 'pae.s', defines: [] },
  long4: { source: 'long4.s', defines: [] },
  long4smp: { source: 'long4.s', defines: ['SMP=1'] },
  long5: { source: 'long5.s', defines: [] },
  long4spin: { source: 'long4.s', defines: ['SMP=1', 'SPIN=1'] },
};

const SHARED_INPUTS = ['common.inc', 'guest.ld', 'spin.inc'];

export class GuestBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestBuildError';
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          new GuestBuildError(
            `'${cmd}' not found: the test guests need GNU binutils (as, ld); install the 'binutils' package`,
          ),
        );
      } else {
        reject(new GuestBuildError(`cannot run '${cmd}': ${err.message}`));
      }
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new GuestBuildError(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${output}`));
    });
  });
}

async function mtimeMs(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function upToDate(name: GuestName, out: string, guestsDir: string): Promise<boolean> {
  const built = await mtimeMs(out);
  if (built === undefined) return false;
  const srcDir = join(guestsDir, 'src');
  const inputs = [
    join(srcDir, SOURCES[name].source),
    ...SHARED_INPUTS.map((f) => join(srcDir, f)),
    join(guestsDir, 'build.ts'),
  ];
  for (const input of inputs) {
    const t = await mtimeMs(input);
    if (t === undefined || t > built) return false;
  }
  return true;
}

export function guestElfPath(name: GuestName, buildDir = GUEST_BUILD_DIR): string {
  return join(buildDir, `${name}.elf`);
}

/**
 * Builds one guest from `dirs.guestsDir`/src into `dirs.buildDir` (skipped when up to date) and
 * returns the ELF's path. Not cached: `buildGuest` is the cached entry point for the tests.
 */
export async function buildGuestIn(name: GuestName, dirs: GuestDirs): Promise<string> {
  if (!SOURCES[name]) throw new GuestBuildError(`unknown guest '${String(name)}'`);
  const { guestsDir, buildDir } = dirs;
  const srcDir = join(guestsDir, 'src');
  const out = guestElfPath(name, buildDir);
  if (await upToDate(name, out, guestsDir)) return out;
  await mkdir(buildDir, { recursive: true });
  // Unique temporaries, then an atomic rename: parallel test workers may build at once.
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const obj = join(buildDir, `${name}.${tag}.o`);
  const tmpElf = join(buildDir, `${name}.${tag}.elf`);
  const { source, defines } = SOURCES[name];
  try {
    await run('as', [
      '--32',
      '-I',
      srcDir,
      ...defines.flatMap((d) => ['--defsym', d]),
      '-o',
      obj,
      join(srcDir, source),
    ]);
    await run('ld', ['-m', 'elf_i386', '-T', join(srcDir, 'guest.ld'), '-o', tmpElf, obj]);
    await rename(tmpElf, out);
  } finally {
    await rm(obj, { force: true });
    await rm(tmpElf, { force: true });
  }
  return out;
}

const cache = new Map<GuestName, Promise<string>>();

/** Path of the guest's ELF, building it first if needed (cached per process). */
export function buildGuest(name: GuestName): Promise<string> {
  if (!SOURCES[name]) return Promise.reject(new GuestBuildError(`unknown guest '${String(name)}'`));
  let p = cache.get(name);
  if (!p) {
    p = buildGuestIn(name, DEFAULT_DIRS);
    cache.set(name, p);
    p.catch(() => cache.delete(name));
  }
  return p;
}

/** Build several guests (all by default); resolves to their ELF paths. */
export async function buildGuests(
  names: readonly GuestName[] = GUEST_NAMES,
): Promise<Partial<Record<GuestName, string>>> {
  const out: Partial<Record<GuestName, string>> = {};
  for (const name of names) out[name] = await buildGuest(name);
  return out;
}
