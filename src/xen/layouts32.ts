import { HyperFrameError } from '../util/errors';
import type { RegionKind, XenLayout, XenRegion } from './layouts';

const CONFIG_H_32 = 'xen/include/asm-x86/config.h, x86_32 branch, Xen 3.0 (the table xen-devel “PAE guest address maps?” quotes)';
const CONFIG_H_COMPAT = 'xen/arch/x86/include/asm/config.h, Xen 4.17 (compatibility guest area)';
const MB = 1n << 20n;

export interface X8632Options {
  /** CONFIG_X86_PAE (default true): 3-level tables, larger M2P and frame table, HYPERVISOR_VIRT_START 0xF5800000 instead of 0xFC000000. */
  pae?: boolean;
}

/**
 * The 32-bit hypervisor's layout (Xen 3.x-4.2; 4.3 dropped x86_32), high to low as config.h
 * builds it down from 4 GiB: I/O remap 4 MiB, direct map 12 MiB (Xen's code, data and xenheap),
 * map_domain_page cache 4 MiB and per-domain mappings 4 MiB, shadow and guest linear page tables
 * (4 MiB each, PAE 8), the writable M2P (4 MiB, PAE 16), the frame table (24 MiB, PAE 96) and the
 * read-only M2P (4 MiB, PAE 16) at HYPERVISOR_VIRT_START. Seed 004's table, both columns.
 */
export function xenX8632(opts: X8632Options = {}): XenLayout {
  const pae = opts.pae ?? true;
  const linearMb = pae ? 8n : 4n; // LINEARPT_MBYTES, config.h 3.0
  const machphysMb = pae ? 16n : 4n; // MACHPHYS_MBYTES, config.h 3.0
  const frametableMb = pae ? 96n : 24n; // FRAMETABLE_MBYTES (PAE: MACHPHYS_MBYTES * 6), config.h 3.0
  const r = (name: string, kind: RegionKind, start: bigint, mbytes: bigint, description: string): XenRegion => ({
    name,
    kind,
    start,
    end: start + mbytes * MB,
    description,
    source: CONFIG_H_32,
  });
  const roMpt = pae ? 0xf580_0000n : 0xfc00_0000n; // HYPERVISOR_VIRT_START = RO_MPT_VIRT_START, config.h 3.0
  const ft = roMpt + machphysMb * MB; // FRAMETABLE_VIRT_START
  const rwMpt = ft + frametableMb * MB; // RDWR_MPT_VIRT_START
  const lpt = rwMpt + machphysMb * MB; // LINEAR_PT_VIRT_START (PAE 0xFD800000)
  const slpt = lpt + linearMb * MB; // SH_LINEAR_PT_VIRT_START
  const perdomain = slpt + linearMb * MB; // PERDOMAIN_VIRT_START (PERDOMAIN_MBYTES 4 + MAPCACHE_MBYTES 4)
  const direct = perdomain + 8n * MB; // DIRECTMAP_VIRT_START (DIRECTMAP_MBYTES 12)
  const ioremap = direct + 12n * MB; // IOREMAP_VIRT_START = 0xFFC00000 (IOREMAP_MBYTES 4)
  const regions: XenRegion[] = [
    { name: 'guest', kind: 'guest', start: 0n, end: roMpt, description: 'Guest-defined use (below HYPERVISOR_VIRT_START)', source: CONFIG_H_32 },
    r('ro-m2p', 'm2p-ro', roMpt, machphysMb, 'Machine-to-physical table [read-only]: start of the guest-unmodifiable area; 32-bit entries'),
    r('frame-table', 'frame-table', ft, frametableMb, 'Frame-info table (struct page_info per frame): start of the guest-inaccessible area'),
    r('rw-m2p', 'm2p-rw', rwMpt, machphysMb, 'Machine-to-physical table [writable]'),
    r('linear-pt', 'linear-pt', lpt, linearMb, `Guest linear page table: PTE of va at ((va & 0xFFFFF000) >> ${pae ? 9 : 10}) + 0x${lpt.toString(16).toUpperCase()}`),
    r('shadow-linear-pt', 'shadow-linear-pt', slpt, linearMb, 'Shadow linear page table'),
    r('perdomain', 'perdomain', perdomain, 8n, `Per-domain mappings (GDT/LDT), then the 4 MiB map_domain_page cache at 0x${(perdomain + 4n * MB).toString(16).toUpperCase()}`),
    r('direct-map', 'direct-map', direct, 12n, 'Direct-map (1:1) area: Xen code, data and the xenheap (machine 0-12 MiB)'),
    r('ioremap', 'ioremap', ioremap, 4n, 'I/O remapping area'),
  ];
  return {
    name: `Xen x86_32${pae ? ' PAE' : ''} (3.x-4.2)`,
    arch: pae ? 'x86_32-pae' : 'x86_32',
    mode: pae ? 'pae' : 'legacy32',
    bitsPerLong: 32,
    regions,
    linearPageTable: { mode: pae ? 'pae' : 'legacy32', base: lpt },
    shadowLinearPageTable: { mode: pae ? 'pae' : 'legacy32', base: slpt },
    directMap: { start: direct, end: ioremap },
    m2p: { readOnly: roMpt, writable: rwMpt, entryBytes: 4 },
    frameTable: { start: ft, end: rwMpt },
  };
}

/**
 * What a 32-bit PV guest of a 64-bit Xen (4.17) sees in its 4 GiB: its own space, then the
 * read-only compat M2P from HYPERVISOR_COMPAT_VIRT_START (0xF5800000 is the lower limit; Xen may
 * raise it per domain: arch.hv_compat_vstart) to MACH2PHYS_COMPAT_VIRT_END = 0xFFE00000.
 */
export function xen417CompatGuest(hvCompatVstart = 0xf580_0000n): XenLayout {
  if (hvCompatVstart < 0xf580_0000n || hvCompatVstart >= 0xffe0_0000n) {
    throw new HyperFrameError('BAD_ARGUMENT', `hv_compat_vstart 0x${hvCompatVstart.toString(16)} is outside 0xf5800000..0xffe00000`);
  }
  const src = CONFIG_H_COMPAT;
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

/** Xen 3.x-4.2 x86_32 PAE, the layout of the xen-devel post “PAE guest address maps?”. */
export const XEN_X86_32_PAE: XenLayout = xenX8632({ pae: true });
/** Xen 3.x x86_32 without PAE (2-level tables, HYPERVISOR_VIRT_START 0xFC000000). */
export const XEN_X86_32: XenLayout = xenX8632({ pae: false });
