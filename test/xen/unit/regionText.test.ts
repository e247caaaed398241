import { describe, expect, it } from 'vitest';
import { decodeM2pEntry, layoutFor, layoutRows, parseArch, regionLines, regionOf, sizeText } from '../../../src/xen';

const at = (va: bigint, q: Parameters<typeof layoutFor>[0] = {}): string[] => {
  const layout = layoutFor(q);
  const hit = regionOf(va, layout);
  if (!hit) throw new Error('no region');
  return regionLines(hit, layout);
};

describe('layouts by version and architecture', () => {
  it('x86_64 4.14 and later puts Xen at 0xffff82d040000000; 4.4-4.13 keeps the high compat M2P below it', () => {
    expect(regionOf(0xffff_82d0_4000_0000n, layoutFor({ xen: '4.17' }))!.region.name).toBe('xen-image');
    expect(regionOf(0xffff_82d0_4000_0000n, layoutFor({ xen: '4.14' }))!.region.name).toBe('xen-image');
    expect(regionOf(0xffff_82d0_4000_0000n, layoutFor({ xen: '4.13' }))!.region.name).toBe('hiro-compat-m2p');
    expect(regionOf(0xffff_82d0_8000_0000n, layoutFor({ xen: '4.9.1' }))!.region.name).toBe('xen-image');
    expect(() => layoutFor({ xen: '4.2' })).toThrow("Xen 4.2 x86_64: layouts before 4.4 are not described (4.4-4.13 and 4.14 onwards are)");
    expect(() => layoutFor({ xen: '4.17', arch: 'x86_32-pae' })).toThrow('Xen 4.17 has no 32-bit hypervisor: x86_32 was dropped in 4.3');
    expect(() => layoutFor({ xen: 'four' })).toThrow("bad Xen version 'four'");
    expect(parseArch('PAE')).toBe('x86_32-pae');
    expect(() => parseArch('arm64')).toThrow("unknown architecture 'arm64': expected one of x86_64, x86_32-pae, x86_32, x86_64-compat");
  });

  it("seed 004's table, both columns: the 32-bit hypervisor with and without PAE", () => {
    expect(layoutRows(layoutFor({ arch: 'x86_32-pae' }))).toEqual([
      '0x00000000-0xf57fffff   3928 MiB  guest             Guest-defined use (below HYPERVISOR_VIRT_START)',
      '0xf5800000-0xf67fffff     16 MiB  ro-m2p            Machine-to-physical table [read-only]: start of the guest-unmodifiable area; 32-bit entries',
      '0xf6800000-0xfc7fffff     96 MiB  frame-table       Frame-info table (struct page_info per frame): start of the guest-inaccessible area',
      '0xfc800000-0xfd7fffff     16 MiB  rw-m2p            Machine-to-physical table [writable]',
      '0xfd800000-0xfdffffff      8 MiB  linear-pt         Guest linear page table: PTE of va at ((va & 0xFFFFF000) >> 9) + 0xFD800000',
      '0xfe000000-0xfe7fffff      8 MiB  shadow-linear-pt  Shadow linear page table',
      '0xfe800000-0xfeffffff      8 MiB  perdomain         Per-domain mappings (GDT/LDT), then the 4 MiB map_domain_page cache at 0xFEC00000',
      '0xff000000-0xffbfffff     12 MiB  direct-map        Direct-map (1:1) area: Xen code, data and the xenheap (machine 0-12 MiB)',
      '0xffc00000-0xffffffff      4 MiB  ioremap           I/O remapping area',
    ]);
    const sizes = layoutFor({ arch: 'x86_32' }).regions.map((r) => `${r.name} ${sizeText(r.end - r.start)}`);
    expect(sizes).toEqual(['guest 4032 MiB', 'ro-m2p 4 MiB', 'frame-table 24 MiB', 'rw-m2p 4 MiB', 'linear-pt 4 MiB', 'shadow-linear-pt 4 MiB', 'perdomain 8 MiB', 'direct-map 12 MiB', 'ioremap 4 MiB']);
  });
});

describe('hyperframe region text', () => {
  it("seed 002: x86_64's one direct map against the 32-bit split heap", () => {
    expect(at(0xffff_8300_0000_1000n)).toEqual([
      '0xffff830000001000  Xen 4.17 x86_64: direct-map',
      '  1:1 direct mapping of all physical memory (offsets PDX-compressed)',
      '  PML4 slots 262-271, +0x1000 into 0xffff830000000000-0xffff87ffffffffff (5 TiB)',
      '  machine address 0x1000 (mfn 0x1)',
      "  One heap: x86_64 maps every machine frame here all the time, so xenheap and domheap are one pool (xenheap pages carry PGC_xen_heap) and a release build's map_domain_page() returns the frame's direct-map address (debug builds still borrow a map-cache slot for PV vCPUs); the split-heap model (xenheap always mapped, domheap mapped on demand) belongs to x86_32 and arm32.",
      '  source: xen/arch/x86/include/asm/config.h, Xen 4.17',
    ]);
    expect(at(0xff00_2000n, { arch: 'x86_32-pae' })).toEqual([
      '0xff002000  Xen x86_32 PAE (3.x-4.2): direct-map',
      '  Direct-map (1:1) area: Xen code, data and the xenheap (machine 0-12 MiB)',
      '  +0x2000 into 0xff000000-0xffbfffff (12 MiB)',
      '  machine address 0x2000 (mfn 0x2)',
      "  Split heap: only the xenheap (Xen's own allocations) lives in this always-mapped area; domheap pages (guest memory, page tables) are not mapped until map_domain_page() puts them in the per-domain map cache for a while, as on arm32.",
      '  source: xen/include/asm-x86/config.h, x86_32 branch, Xen 3.0 (the table xen-devel “PAE guest address maps?” quotes)',
    ]);
    expect(at(0xfec0_1000n, { arch: 'x86_32-pae' })[3]).toBe('  The map_domain_page() cache: domheap frames are mapped here on demand, one short-lived slot at a time (the split-heap model).');
  });

  it("seed 004: the M2P's ~0 and 0x55555555, and the linear page table's entries", () => {
    expect(at(0xf580_0010n, { arch: 'x86_32-pae' })).toEqual([
      '0xf5800010  Xen x86_32 PAE (3.x-4.2): ro-m2p',
      '  Machine-to-physical table [read-only]: start of the guest-unmodifiable area; 32-bit entries',
      '  +0x10 into 0xf5800000-0xf67fffff (16 MiB)',
      '  machine_to_phys_mapping[0x4]: the M2P entry of mfn 0x4',
      '  Each 4-byte entry holds the pfn its owner maps that frame at; 0xffffffff (~0) is INVALID_M2P_ENTRY, a frame no guest owns; 0x55555555 is the debug pattern Xen 3.x wrote into every entry at boot: a slot never written since, a frame never owned.',
      '  source: xen/include/asm-x86/config.h, x86_32 branch, Xen 3.0 (the table xen-devel “PAE guest address maps?” quotes)',
    ]);
    // 0xfde00000 from the post: the PTE of 0xc0000000 through the PAE linear page table.
    expect(at(0xfde0_0000n, { arch: 'x86_32-pae' })[3]).toBe('  the PTE mapping 0xc0000000 (4 KiB), in the tables of the vCPU whose CR3 is loaded');
    expect(decodeM2pEntry(3n, 0x5555_5555n, 4)).toEqual({ mfn: 3n, raw: 0x5555_5555n, kind: 'debug-pattern' });
    expect(decodeM2pEntry(3n, 0x5555_5555_5555_5555n, 8)).toMatchObject({ kind: 'debug-pattern' });
  });

  it('frame table and the PV kernel half', () => {
    expect(at(0xffff_82e0_0000_0048n)[3]).toBe('  frame_table[0x2]: struct page_info of mfn 0x2, byte 8');
    expect(at(0xffff_ffff_8100_0000n)).toEqual([
      '0xffffffff81000000  Xen 4.17 x86_64: guest-high',
      '  PV: guest-defined use (a Linux PV kernel lives here)',
      '  PML4 slots 272-511, +0x77ff81000000 into 0xffff880000000000-0xffffffffffffffff (120 TiB)',
      "  A PV guest's kernel half: Linux puts its direct map at 0xffff888000000000 and its text at 0xffffffff80000000",
      '  source: xen/arch/x86/include/asm/config.h, Xen 4.17',
    ]);
    expect(at(0xffff_8800_0000_0000n, { context: 'idle' })[0]).toBe('0xffff880000000000  Xen 4.17 x86_64, idle/HVM context: direct-map');
  });
});
