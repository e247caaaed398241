import { describe, expect, it } from 'vitest';
import { translate } from '../../../src/paging';
import {
  directMapMaddr,
  directMapVa,
  linearEntryOf,
  m2pEntryVa,
  pml4Addr,
  pteVa,
  regionOf,
  XEN_417_X86_64,
  XEN_X86_32_PAE,
  xen417CompatGuest,
  xen417X8664,
  type XenLayout,
} from '../../../src/xen';
import { FakeMem } from './fakeMem';

function name(va: bigint, layout: XenLayout = XEN_417_X86_64): string | undefined {
  return regionOf(va, layout)?.region.name;
}

function checkTiles(layout: XenLayout, top: bigint): void {
  expect(layout.regions[0].start).toBe(0n);
  for (let i = 1; i < layout.regions.length; i++) expect(layout.regions[i].start).toBe(layout.regions[i - 1].end);
  expect(layout.regions.at(-1)!.end).toBe(top);
}

describe('Xen 4.17 x86_64 layout (config.h)', () => {
  it('tiles the address space, with config.h’s bounds', () => {
    checkTiles(XEN_417_X86_64, 1n << 64n);
    checkTiles(xen417X8664({ bigmem: true }), 1n << 64n);
    checkTiles(xen417X8664({ pvContext: false }), 1n << 64n);
    const b = Object.fromEntries(XEN_417_X86_64.regions.map((r) => [r.name, [r.start, r.end, r.pml4]]));
    expect(b['ro-m2p']).toEqual([0xffff_8000_0000_0000n, 0xffff_8040_0000_0000n, [256, 256]]);
    expect(b['pci-mmcfg']).toEqual([0xffff_8080_0000_0000n, 0xffff_8100_0000_0000n, [257, 257]]);
    expect(b['linear-pt']).toEqual([0xffff_8100_0000_0000n, 0xffff_8180_0000_0000n, [258, 258]]);
    expect(b['shadow-linear-pt']).toEqual([0xffff_8180_0000_0000n, 0xffff_8200_0000_0000n, [259, 259]]);
    expect(b['perdomain']).toEqual([0xffff_8200_0000_0000n, 0xffff_8280_0000_0000n, [260, 260]]);
    expect(b['rw-m2p']).toEqual([0xffff_8280_0000_0000n, 0xffff_82c0_0000_0000n, [261, 261]]);
    expect(b['vmap']).toEqual([0xffff_82c0_0000_0000n, 0xffff_82d0_0000_0000n, [261, 261]]);
    expect(b['compat-m2p']).toEqual([0xffff_82d0_0000_0000n, 0xffff_82d0_4000_0000n, [261, 261]]);
    expect(b['xen-image']).toEqual([0xffff_82d0_4000_0000n, 0xffff_82d0_8000_0000n, [261, 261]]);
    expect(b['frame-table']).toEqual([0xffff_82e0_0000_0000n, 0xffff_8300_0000_0000n, [261, 261]]);
    expect(b['direct-map']).toEqual([0xffff_8300_0000_0000n, 0xffff_8800_0000_0000n, [262, 271]]);
    expect(pml4Addr(262)).toBe(0xffff_8300_0000_0000n);
    expect(pml4Addr(4)).toBe(0x0000_0200_0000_0000n);
  });

  it('0xffff830000000000 is the direct map: machine address 0 (as seen on a Xen 4.17 boot under QEMU)', () => {
    const hit = regionOf(0xffff_8300_0000_0000n, XEN_417_X86_64)!;
    expect(hit).toMatchObject({ region: { kind: 'direct-map' }, pml4Slot: 262, offset: 0n, directMap: { maddr: 0n } });
    expect(regionOf(0xffff_8300_1234_5678n, XEN_417_X86_64)!.directMap).toEqual({ maddr: 0x1234_5678n });
    expect(directMapVa(0x1234_5000n, XEN_417_X86_64)).toBe(0xffff_8300_1234_5000n);
    expect(directMapMaddr(0xffff_8300_1234_5000n, XEN_417_X86_64)).toBe(0x1234_5000n);
    expect(() => directMapVa(5n << 40n, XEN_417_X86_64)).toThrow(/beyond/);
    // An idle or HVM vCPU's tables: the direct map goes on to slot 510.
    expect(directMapVa(5n << 40n, xen417X8664({ pvContext: false }))).toBe(0xffff_8800_0000_0000n);
  });

  it('applies PDX compression to direct-map offsets (xen/pdx.h)', () => {
    // Hole of 4 bits above pfn bit 20: machine 0x30_0001_2345 (pfn 0x3000012) sits at offset 0x3_0001_2345.
    const pdx = { pfnPdxHoleShift: 4, pfnPdxBottomMask: 0xfffffn };
    expect(directMapVa(0x30_0001_2345n, XEN_417_X86_64, pdx)).toBe(0xffff_8300_0000_0000n + 0x3_0001_2345n);
    expect(directMapMaddr(0xffff_8303_0001_2345n, XEN_417_X86_64, pdx)).toBe(0x30_0001_2345n);
    expect(regionOf(0xffff_8303_0001_2345n, XEN_417_X86_64, { pdx })!.directMap).toEqual({ maddr: 0x30_0001_2345n });
  });

  it('0xffff800000000000 is the read-only M2P: one 8-byte entry per mfn', () => {
    expect(regionOf(0xffff_8000_0000_0000n, XEN_417_X86_64)).toMatchObject({ region: { kind: 'm2p-ro' }, pml4Slot: 256, m2p: { mfn: 0n, entryBytes: 8 } });
    expect(regionOf(0xffff_8000_0000_0010n, XEN_417_X86_64)!.m2p).toEqual({ mfn: 2n, entryBytes: 8 });
    expect(m2pEntryVa(5n, XEN_417_X86_64)).toBe(0xffff_8000_0000_0028n);
    expect(m2pEntryVa(5n, XEN_417_X86_64, 'writable')).toBe(0xffff_8280_0000_0028n);
    expect(regionOf(0xffff_82d0_0000_0008n, XEN_417_X86_64)!.m2p).toEqual({ mfn: 2n, entryBytes: 4 });
  });

  it('0xffff810000000000 is the linear page table: PTE VAs by hand', () => {
    const lpt = XEN_417_X86_64.linearPageTable!;
    expect(lpt).toEqual({ mode: 'long4', base: 0xffff_8100_0000_0000n });
    // PTE of 0xffff830000000000: (0x830000000000 >> 12) * 8 = 0x4180000000, plus the base.
    expect(pteVa(0xffff_8300_0000_0000n, XEN_417_X86_64)).toBe(0xffff_8141_8000_0000n);
    // PTE of 0x400000: (0x400000 >> 12) * 8 = 0x2000; its PDE: (0x810000002000 >> 12) * 8 + base.
    expect(pteVa(0x40_0000n, XEN_417_X86_64)).toBe(0xffff_8100_0000_2000n);
    expect(pteVa(0x40_0000n, XEN_417_X86_64, 2)).toBe(0xffff_8140_8000_0010n);
    const hit = regionOf(0xffff_8141_8000_0000n, XEN_417_X86_64)!;
    expect(hit.region.kind).toBe('linear-pt');
    expect(hit.linear).toMatchObject({ level: 1, mapsVa: 0xffff_8300_0000_0000n, covers: 0x1000n });
    expect(linearEntryOf(0xffff_8140_8000_0010n, lpt)).toEqual({ level: 2, mapsVa: 0x40_0000n, covers: 0x20_0000n });
    // The L4 itself is at 258<<39 | 258<<30 | 258<<21 | 258<<12; its entry 258 points back at it.
    expect(linearEntryOf(0xffff_8140_a050_2810n, lpt)).toEqual({ level: 4, mapsVa: 0xffff_8100_0000_0000n, covers: 1n << 39n });
  });

  it('finds the PTE through a recursive slot 258 in a real walk', async () => {
    // An L4 at 0x1000 with slot 258 → itself and slot 0 → L3 0x2000 → L2 0x3000 → L1 0x4000 → page 0x9000 at VA 0x400000.
    const mem = new FakeMem(true);
    mem.u64(0x1000n + 258n * 8n, 0x1003n).u64(0x1000n, 0x2003n).u64(0x2000n, 0x3003n).u64(0x3000n + 2n * 8n, 0x4003n).u64(0x4000n, 0x9003n);
    const physical = { description: 'fake', read: (a: bigint, n: number) => mem.read(a, n) };
    const pte = await translate(pteVa(0x40_0000n, XEN_417_X86_64), { mode: 'long4', root: 0x1000n }, physical);
    expect(pte.pa).toBe(0x4000n); // the PTE's VA lands on entry 0 of the L1 table
  });

  it('places the rest', () => {
    expect(regionOf(0xffff_82d0_4020_0000n, XEN_417_X86_64)!.region.kind).toBe('xen-image');
    expect(regionOf(0xffff_82e0_0000_0000n, XEN_417_X86_64)!.frameTable).toEqual({ pdx: 0n, mfn: 0n, byteInEntry: 0 });
    expect(regionOf(0xffff_82e0_0000_0028n, XEN_417_X86_64)!.frameTable).toEqual({ pdx: 1n, mfn: 1n, byteInEntry: 8 });
    expect(name(0xffff_8200_0000_0000n)).toBe('perdomain');
    expect(name(0x1000n)).toBe('guest');
    expect(name(0x0000_8000_0000_0000n)).toBe('non-canonical');
    expect(name(0xffff_8880_0000_0000n)).toBe('guest-high');
    expect(name(0xffff_8880_0000_0000n, xen417X8664({ pvContext: false }))).toBe('direct-map');
    expect(name(0xffff_8300_0000_0000n, xen417X8664({ bigmem: true }))).toBe('frame-table');
    expect(name(0xffff_8480_0000_0000n, xen417X8664({ bigmem: true }))).toBe('direct-map');
  });
});

describe('Xen x86_32 PAE layout (xen-devel “PAE guest address maps?”)', () => {
  it('tiles 4 GiB from HYPERVISOR_VIRT_START 0xF5800000 up', () => {
    checkTiles(XEN_X86_32_PAE, 1n << 32n);
    expect(XEN_X86_32_PAE.regions.map((r) => [r.name, r.start])).toEqual([
      ['guest', 0n],
      ['ro-m2p', 0xf580_0000n],
      ['frame-table', 0xf680_0000n],
      ['rw-m2p', 0xfc80_0000n],
      ['linear-pt', 0xfd80_0000n],
      ['shadow-linear-pt', 0xfe00_0000n],
      ['perdomain', 0xfe80_0000n],
      ['direct-map', 0xff00_0000n],
      ['ioremap', 0xffc0_0000n],
    ]);
  });

  it('reads the post’s addresses: M2P read-only at 0xF5800000, writable at 0xFC800000, linear at 0xFD800000', () => {
    expect(regionOf(0xf580_0000n, XEN_X86_32_PAE)).toMatchObject({ region: { kind: 'm2p-ro' }, m2p: { mfn: 0n, entryBytes: 4 } });
    expect(regionOf(0xf580_0004n, XEN_X86_32_PAE)!.m2p).toEqual({ mfn: 1n, entryBytes: 4 });
    expect(regionOf(0xfc80_0000n, XEN_X86_32_PAE)!.region.kind).toBe('m2p-rw');
    expect(regionOf(0xf680_0000n, XEN_X86_32_PAE)!.region.kind).toBe('frame-table');
    expect(regionOf(0xc000_0000n, XEN_X86_32_PAE)!.region.kind).toBe('guest');
    // The post's formula: ((0xC0000000 & 0xFFFFF000) >> 9) + 0xFD800000 = 0xFDE00000.
    expect(pteVa(0xc000_0000n, XEN_X86_32_PAE)).toBe(0xfde0_0000n);
    expect(regionOf(0xfde0_0000n, XEN_X86_32_PAE)!.linear).toMatchObject({ level: 1, mapsVa: 0xc000_0000n });
    // The page directories through the window: PD0..PD3 appear at 0xFDFEC000.., so the PDE of 0xC0000000 (PD3, entry 0) is at 0xFDFEF000.
    expect(pteVa(0xc000_0000n, XEN_X86_32_PAE, 2)).toBe(0xfdfe_f000n);
    expect(linearEntryOf(0xfdfe_f000n, XEN_X86_32_PAE.linearPageTable!)).toEqual({ level: 2, mapsVa: 0xc000_0000n, covers: 0x20_0000n });
    expect(() => pteVa(0xc000_0000n, XEN_X86_32_PAE, 3)).toThrow(/levels 1-2/);
    expect(directMapVa(0x10_0000n, XEN_X86_32_PAE)).toBe(0xff10_0000n);
  });

  it('a 32-bit PV guest of Xen 4.17 sees the compat M2P from 0xF5800000', () => {
    const g = xen417CompatGuest();
    checkTiles(g, 1n << 32n);
    expect(regionOf(0xf580_0008n, g)).toMatchObject({ region: { kind: 'm2p-ro' }, m2p: { mfn: 2n, entryBytes: 4 } });
    expect(() => xen417CompatGuest(0x1000n)).toThrow(/outside/);
  });
});
