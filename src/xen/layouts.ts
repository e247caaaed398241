import { HyperFrameError } from '../util/errors';
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
  arch: 'x86_64' | 'x86_32-pae' | 'x86_64-compat-guest';
  /** Paging mode of the tables the layout lives in. */
  mode: Extract<PagingMode, 'long4' | 'pae'>;
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
const CONFIG_H_32 = 'xen/include/asm-x86/config.h x86_32 PAE branch, Xen 3.x-4.2 (xen-devel “PAE guest address maps?”)';

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
}

/**
 * Xen's x86_64 virtual layout as config.h draws it for Xen 4.17. The same bounds hold from
 * Xen 4.14, when commit 5af040ef8b57 (2020-04) dropped the high compat M2P and Xen's image moved
 * down to 0xffff82d040000000 (before: 0xffff82d080000000), and still hold in later releases.
 */
export function xen417X8664(opts: X8664Options = {}): XenLayout {
  const bigmem = opts.bigmem ?? false;
  const pv = opts.pvContext ?? true;
  const r = (name: string, kind: RegionKind, start: bigint, end: bigint, pml4: [number, number], description: string): XenRegion => ({
    name,
    kind,
    start,
    end,
    pml4,
    description,
    source: CONFIG_H_417,
  });
  const slot261 = pml4Addr(261);
  const rwMpt = slot261; // RDWR_MPT_VIRT_START = PML4_ADDR(261), config.h 4.17
  const vmap = rwMpt + 256n * GB; // VMAP_VIRT_START = RDWR_MPT_VIRT_END (MPT_VIRT_SIZE = 256 GiB), config.h 4.17
  const compatMpt = vmap + 64n * GB; // RDWR_COMPAT_MPT_VIRT_START = VMAP_VIRT_END (64 GiB), config.h 4.17
  const xenText = compatMpt + GB; // XEN_VIRT_START = RDWR_COMPAT_MPT_VIRT_END = 0xffff82d040000000, config.h 4.17
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
    r('compat-m2p', 'm2p-compat', compatMpt, xenText, [261, 261], 'Compatibility machine-to-phys table: 32-bit entries for 32-bit PV guests (CONFIG_PV32)'),
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
    name: `Xen 4.17 x86_64${bigmem ? ' (BIGMEM)' : ''}${pv ? '' : ', idle/HVM context'}`,
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

/**
 * The x86_32 PAE hypervisor's layout (Xen 3.0-4.2; the 32-bit hypervisor was dropped in 4.3), as
 * The xen-devel post “PAE guest address maps?” quotes config.h, high to low: I/O remap 4 MiB, direct map 12 MiB, per-domain 8 MiB
 * (with the 4 MiB map_domain_page cache), shadow linear PT 8 MiB, guest linear PT 8 MiB, writable
 * M2P 16 MiB, frame table 96 MiB, read-only M2P 16 MiB; HYPERVISOR_VIRT_START = 0xF5800000.
 */
export function xenX8632Pae(): XenLayout {
  const MB = 1n << 20n;
  const r = (name: string, kind: RegionKind, start: bigint, mbytes: bigint, description: string): XenRegion => ({
    name,
    kind,
    start,
    end: start + mbytes * MB,
    description,
    source: CONFIG_H_32,
  });
  // Built upward from HYPERVISOR_VIRT_START; each size is the PAE-SIZE column of config.h's table (xen-devel “PAE guest address maps?”).
  const roMpt = 0xf580_0000n; // RO_MPT_VIRT_START = HYPERVISOR_VIRT_START, config.h x86_32 PAE
  const ft = roMpt + 16n * MB; // FRAMETABLE_VIRT_START (MACHPHYS_MBYTES 16), config.h x86_32 PAE
  const rwMpt = ft + 96n * MB; // RDWR_MPT_VIRT_START (FRAMETABLE_MBYTES 96), config.h x86_32 PAE
  const lpt = rwMpt + 16n * MB; // LINEAR_PT_VIRT_START = 0xFD800000, config.h x86_32 PAE
  const slpt = lpt + 8n * MB; // SH_LINEAR_PT_VIRT_START (LINEARPT_MBYTES 8), config.h x86_32 PAE
  const perdomain = slpt + 8n * MB; // PERDOMAIN_VIRT_START (PERDOMAIN_MBYTES 8), config.h x86_32 PAE
  const direct = perdomain + 8n * MB; // DIRECTMAP_VIRT_START (DIRECTMAP_MBYTES 12), config.h x86_32 PAE
  const ioremap = direct + 12n * MB; // IOREMAP_VIRT_START = 0xFFC00000 (IOREMAP_MBYTES 4), config.h x86_32 PAE
  const regions: XenRegion[] = [
    { name: 'guest', kind: 'guest', start: 0n, end: roMpt, description: 'Guest-defined use (below HYPERVISOR_VIRT_START)', source: CONFIG_H_32 },
    r('ro-m2p', 'm2p-ro', roMpt, 16n, 'Machine-to-physical table [read-only]: start of the guest-unmodifiable area; 32-bit entries'),
    r('frame-table', 'frame-table', ft, 96n, 'Frame-info table: start of the guest-inaccessible area'),
    r('rw-m2p', 'm2p-rw', rwMpt, 16n, 'Machine-to-physical table [writable]'),
    r('linear-pt', 'linear-pt', lpt, 8n, 'Guest linear page table: PTE of va at ((va & 0xFFFFF000) >> 9) + 0xFD800000'),
    r('shadow-linear-pt', 'shadow-linear-pt', slpt, 8n, 'Shadow linear page table'),
    r('perdomain', 'perdomain', perdomain, 8n, 'Per-domain mappings, including the 4 MiB map_domain_page cache at 0xFEC00000'),
    r('direct-map', 'direct-map', direct, 12n, 'Direct-map (1:1) area: Xen code, data and heap (machine 0-12 MiB)'),
    r('ioremap', 'ioremap', ioremap, 4n, 'I/O remapping area'),
  ];
  return {
    name: 'Xen x86_32 PAE (3.x-4.2)',
    arch: 'x86_32-pae',
    mode: 'pae',
    bitsPerLong: 32,
    regions,
    linearPageTable: { mode: 'pae', base: lpt },
    shadowLinearPageTable: { mode: 'pae', base: slpt },
    directMap: { start: direct, end: ioremap },
    m2p: { readOnly: roMpt, writable: rwMpt, entryBytes: 4 },
    frameTable: { start: ft, end: rwMpt },
  };
}

/**
 * What a 32-bit PV guest of a 64-bit Xen (4.17) sees in its 4 GiB: its own space, then the
 * read-only compat M2P from HYPERVISOR_COMPAT_VIRT_START (0xF5800000 is the lower limit; Xen may
 * raise it per domain) to MACH2PHYS_COMPAT_VIRT_END = 0xFFE00000 (config.h 4.17).
 */
export function xen417CompatGuest(hvCompatVstart = 0xf580_0000n): XenLayout {
  if (hvCompatVstart < 0xf580_0000n || hvCompatVstart >= 0xffe0_0000n) {
    throw new HyperFrameError('BAD_ARGUMENT', `hv_compat_vstart 0x${hvCompatVstart.toString(16)} is outside 0xf5800000..0xffe00000`);
  }
  const src = CONFIG_H_417 + ' (compatibility guest area)';
  return {
    name: 'Xen 4.17 x86_64, 32-bit PV guest',
    arch: 'x86_64-compat-guest',
    mode: 'pae',
    bitsPerLong: 32,
    regions: [
      { name: 'guest', kind: 'guest', start: 0n, end: hvCompatVstart, description: 'Guest-defined use', source: src },
      { name: 'ro-m2p', kind: 'm2p-ro', start: hvCompatVstart, end: 0xffe0_0000n, description: 'Read-only machine-to-phys table (32-bit entries, GUEST ACCESSIBLE)', source: src },
      { name: 'xen-reserved', kind: 'reserved', start: 0xffe0_0000n, end: 1n << 32n, description: 'Xen-reserved: above MACH2PHYS_COMPAT_VIRT_END', source: src },
    ],
    m2p: { readOnly: hvCompatVstart, entryBytes: 4 },
  };
}

/** Xen 4.17 x86_64 for a PV guest's page tables: the layout seen on a Xen 4.17 boot under QEMU. */
export const XEN_417_X86_64: XenLayout = xen417X8664();
/** Xen 3.x-4.2 x86_32 PAE, the layout of the xen-devel post “PAE guest address maps?”. */
export const XEN_X86_32_PAE: XenLayout = xenX8632Pae();
