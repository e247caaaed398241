/**
 * A real Linux 6.1 guest (Debian's kernel and a busybox initramfs) under QEMU TCG, for smoke
 * tests of the live target against a kernel's own page tables.
 *
 *   const { kernel, initrd } = await prepareLinux();  // cached in test/linux/.cache/
 *   const g = await bootLinux();                      // waits for HF-LINUX-READY on ttyS0
 *   await g.hmp('info tlb');
 *   await g.stop();
 *
 * prepareLinux `apt-get download`s the newest linux-image-6.1.0-N-amd64 and busybox-static
 * (the apt lists must be current: `apt-get update`), takes vmlinuz out of the first and the
 * static busybox out of the second, and writes the initramfs (newc cpio, gzip) itself, so no
 * package has to be installed. The cache is built once and reused; a lock file keeps parallel
 * test files from building it twice. Delete the folder to fetch the newest kernel again.
 *
 * test/xen shares the pieces: download, extract and withLock for its own cache, bootQemu for its
 * QEMU, and this kernel and initramfs as Xen's dom0.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { freePort, GuestBootError, HmpClient } from '../guests/harness';

/** Where the fetched kernel and initramfs are kept (HF_LINUX_CACHE moves it: the demo's bundled copy of this code lives elsewhere). */
export const CACHE_DIR = process.env.HF_LINUX_CACHE ?? join(dirname(fileURLToPath(import.meta.url)), '.cache');
export const READY_MARKER = 'HF-LINUX-READY';
const QEMU = process.env.HF_QEMU ?? 'qemu-system-x86_64';
const KERNEL_PACKAGE = /^linux-image-6\.1\.0-(\d+)-amd64$/;

/** A guest's files could not be fetched or built (apt, dpkg-deb, the cache). */
export class GuestPrepareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestPrepareError';
  }
}

export interface FetchedPackage {
  name: string;
  version: string;
  /** Size of the .deb in bytes. */
  debBytes: number;
}

export interface LinuxFiles {
  kernel: string;
  initrd: string;
}

export interface LinuxManifest {
  packages: FetchedPackage[];
  kernelBytes: number;
  initrdBytes: number;
  builtAt: string;
}

// ---------------------------------------------------------------- small process helpers

export function run(cmd: string, args: string[], opts: { cwd?: string; maxBuffer?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, maxBuffer: opts.maxBuffer ?? 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? `'${cmd}' not found` : `exit ${String((err as { code?: unknown }).code ?? err.message)}`;
        reject(new GuestPrepareError(`${cmd} ${args.join(' ')}: ${why}\n${stderr.trim() || stdout.trim()}`));
      } else resolve({ stdout, stderr });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- newc cpio

interface CpioEntry {
  name: string;
  /** Full st_mode: type and permission bits. */
  mode: number;
  data?: Uint8Array;
  rdevMajor?: number;
  rdevMinor?: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** A `newc` cpio archive (what the kernel unpacks as an initramfs), trailer included. */
export function newcArchive(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    offset += b.length;
  };
  const pad4 = (): void => {
    if (offset % 4) push(Buffer.alloc(4 - (offset % 4)));
  };
  const h8 = (v: number): string => v.toString(16).padStart(8, '0');
  let ino = 1;
  for (const e of [...entries, { name: 'TRAILER!!!', mode: 0 }] as CpioEntry[]) {
    const data = e.data ?? new Uint8Array(0);
    const name = Buffer.from(`${e.name}\0`, 'utf8');
    const trailer = e.name === 'TRAILER!!!';
    const fields = [
      trailer ? 0 : ino++, // ino
      e.mode,
      0, // uid
      0, // gid
      trailer ? 1 : (e.mode & 0o170000) === S_IFDIR ? 2 : 1, // nlink
      0, // mtime (reproducible)
      data.length,
      0, // devmajor
      0, // devminor
      e.rdevMajor ?? 0,
      e.rdevMinor ?? 0,
      name.length,
      0, // check
    ];
    push(Buffer.from(`070701${fields.map(h8).join('')}`, 'ascii'));
    push(name);
    pad4();
    if (data.length) {
      push(Buffer.from(data));
      pad4();
    }
  }
  return Buffer.concat(parts);
}

/**
 * /init: mounts proc, sys and dev, prints the marker, quiets the kernel's console messages so
 * they do not interleave with the shell, and runs a shell on the console (ttyS0).
 */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "${READY_MARKER} $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
echo 1 > /proc/sys/kernel/printk
export PS1='hf-linux# '
exec sh
`;

function initramfs(busybox: Uint8Array): Buffer {
  const dir = (name: string): CpioEntry => ({ name, mode: S_IFDIR | 0o755 });
  return gzipSync(
    newcArchive([
      dir('bin'),
      dir('sbin'),
      dir('usr'),
      dir('usr/bin'),
      dir('usr/sbin'),
      dir('dev'),
      dir('proc'),
      dir('sys'),
      dir('tmp'),
      dir('root'),
      { name: 'dev/console', mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 },
      { name: 'dev/null', mode: S_IFCHR | 0o666, rdevMajor: 1, rdevMinor: 3 },
      { name: 'bin/busybox', mode: S_IFREG | 0o755, data: busybox },
      { name: 'bin/sh', mode: S_IFLNK | 0o777, data: Buffer.from('busybox') },
      { name: 'init', mode: S_IFREG | 0o755, data: Buffer.from(INIT_SCRIPT) },
    ]),
    { level: 9 },
  );
}

// ---------------------------------------------------------------- apt

/** The newest linux-image-6.1.0-N-amd64 apt knows (signed image, not -dbg/-unsigned/-cloud/-rt). */
async function newestKernelPackage(): Promise<string> {
  const { stdout } = await run('apt-cache', ['search', '--names-only', '^linux-image-6\\.1\\.0-[0-9]+-amd64$']);
  const names = stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => KERNEL_PACKAGE.test(n))
    .sort((a, b) => Number(KERNEL_PACKAGE.exec(b)?.[1]) - Number(KERNEL_PACKAGE.exec(a)?.[1]));
  if (!names[0]) {
    throw new GuestPrepareError(
      "apt knows no linux-image-6.1.0-N-amd64 package: run 'apt-get update' (Debian 12 lists) so the Linux smoke test can fetch a kernel",
    );
  }
  return names[0];
}

/** `apt-get download`s one package into `dir`: its .deb, version and size. */
export async function download(pkg: string, dir: string): Promise<FetchedPackage & { deb: string }> {
  try {
    await run('apt-get', ['download', pkg], { cwd: dir });
  } catch (e) {
    throw new GuestPrepareError(
      `cannot fetch ${pkg} with 'apt-get download' (network or apt lists?): ${(e as Error).message}\n` +
        `This smoke test needs Debian's ${pkg}; run 'apt-get update' and check the mirror is reachable.`,
    );
  }
  const deb = (await readdir(dir)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) throw new GuestPrepareError(`apt-get download ${pkg} reported success but left no ${pkg}_*.deb in ${dir}`);
  const path = join(dir, deb);
  const version = (await run('dpkg-deb', ['-f', path, 'Version'])).stdout.trim();
  return { name: pkg, version, debBytes: (await stat(path)).size, deb: path };
}

/** Extracts only the members under `member` (a ./path prefix) of a .deb's data (not all modules). */
export async function extract(deb: string, member: string, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" -f - "$3"', 'sh', deb, into, member]);
}

// ---------------------------------------------------------------- cache and lock

const KERNEL_FILE = 'vmlinuz';
const INITRD_FILE = 'initrd.cpio.gz';
const MANIFEST_FILE = 'manifest.json';
const LOCK_FILE = 'build.lock';

function cached(): LinuxFiles | undefined {
  const kernel = join(CACHE_DIR, KERNEL_FILE);
  const initrd = join(CACHE_DIR, INITRD_FILE);
  return existsSync(kernel) && existsSync(initrd) && existsSync(join(CACHE_DIR, MANIFEST_FILE)) ? { kernel, initrd } : undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `fn` holding `dir/build.lock` (O_EXCL); a lock whose owner died is taken over. */
export async function withLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  await mkdir(dir, { recursive: true });
  const lock = join(dir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new GuestPrepareError(`timed out waiting for ${lock} (held by pid ${owner || '?'})`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

/** Reads what prepareLinux fetched (versions and sizes), if the cache is built. */
export async function linuxManifest(): Promise<LinuxManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(CACHE_DIR, MANIFEST_FILE), 'utf8')) as LinuxManifest;
  } catch {
    return undefined;
  }
}

/** The kernel and initramfs, from the cache or fetched and built now. */
export async function prepareLinux(): Promise<LinuxFiles> {
  const hit = cached();
  if (hit) return hit;
  return withLock(CACHE_DIR, async () => {
    const again = cached(); // another process may have built it while we waited
    if (again) return again;
    const work = await mkdtemp(join(CACHE_DIR, 'build-'));
    try {
      const kernelPkg = await newestKernelPackage();
      const kernel = await download(kernelPkg, work);
      const busybox = await download('busybox-static', work);
      await extract(kernel.deb, './boot/', join(work, 'k'));
      const vmlinuz = (await readdir(join(work, 'k', 'boot'))).find((f) => f.startsWith('vmlinuz-'));
      if (!vmlinuz) throw new GuestPrepareError(`${kernel.name} ${kernel.version} holds no boot/vmlinuz-*`);
      await extract(busybox.deb, './bin/busybox', join(work, 'b'));
      const bb = await readFile(join(work, 'b', 'bin', 'busybox'));
      const initrd = initramfs(bb);
      await writeFile(join(work, INITRD_FILE), initrd);
      const manifest: LinuxManifest = {
        packages: [kernel, busybox].map(({ name, version, debBytes }) => ({ name, version, debBytes })),
        kernelBytes: (await stat(join(work, 'k', 'boot', vmlinuz))).size,
        initrdBytes: initrd.length,
        builtAt: new Date().toISOString(),
      };
      await writeFile(join(work, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
      // The manifest last: cached() wants all three.
      await rename(join(work, 'k', 'boot', vmlinuz), join(CACHE_DIR, KERNEL_FILE));
      await rename(join(work, INITRD_FILE), join(CACHE_DIR, INITRD_FILE));
      await rename(join(work, MANIFEST_FILE), join(CACHE_DIR, MANIFEST_FILE));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const built = cached();
    if (!built) throw new GuestPrepareError(`built the Linux guest but ${CACHE_DIR} is incomplete`);
    return built;
  });
}

// ---------------------------------------------------------------- boot

export interface LinuxBootOptions {
  /** vCPUs (default 2). */
  smp?: number;
  /** QEMU -cpu model (default qemu64). */
  cpu?: string;
  /** Guest RAM in MiB (default 512). */
  memMiB?: number;
  /** Give up waiting for the marker after this long (default 90 s). */
  timeoutMs?: number;
  /** More kernel command-line words (e.g. `pti=on`). */
  append?: string;
}

/** A QEMU started by bootQemu: its monitor, its serial console, and how to end it. */
export interface BootedQemu {
  readonly pid: number;
  readonly gdbPort: number;
  readonly monitorPath: string;
  /** Milliseconds from spawning QEMU to the marker. */
  readonly bootMs: number;
  hmp(cmd: string, timeoutMs?: number): Promise<string>;
  /** Everything the guest wrote to the serial port (QEMU's stdio) so far. */
  serial(): string;
  /** Types a line into the serial port (the guest's shell). */
  type(line: string): void;
  /** Writes raw bytes to the serial port, no newline added (control keys such as Ctrl-A). */
  send(bytes: string): void;
  /** Resolves when `text` appears on the serial port after offset `from` (default: anywhere). */
  waitSerial(text: string | RegExp, timeoutMs: number, from?: number): Promise<void>;
  stderr(): string;
  stop(): Promise<void>;
}

export interface BootedLinux extends BootedQemu {
  readonly kernel: string;
  readonly initrd: string;
  readonly smp: number;
}

export interface QemuBootSpec {
  /** Names the guest in error messages ('linux', 'xen'). */
  name: string;
  /** QEMU's arguments but for -serial, -gdb and -monitor, which bootQemu adds. */
  args: string[];
  /** Serial text that means the guest is up. */
  marker: string;
  timeoutMs: number;
  /** Serial text that means the guest died (default: a Linux panic). */
  fatal?: RegExp;
}

const live = new Set<ChildProcessWithoutNullStreams>();
let exitHook = false;

function track(child: ChildProcessWithoutNullStreams): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

function waitExit(child: ChildProcessWithoutNullStreams, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts QEMU with the serial port on stdio, a gdbstub on a free port and an HMP monitor on a unix
 * socket, and waits for `spec.marker` on the serial port.
 */
export async function bootQemu(spec: QemuBootSpec): Promise<BootedQemu> {
  const { name, timeoutMs } = spec;
  const fatal = spec.fatal ?? /Kernel panic - not syncing/;
  const dir = await mkdtemp(join(tmpdir(), `hf-${name}-`));
  const monitorPath = join(dir, 'monitor.sock');
  const gdbPort = await freePort();
  const args = [...spec.args, '-serial', 'stdio', '-gdb', `tcp:127.0.0.1:${gdbPort}`, '-monitor', `unix:${monitorPath},server=on,wait=off`];
  const started = Date.now();
  const child = spawn(QEMU, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  let serialText = '';
  let stderrText = '';
  let spawnError: Error | undefined;
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (serialText += d.replace(/\r/g, '')));
  child.stderr.on('data', (d: string) => (stderrText += d));
  child.on('error', (e) => (spawnError = e));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null && !spawnError;
  const report = (what: string): string =>
    `${name}: ${what}\n  command: ${QEMU} ${args.join(' ')}\n  qemu stderr: ${stderrText.trim() || '(empty)'}\n  serial (last 3000 chars): ${serialText.slice(-3000)}`;

  let hmpClient: HmpClient | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (alive()) {
        hmpClient?.send('quit');
        if (!(await waitExit(child, 3000))) {
          child.kill('SIGKILL');
          await waitExit(child, 3000);
        }
      }
      hmpClient?.close();
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const waitSerial = async (text: string | RegExp, ms: number, from = 0): Promise<void> => {
    const deadline = Date.now() + ms;
    const seen = (): boolean => {
      const s = serialText.slice(from);
      return typeof text === 'string' ? s.includes(text) : text.test(s);
    };
    while (!seen()) {
      if (!alive()) throw new GuestBootError(report(`QEMU exited (code ${child.exitCode ?? child.signalCode}) waiting for ${String(text)}`));
      if (fatal.test(serialText)) throw new GuestBootError(report(`the guest died (${String(fatal)}) waiting for ${String(text)}`));
      if (Date.now() > deadline) throw new GuestBootError(report(`no ${String(text)} on the serial port within ${ms} ms`));
      await sleep(20);
    }
  };

  try {
    await sleep(30);
    if (spawnError) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      throw new GuestBootError(code === 'ENOENT' ? `'${QEMU}' not found: install QEMU (Debian: qemu-system-x86) or set HF_QEMU` : `cannot start '${QEMU}': ${spawnError.message}`);
    }
    try {
      hmpClient = await HmpClient.connect(monitorPath, started + timeoutMs, alive);
    } catch (e) {
      throw new GuestBootError(report(alive() ? (e as Error).message : `QEMU exited (code ${child.exitCode ?? child.signalCode})`));
    }
    await waitSerial(spec.marker, timeoutMs - (Date.now() - started));
    const bootMs = Date.now() - started;
    const hmp = hmpClient;
    return {
      pid: child.pid ?? -1,
      gdbPort,
      monitorPath,
      bootMs,
      hmp: (cmd, t = 30_000) => hmp.command(cmd, t),
      serial: () => serialText,
      type: (line) => {
        child.stdin.write(`${line}\n`);
      },
      send: (bytes) => {
        child.stdin.write(bytes);
      },
      waitSerial,
      stderr: () => stderrText,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Boots the Linux guest (prepareLinux first) and waits for its marker on ttyS0. */
export async function bootLinux(opts: LinuxBootOptions = {}): Promise<BootedLinux> {
  const { kernel, initrd } = await prepareLinux();
  const smp = opts.smp ?? 2;
  const args = [
    '-accel', 'tcg',
    '-cpu', opts.cpu ?? 'qemu64',
    '-smp', String(smp),
    '-m', String(opts.memMiB ?? 512),
    '-display', 'none',
    '-nodefaults',
    '-no-reboot',
    '-kernel', kernel,
    '-initrd', initrd,
    '-append', `console=ttyS0 nokaslr${opts.append ? ` ${opts.append}` : ''}`,
  ];
  const booted = await bootQemu({ name: 'linux', args, marker: `${READY_MARKER} `, timeoutMs: opts.timeoutMs ?? 90_000 });
  return { ...booted, kernel, initrd, smp };
}
