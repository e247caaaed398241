/**
 * A real Xen 4.17 hypervisor (Debian's) with a PV dom0 under QEMU TCG, for smoke tests of the live
 * target against a hypervisor's own page tables.
 *
 *   const { xen, xenSyms } = await prepareXen();  // cached in test/xen/.cache/
 *   const g = await bootXen();                     // waits for dom0's HF-LINUX-READY on com1
 *   await g.hmp('info tlb');
 *   await g.stop();
 *
 * prepareXen `apt-get download`s xen-hypervisor-4.17-amd64 (boot/xen-4.17-amd64.gz, gunzipped
 * here into the multiboot1 ELF32 QEMU's -kernel loads) and its -dbg package (xen-syms: the symbol
 * table, no DWARF). dom0 is test/linux's guest: the same Debian kernel and busybox initramfs, as
 * multiboot modules, with its console on hvc0, which Xen forwards to com1 (QEMU's stdio): the
 * marker, the shell and Xen's own log share that serial port, and Xen hands serial input to dom0.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  bootQemu,
  download,
  extract,
  GuestPrepareError,
  prepareLinux,
  READY_MARKER,
  withLock,
  type BootedQemu,
  type FetchedPackage,
} from '../linux/linuxGuest';

/** Where the fetched hypervisor is kept (HF_XEN_CACHE moves it, as HF_LINUX_CACHE does for dom0's kernel). */
export const XEN_CACHE_DIR = process.env.HF_XEN_CACHE ?? join(dirname(fileURLToPath(import.meta.url)), '.cache');
export const XEN_PACKAGE = 'xen-hypervisor-4.17-amd64';
export const XEN_DBG_PACKAGE = 'xen-hypervisor-4.17-amd64-dbg';
/** What dom0's shell prompt looks like (test/linux's INIT_SCRIPT sets it). */
export const DOM0_PROMPT = 'hf-linux# ';

const XEN_FILE = 'xen';
const SYMS_FILE = 'xen-syms';
const MANIFEST_FILE = 'manifest.json';
const GZ_MEMBER = './boot/xen-4.17-amd64.gz';
const SYMS_MEMBER = './usr/lib/debug/boot/xen-syms-4.17-amd64';

export interface XenFiles {
  /** The hypervisor as QEMU's -kernel takes it: a multiboot1 ELF32. */
  xen: string;
  /** The unstripped ELF64 image with the symbol table. */
  xenSyms: string;
}

export interface XenManifest {
  packages: FetchedPackage[];
  xenBytes: number;
  xenSymsBytes: number;
  builtAt: string;
}

function cached(): XenFiles | undefined {
  const xen = join(XEN_CACHE_DIR, XEN_FILE);
  const xenSyms = join(XEN_CACHE_DIR, SYMS_FILE);
  return existsSync(xen) && existsSync(xenSyms) && existsSync(join(XEN_CACHE_DIR, MANIFEST_FILE)) ? { xen, xenSyms } : undefined;
}

/** What prepareXen fetched (versions and sizes), if the cache is built. */
export async function xenManifest(): Promise<XenManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(XEN_CACHE_DIR, MANIFEST_FILE), 'utf8')) as XenManifest;
  } catch {
    return undefined;
  }
}

function elfClass(bytes: Uint8Array): number | undefined {
  const magic = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  return magic ? bytes[4] : undefined; // 1 = ELF32, 2 = ELF64
}

/** The hypervisor and its symbols, from the cache or fetched now. */
export async function prepareXen(): Promise<XenFiles> {
  const hit = cached();
  if (hit) return hit;
  return withLock(XEN_CACHE_DIR, async () => {
    const again = cached();
    if (again) return again;
    const work = await mkdtemp(join(XEN_CACHE_DIR, 'build-'));
    try {
      const hyp = await download(XEN_PACKAGE, work);
      const dbg = await download(XEN_DBG_PACKAGE, work);
      if (hyp.version !== dbg.version) {
        throw new GuestPrepareError(`${XEN_PACKAGE} ${hyp.version} and ${XEN_DBG_PACKAGE} ${dbg.version} differ: xen-syms would not describe this xen`);
      }
      await extract(hyp.deb, GZ_MEMBER, join(work, 'h'));
      await extract(dbg.deb, SYMS_MEMBER, join(work, 'd'));
      const xen = gunzipSync(await readFile(join(work, 'h', GZ_MEMBER)));
      if (elfClass(xen) !== 1) throw new GuestPrepareError(`${GZ_MEMBER} of ${hyp.name} ${hyp.version} does not unpack to an ELF32 (multiboot) image`);
      const symsPath = join(work, 'd', SYMS_MEMBER);
      if (elfClass(await readFile(symsPath)) !== 2) throw new GuestPrepareError(`${SYMS_MEMBER} of ${dbg.name} ${dbg.version} is not an ELF64 file`);
      await writeFile(join(work, XEN_FILE), xen);
      const manifest: XenManifest = {
        packages: [hyp, dbg].map(({ name, version, debBytes }) => ({ name, version, debBytes })),
        xenBytes: xen.length,
        xenSymsBytes: (await stat(symsPath)).size,
        builtAt: new Date().toISOString(),
      };
      await writeFile(join(work, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
      // The manifest last: cached() wants all three.
      await rename(join(work, XEN_FILE), join(XEN_CACHE_DIR, XEN_FILE));
      await rename(symsPath, join(XEN_CACHE_DIR, SYMS_FILE));
      await rename(join(work, MANIFEST_FILE), join(XEN_CACHE_DIR, MANIFEST_FILE));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const built = cached();
    if (!built) throw new GuestPrepareError(`built the Xen files but ${XEN_CACHE_DIR} is incomplete`);
    return built;
  });
}

export interface XenBootOptions {
  /** Physical CPUs (default 2; dom0 gets as many vCPUs). */
  smp?: number;
  /** Machine RAM in MiB (default 1024). */
  memMiB?: number;
  /** dom0's share in MiB (default 256). */
  dom0MiB?: number;
  /** Xen's dom0_mem option as given (e.g. '384M,max:512M'); overrides dom0MiB. */
  dom0Mem?: string;
  /** Give up waiting for dom0's marker after this long (default 180 s). */
  timeoutMs?: number;
}

export interface BootedXen extends BootedQemu {
  readonly xen: string;
  readonly xenSyms: string;
  readonly dom0Kernel: string;
  readonly dom0Initrd: string;
  readonly smp: number;
  readonly memMiB: number;
}

/** A multiboot module for QEMU's -initrd list: the path (commas doubled), then its command line. */
function module(path: string, cmdline = ''): string {
  if (/\s/.test(path)) throw new GuestPrepareError(`multiboot module paths cannot hold white space (QEMU splits the path from its command line there): ${path}`);
  return `${path.replace(/,/g, ',,')}${cmdline ? ` ${cmdline.replace(/,/g, ',,')}` : ''}`;
}

/** Boots Xen with the Linux guest as a PV dom0 and waits for dom0's marker on com1. */
export async function bootXen(opts: XenBootOptions = {}): Promise<BootedXen> {
  const { kernel, initrd } = await prepareLinux();
  const { xen, xenSyms } = await prepareXen();
  const smp = opts.smp ?? 2;
  const memMiB = opts.memMiB ?? 1024;
  const args = [
    '-accel', 'tcg',
    '-cpu', 'qemu64',
    '-smp', String(smp),
    '-m', String(memMiB),
    '-display', 'none',
    '-nodefaults',
    '-no-reboot',
    '-kernel', xen,
    '-append', `console=com1 com1=115200,8n1 dom0_mem=${opts.dom0Mem ?? `${opts.dom0MiB ?? 256}M`} loglvl=all`,
    '-initrd', `${module(kernel, 'console=hvc0 earlyprintk=xen nokaslr')},${module(initrd)}`,
  ];
  const booted = await bootQemu({
    name: 'xen',
    args,
    marker: `${READY_MARKER} `,
    timeoutMs: opts.timeoutMs ?? 180_000,
    fatal: /Kernel panic - not syncing|\(XEN\) Panic on CPU/,
  });
  return { ...booted, xen, xenSyms, dom0Kernel: kernel, dom0Initrd: initrd, smp, memMiB };
}
