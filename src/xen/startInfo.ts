import { HyperFrameError } from '../util/errors';
import { type BitsPerLong, type MemReader, readOrExplain } from './reader';

/**
 * struct start_info, the page Xen hands a PV guest at boot (xen/include/public/xen.h, unchanged in
 * layout from Xen 3.x through 4.17):
 *   char magic[32]; unsigned long nr_pages, shared_info; uint32_t flags; xen_pfn_t store_mfn;
 *   uint32_t store_evtchn; union { struct { xen_pfn_t mfn; uint32_t evtchn; } domU;
 *   struct { uint32_t info_off, info_size; } dom0; } console; unsigned long pt_base, nr_pt_frames,
 *   mfn_list, mod_start, mod_len; int8_t cmd_line[MAX_GUEST_CMDLINE = 1024];
 *   unsigned long first_p2m_pfn, nr_p2m_frames;
 * with xen_pfn_t = unsigned long on x86 (public/arch-x86/xen.h). The offsets below follow from
 * natural alignment of those types: 8-byte longs for x86_64 guests, 4-byte for x86_32 (PAE) ones.
 */
export interface StartInfoLayout {
  bitsPerLong: BitsPerLong;
  size: number;
  offsets: Record<StartInfoField, number>;
}

export type StartInfoField =
  | 'magic'
  | 'nr_pages'
  | 'shared_info'
  | 'flags'
  | 'store_mfn'
  | 'store_evtchn'
  | 'console'
  | 'console_domU_evtchn'
  | 'console_dom0_info_size'
  | 'pt_base'
  | 'nr_pt_frames'
  | 'mfn_list'
  | 'mod_start'
  | 'mod_len'
  | 'cmd_line'
  | 'first_p2m_pfn'
  | 'nr_p2m_frames';

/** x86_64 guests (magic "xen-3.0-x86_64", or "xen-3.0-x86_64p" as Xen writes it for a kernel with a PAE_MODE note, Linux among them): 1168 bytes. */
export const START_INFO_64: StartInfoLayout = {
  bitsPerLong: 64,
  size: 1168,
  offsets: {
    magic: 0,
    nr_pages: 32,
    shared_info: 40,
    flags: 48,
    store_mfn: 56, // xen_pfn_t, aligned to 8 after the 4-byte flags
    store_evtchn: 64,
    console: 72, // union aligned to 8: domU.mfn / dom0.info_off
    console_domU_evtchn: 80,
    console_dom0_info_size: 76,
    pt_base: 88, // the union is 16 bytes (domU: 8 + 4, padded)
    nr_pt_frames: 96,
    mfn_list: 104,
    mod_start: 112,
    mod_len: 120,
    cmd_line: 128,
    first_p2m_pfn: 1152,
    nr_p2m_frames: 1160,
  },
};

/** x86_32 guests, PAE (magic "xen-3.0-x86_32p") or 32-bit PV on a 64-bit Xen: 1112 bytes. */
export const START_INFO_32: StartInfoLayout = {
  bitsPerLong: 32,
  size: 1112,
  offsets: {
    magic: 0,
    nr_pages: 32,
    shared_info: 36,
    flags: 40,
    store_mfn: 44,
    store_evtchn: 48,
    console: 52,
    console_domU_evtchn: 56,
    console_dom0_info_size: 56,
    pt_base: 60,
    nr_pt_frames: 64,
    mfn_list: 68,
    mod_start: 72,
    mod_len: 76,
    cmd_line: 80,
    first_p2m_pfn: 1104,
    nr_p2m_frames: 1108,
  },
};

/** SIF_* bits of start_info.flags (xen/include/public/xen.h, Xen 4.17). */
export const SIF_FLAGS: ReadonlyArray<readonly [string, number]> = [
  ['SIF_PRIVILEGED', 1 << 0], // Is the domain privileged?
  ['SIF_INITDOMAIN', 1 << 1], // Is this the initial control domain?
  ['SIF_MULTIBOOT_MOD', 1 << 2], // Is mod_start a multiboot module?
  ['SIF_MOD_START_PFN', 1 << 3], // Is mod_start a PFN?
  ['SIF_VIRT_P2M_4TOOLS', 1 << 4], // Do Xen tools understand a virtually mapped P2M?
];
export const SIF_PM_MASK = 0xff << 8; // reserved for xen-pm options, public/xen.h 4.17

export const MAX_GUEST_CMDLINE = 1024; // public/xen.h

export interface StartInfo {
  layout: StartInfoLayout;
  magic: string;
  nrPages: bigint;
  /** MACHINE address of the shared info page. */
  sharedInfo: bigint;
  flags: number;
  flagNames: string[];
  /** MACHINE frame of the xenstore ring, and its event channel. */
  storeMfn: bigint;
  storeEvtchn: number;
  /** The union: dom0 (SIF_INITDOMAIN) has its console info in the start-info page; a domU a ring. */
  console: { kind: 'dom0'; infoOff: number; infoSize: number } | { kind: 'domU'; mfn: bigint; evtchn: number };
  /** VIRTUAL address of the initial page directory. */
  ptBase: bigint;
  nrPtFrames: bigint;
  /** VIRTUAL address of the initial pfn → mfn list (the XenMemoryManagement wiki page's "mfn_list"). */
  mfnList: bigint;
  /** VIRTUAL address of the module, or its PFN when SIF_MOD_START_PFN is set. */
  modStart: bigint;
  modLen: bigint;
  cmdLine: string;
  firstP2mPfn: bigint;
  nrP2mFrames: bigint;
  /** Things that look wrong (an unknown magic, an unterminated command line). */
  problems: string[];
}

/**
 * The layout a magic names: "xen-3.0-x86_64[p]" → 64, "xen-3.0-x86_32[p]" → 32. Xen builds it as
 * "xen-3.0-x86_%d%s" with "p" when the kernel's ELF notes ask for PAE (dom0_build.c), which Linux
 * does on x86_64 too: a 64-bit Linux dom0's start_info says "xen-3.0-x86_64p".
 */
export function layoutForMagic(magic: string): StartInfoLayout | undefined {
  if (/^xen-\d+\.\d+-x86_64p?$/.test(magic)) return START_INFO_64;
  if (/^xen-\d+\.\d+-x86_32p?$/.test(magic)) return START_INFO_32;
  return undefined;
}

function cString(bytes: Uint8Array): { text: string; terminated: boolean } {
  const nul = bytes.indexOf(0);
  const end = nul < 0 ? bytes.length : nul;
  return { text: new TextDecoder('latin1').decode(bytes.subarray(0, end)), terminated: nul >= 0 };
}

/**
 * Decodes a start_info page. The guest width comes from the magic unless `bitsPerLong` says it
 * (a page with a damaged magic).
 */
export function decodeStartInfo(bytes: Uint8Array, bitsPerLong?: BitsPerLong): StartInfo {
  const magic = cString(bytes.subarray(0, 32));
  const problems: string[] = [];
  let layout = layoutForMagic(magic.text);
  if (!layout) {
    if (!bitsPerLong) throw new HyperFrameError('BAD_ARGUMENT', `start_info magic '${magic.text}' is not xen-3.0-x86_64[p] or xen-3.0-x86_32[p]: give the guest's BITS_PER_LONG`);
    problems.push(`unexpected magic '${magic.text}'`);
  }
  if (bitsPerLong) {
    const want = bitsPerLong === 64 ? START_INFO_64 : START_INFO_32;
    if (layout && layout !== want) problems.push(`magic '${magic.text}' says ${layout.bitsPerLong}-bit, decoded as ${bitsPerLong}-bit as asked`);
    layout = want;
  }
  const l = layout!;
  if (bytes.length < l.size) throw new HyperFrameError('BAD_ARGUMENT', `start_info needs ${l.size} bytes, got ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const o = l.offsets;
  const long = (off: number) => (l.bitsPerLong === 64 ? dv.getBigUint64(off, true) : BigInt(dv.getUint32(off, true)));
  const u32 = (off: number) => dv.getUint32(off, true);
  const flags = u32(o.flags);
  const flagNames = SIF_FLAGS.filter(([, bit]) => flags & bit).map(([n]) => n);
  const pm = (flags & SIF_PM_MASK) >>> 8;
  if (pm) flagNames.push(`SIF_PM(0x${pm.toString(16)})`);
  const cmd = cString(bytes.subarray(o.cmd_line, o.cmd_line + MAX_GUEST_CMDLINE));
  if (!cmd.terminated) problems.push('cmd_line is not NUL-terminated');
  const console: StartInfo['console'] =
    flags & (1 << 1)
      ? { kind: 'dom0', infoOff: u32(o.console), infoSize: u32(o.console_dom0_info_size) }
      : { kind: 'domU', mfn: long(o.console), evtchn: u32(o.console_domU_evtchn) };
  return {
    layout: l,
    magic: magic.text,
    nrPages: long(o.nr_pages),
    sharedInfo: long(o.shared_info),
    flags,
    flagNames,
    storeMfn: long(o.store_mfn),
    storeEvtchn: u32(o.store_evtchn),
    console,
    ptBase: long(o.pt_base),
    nrPtFrames: long(o.nr_pt_frames),
    mfnList: long(o.mfn_list),
    modStart: long(o.mod_start),
    modLen: long(o.mod_len),
    cmdLine: cmd.text,
    firstP2mPfn: long(o.first_p2m_pfn),
    nrP2mFrames: long(o.nr_p2m_frames),
    problems,
  };
}

/** Reads and decodes the start_info at `addr` (a guest's `xen_start_info`, or the page's machine address). */
export async function readStartInfo(mem: MemReader, addr: bigint, bitsPerLong?: BitsPerLong): Promise<StartInfo> {
  return decodeStartInfo(await readOrExplain(mem, addr, START_INFO_64.size, 'start_info'), bitsPerLong);
}
