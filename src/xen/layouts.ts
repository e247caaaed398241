import { type LinearPageTable, linearFromSlot } from '../paging/linear';
import type { PagingMode } from '../paging/modes';
import type { BitsPerLong } from './reader';

/** What a region of Xen's virtual address space is for. */
export type RegionKind =
  | 'guest' // owned by the guest kernel
  | 'non-canonical'
  | 'm2p-ro' // machine_to_phys_mapping, read-only view guests may read
  | 'm2p-rw' // machine_to_phys_mapping, Xen's writable view
  | 'm2p-compat' // 32-bit entries for 32-bit PV guests
  | 'linear-pt' // recursive window onto the current guest page tables
  | 'shadow-linear-pt' // the same onto the shadow tables
  | 'perdomain' // GDT/LDT shadow, map cache, argument translation
  | 'pci-mmcfg'
  | 'vmap' // vmap()/ioremap()/fixmap
  | 'xen-image' // Xen text, static data, bss
  | 'frame-table' // struct page_info per frame
  | 'direct-map' // 1:1 mapping of machine memory
  | 'ioremap'
  | 'reserved';

export interface XenRegion {
  name: string;
  kind: RegionKind;
  start: bigint;
  /** Exclusive. */
  end: bigint;
  /** x86_64: the PML4 slots the region occupies, first and last. */
  pml4?: readonly [number, number];
  description: string;
  /** Where the bounds come from (header and Xen version). */
  source: string;
}

export interface XenLayout {
  /** "Xen 4.17 x86_64", "Xen 3.x x86_32 PAE", … */
  name: string;
  arch: 'x86_64' | 'x86_32-pae' | 'x86_32' | 'x86_64-compat-guest';
  /** Paging mode of the tables the layout lives in. */
  mode: Extract<PagingMode, 'long4' | 'pae' | 'legacy32'>;
  bitsPerLong: BitsPerLong;
  /** Sorted, non-overlapping, covering the whole address space. */
  regions: readonly XenRegion[];
  linearPageTable?: LinearPageTable;
  shadowLinearPageTable?: LinearPageTable;
  /** Machine address 0 appears at `start` (subject to PDX compression on x86_64). */
  directMap?: { start: bigint; end: bigint };
  /** Where machine_to_phys_mapping can be read, and the size of one entry. */
  m2p: { readOnly: bigint; writable?: bigint; entryBytes: 4 | 8; compat?: bigint };
  /** Where struct page_info entries live; `entryBytes` is sizeof(struct page_info) where this module decodes it. */
  frameTable?: { start: bigint; end: bigint; entryBytes?: number };
}

const CONFIG_H_417 = 'xen/arch/x86/include/asm/config.h, Xen 4.17';
const CONFIG_H_413 = 'xen/include/asm-x86/config.h, Xen 4.13 (the same bounds since 4.4)';

/** PML4_ADDR(slot): slot << 39, sign-extended (config.h, Xen 4.17). */
export function pml4Addr(slot: number): bigint {
  const a = BigInt(slot) << 39n; // PML4_ENTRY_BITS = 39, config.h Xen 4.17
  return slot >= 256 ? a | 0xffff_0000_0000_0000n : a;
}

export function pml4SlotOf(va: bigint): number {
  return Number((va >> 39n) & 0x1ffn);
}

const GB = 1n << 30n;
const TOP64 = 1n << 64n;

export interface X8664Options {
  /** CONFIG_BIGMEM (more than 16 TiB): frame table in slots 262-264, direct map from 265. Default false (Debian's build). */
  bigmem?: boolean;
  /**
   * The tables are a PV guest's (default): slots 272-511 belong to the guest kernel. False for
   * the idle vCPU's or an HVM guest's context, where Xen's direct map continues to slot 510.
   */
  pvContext?: boolean;
  /**
   * Xen 4.4-4.13: a second, read-only 1 GiB compat M2P ("high", for 32-bit PV guests' kernels)
   * at 0xffff82d040000000, and Xen's image 1 GiB higher at 0xffff82d080000000.
   */
  highCompatM2p?: boolean;
}

/**
 * Xen's x86_64 virtual layout as config.h draws it for Xen 4.17. The same bounds hold from
 * Xen 4.14, when commit 5af040ef8b57 (2020-04) dropped the high compat M2P and Xen's image moved
 * down to 0xffff82d040000000 (before: 0xffff82d080000000), and still hold in later releases.
 */
export function xen417X8664(opts: X8664Options = {}): XenLayout {
  const bigmem = opts.bigmem ?? false;
  const pv = opts.pvContext ?? true;
  const high = opts.highCompatM2p ?? false;
  const source = high ? CONFIG_H_413 : CONFIG_H_417;
  const r = (name: string, kind: RegionKind, start: bigint, end: bigint, pml4: [number, number], description: string): XenRegion => ({
    name,
    kind,
    start,
    end,
    pml4,
    description,
    source,
  });
  const slot261 = pml4Addr(261);
  const rwMpt = slot261; // RDWR_MPT_VIRT_START = PML4_ADDR(261), config.h 4.17
  const vmap = rwMpt + 256n * GB; // VMAP_VIRT_START = RDWR_MPT_VIRT_END (MPT_VIRT_SIZE = 256 GiB), config.h 4.17
  const compatMpt = vmap + 64n * GB; // RDWR_COMPAT_MPT_VIRT_START = VMAP_VIRT_END (64 GiB), config.h 4.17
  const hiroMpt = compatMpt + GB; // HIRO_COMPAT_MPT_VIRT_START = RDWR_COMPAT_MPT_VIRT_END, config.h 4.4-4.13
  // XEN_VIRT_START = RDWR_COMPAT_MPT_VIRT_END = 0xffff82d040000000 (config.h 4.17); HIRO_COMPAT_MPT_VIRT_END = 0xffff82d080000000 before 4.14
  const xenText = high ? hiroMpt + GB : compatMpt + GB;
  const directStart = pml4Addr(bigmem ? 265 : 262); // DIRECTMAP_VIRT_START, config.h 4.17
  const ftSize = bigmem ? 1536n * GB : 128n * GB; // FRAMETABLE_SIZE, config.h 4.17
  const ftStart = directStart - ftSize; // FRAMETABLE_VIRT_START = DIRECTMAP_VIRT_START - FRAMETABLE_SIZE, config.h 4.17
  const regions: XenRegion[] = [
    r('guest', 'guest', 0n, 1n << 47n, [0, 255], 'Guest-defined use (a 32-bit PV guest: its 4 GiB, with the compat M2P at 0xf5800000)'),
    { name: 'non-canonical', kind: 'non-canonical', start: 1n << 47n, end: pml4Addr(256), description: 'Inaccessible: 48-bit sign-extended VAs only', source: CONFIG_H_417 },
    r('ro-m2p', 'm2p-ro', pml4Addr(256), pml4Addr(256) + 256n * GB, [256, 256], 'Read-only machine-to-phys table (GUEST ACCESSIBLE): unsigned long per mfn'),
    r('reserved-shared', 'reserved', pml4Addr(256) + 256n * GB, pml4Addr(257), [256, 256], 'Reserved for future shared info with the guest OS (guest accessible)'),
    r('pci-mmcfg', 'pci-mmcfg', pml4Addr(257), pml4Addr(258), [257, 257], 'ioremap for PCI mmconfig space (2048 segments)'),
    r('linear-pt', 'linear-pt', pml4Addr(258), pml4Addr(259), [258, 258], "Guest linear page table: slot 258 of the current L4 points back at that L4"),
    r('shadow-linear-pt', 'shadow-linear-pt', pml4Addr(259), pml4Addr(260), [259, 259], 'Shadow linear page table (shadow paging)'),
    r('perdomain', 'perdomain', pml4Addr(260), pml4Addr(261), [260, 260],
      'Per-domain mappings: GDT/LDT shadow at +0, map_domain_page() cache at +1 GiB, argument translation at +2 GiB'),
    r('rw-m2p', 'm2p-rw', rwMpt, vmap, [261, 261], "Machine-to-phys table, Xen's writable view (same entries as the read-only one)"),
    r('vmap', 'vmap', vmap, compatMpt, [261, 261], 'vmap()/ioremap()/fixmap area (64 GiB)'),
    r('compat-m2p', 'm2p-compat', compatMpt, compatMpt + GB, [261, 261], 'Compatibility machine-to-phys table: 32-bit entries for 32-bit PV guests (CONFIG_PV32)'),
    ...(high ? [r('hiro-compat-m2p', 'm2p-compat', hiroMpt, xenText, [261, 261], 'High read-only compatibility machine-to-phys table (32-bit PV guests; dropped in 4.14)')] : []),
    r('xen-image', 'xen-image', xenText, xenText + GB, [261, 261], 'Xen text, static data, bss (xen-syms symbols live here)'),
  ];
  if (!bigmem) {
    regions.push(
      r('reserved', 'reserved', xenText + GB, ftStart, [261, 261], 'Reserved for future use'),
      r('frame-table', 'frame-table', ftStart, directStart, [261, 261], 'Page-frame information array: struct page_info per pdx (128 GiB)'),
    );
  } else {
    regions.push(
      r('reserved', 'reserved', xenText + GB, pml4Addr(262), [261, 261], 'Reserved for future use'),
      r('frame-table', 'frame-table', ftStart, directStart, [262, 264], 'Page-frame information array: struct page_info per pdx (1.5 TiB, CONFIG_BIGMEM)'),
    );
  }
  const directEnd = pv ? pml4Addr(272) : pml4Addr(511);
  regions.push(r('direct-map', 'direct-map', directStart, directEnd, [bigmem ? 265 : 262, pv ? 271 : 510], '1:1 direct mapping of all physical memory (offsets PDX-compressed)'));
  if (pv) regions.push(r('guest-high', 'guest', pml4Addr(272), TOP64, [272, 511], 'PV: guest-defined use (a Linux PV kernel lives here)'));
  else regions.push(r('unused', 'reserved', pml4Addr(511), TOP64, [511, 511], 'HVM/idle: unused'));
  return {
    name: `Xen ${high ? '4.4-4.13' : '4.17'} x86_64${bigmem ? ' (BIGMEM)' : ''}${pv ? '' : ', idle/HVM context'}`,
    arch: 'x86_64',
    mode: 'long4',
    bitsPerLong: 64,
    regions,
    linearPageTable: linearFromSlot('long4', 258), // LINEAR_PT_VIRT_START = PML4_ADDR(258), config.h 4.17
    shadowLinearPageTable: linearFromSlot('long4', 259), // SH_LINEAR_PT_VIRT_START = PML4_ADDR(259), config.h 4.17
    directMap: { start: directStart, end: directEnd },
    m2p: { readOnly: pml4Addr(256), writable: rwMpt, entryBytes: 8, compat: compatMpt },
    frameTable: { start: ftStart, end: directStart, entryBytes: bigmem ? 48 : 32 },
  };
}

/** Xen 4.17 x86_64 for a PV guest's page tables: the layout seen on a Xen 4.17 boot under QEMU. */
export const XEN_417_X86_64: XenLayout = xen417X8664();
/** Xen 4.4-4.13 x86_64, PV context. */
export const XEN_44_X86_64: XenLayout = xen417X8664({ highCompatM2p: true });
