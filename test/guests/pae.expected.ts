/**
 * Expected state of the `pae` guest (src/pae.s): PAE paging, EFER.NXE, CR4.PGE, and a
 * Xen-style linear page table (PD3[492..495] -> PD0..PD3, window 0xfd800000-0xfdffffff).
 * Written by hand from the source.
 */
import { guest, KiB4, lowPageTable, MiB2, page, shifted, type ExpectedLeaf, type GuestExpectation } from './expected-types';

const PDPT = 0x11_0000n;
const PD0 = 0x11_1000n;
const PD1 = 0x11_2000n;
const PD2 = 0x11_3000n;
const PD3 = 0x11_4000n;
const PT0 = 0x11_5000n;
const PT1 = 0x11_6000n;

/** PT0's pages, as seen from VA 0 (PD0[0]); PD3[0] shows the same table at 0xc0000000. */
const pt0: ExpectedLeaf[] = [
  ...lowPageTable(true),
  page(0x001f_1000n, 0x0030_1000n, KiB4, 'rw us pwt g'),
];

const leaves: ExpectedLeaf[] = [
  ...pt0,
  page(0x0040_0000n, 0x0040_0000n, MiB2, 'rw g'),
  page(0x0060_0000n, 0x0060_0000n, MiB2, 'xd us pcd pat'),
  page(0x0080_0000n, 0x12_3460_0000n, MiB2, 'rw us'),
  page(0x4000_0000n, 0x00a0_0000n, MiB2, 'xd rw us'),
  page(0x4020_0000n, 0x0200_0000n, KiB4, 'rw pwt pat'),
  page(0x4020_1000n, 0x0200_1000n, KiB4, 'xd us'),
  page(0x4020_2000n, 0x0200_2000n, KiB4, 'xd rw us pcd g'),
  page(0xbfe0_0000n, 0x0120_0000n, MiB2, 'rw pwt'),
  ...shifted(pt0, 0xc000_0000n),
  page(0xc020_0000n, 0x0040_0000n, MiB2, 'rw g'),
];

export const pae: GuestExpectation = guest({
  name: 'pae',
  mode: 'pae',
  marker: 'HF-GUEST-READY pae',
  cpu: 'qemu64',
  smp: 1,
  cpus: [
    {
      index: 0,
      root: PDPT,
      cr0: 0x8001_0011n,
      cr3: PDPT,
      cr4: 0xa0n,
      efer: 0x800n,
      registers: {
        eax: 0xc010_0010n,
        ebx: 0x1122_3344n,
        ecx: 0x5566_7788n,
        edi: 0x99aa_bbccn,
        ebp: 0xddee_ff00n,
        esp: 0x0011_0000n,
        eip: 0xc010_0012n,
      },
      leaves,
      selfMaps: [
        {
          level: 2,
          table: PD3,
          slots: [
            { index: 492, target: PD0 },
            { index: 493, target: PD1 },
            { index: 494, target: PD2 },
            { index: 495, target: PD3 },
          ],
          base: 0xfd80_0000n,
          size: 0x80_0000n,
          // One line per present PDE of PD0..PD3: 4 + 2 + 1 + 6.
          infoTlbLines: 13,
          probes: [
            { va: 0xfd80_0000n, pa: PT0, what: 'page table of VA 0x00000000' },
            { va: 0xfda0_1000n, pa: PT1, what: 'page table of VA 0x40200000' },
            { va: 0xfde0_0000n, pa: PT0, what: 'page table of VA 0xc0000000 (shared PT0)' },
            { va: 0xfdfe_c000n, pa: PD0, what: 'PD0 through PD3[492]' },
            { va: 0xfdfe_d000n, pa: PD1, what: 'PD1 through PD3[493]' },
            { va: 0xfdfe_e000n, pa: PD2, what: 'PD2 through PD3[494]' },
            { va: 0xfdfe_f000n, pa: PD3, what: 'PD3 through PD3[495]' },
          ],
        },
      ],
      sharedTables: [
        {
          pa: PT0,
          level: 1,
          from: [
            { table: PD0, index: 0, va: 0x0000_0000n },
            { table: PD3, index: 0, va: 0xc000_0000n },
          ],
        },
      ],
    },
  ],
  tables: [
    { name: 'PDPT', pa: PDPT, level: 3 },
    { name: 'PD0', pa: PD0, level: 2 },
    { name: 'PD1', pa: PD1, level: 2 },
    { name: 'PD2', pa: PD2, level: 2 },
    { name: 'PD3', pa: PD3, level: 2 },
    { name: 'PT0', pa: PT0, level: 1 },
    { name: 'PT1', pa: PT1, level: 1 },
  ],
  entries: [
    { pa: PDPT + 0n, value: 0x11_1001n, level: 3, what: 'PDPT[0] -> PD0', mayChange: 0x20n },
    { pa: PDPT + 8n, value: 0x11_2001n, level: 3, what: 'PDPT[1] -> PD1', mayChange: 0x20n },
    { pa: PDPT + 16n, value: 0x11_3001n, level: 3, what: 'PDPT[2] -> PD2', mayChange: 0x20n },
    { pa: PDPT + 24n, value: 0x11_4001n, level: 3, what: 'PDPT[3] -> PD3', mayChange: 0x20n },
    { pa: PD0 + 8n * 3n, value: 0x8000_0000_0060_10f5n, level: 2, what: '2 MiB page with XD, PAT (bit 12), PCD' },
    { pa: PD0 + 8n * 4n, value: 0x0000_0012_3460_00e7n, level: 2, what: '2 MiB page above 4 GiB' },
    { pa: PD3 + 8n * 492n, value: 0x11_1063n, level: 2, what: 'linear slot 492 -> PD0' },
    { pa: PD3 + 8n * 493n, value: 0x11_2063n, level: 2, what: 'linear slot 493 -> PD1' },
    { pa: PD3 + 8n * 494n, value: 0x11_3063n, level: 2, what: 'linear slot 494 -> PD2' },
    { pa: PD3 + 8n * 495n, value: 0x11_4063n, level: 2, what: 'linear slot 495 -> PD3' },
    { pa: PD3 + 8n * 511n, value: 0x0000_0dea_dbee_f000n, level: 2, what: 'not present, swap-style value' },
    { pa: PT0 + 8n * 0x1f0n, value: 0x8000_0000_0030_00e5n, level: 1, what: '4 KiB page with XD, PAT (bit 7)' },
    { pa: PT0 + 8n * 0x1ffn, value: 0x0000_0012_3456_780en, level: 1, what: 'not present, swap-style value' },
    { pa: PT1 + 0n, value: 0x0200_00ebn, level: 1, what: '4 KiB page with PAT and PWT' },
  ],
});

export default pae;
