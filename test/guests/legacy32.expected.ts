/**
 * Expected state of the `legacy32` guest (src/legacy32.s): 32-bit paging, CR4.PSE | CR4.PGE.
 * Written by hand from the source.
 */
import { guest, KiB4, lowPageTable, MiB4, page, run, type ExpectedLeaf, type GuestExpectation } from './expected-types';

const PD = 0x11_0000n;
const PT_LOW = 0x11_1000n;
const PT_KERN = 0x11_2000n;

const leaves: ExpectedLeaf[] = [
  // PT_LOW (PD[0x000])
  ...lowPageTable(false),
  page(0x001f_1000n, 0x0030_1000n, KiB4, 'rw us pwt g'),
  // 4 MiB pages
  page(0x0040_0000n, 0x0040_0000n, MiB4, 'rw g'),
  page(0x0080_0000n, 0x0080_0000n, MiB4, 'us pcd pat'),
  page(0x00c0_0000n, 0x0100_0000n, MiB4, 'rw us pwt pcd'),
  page(0xc000_0000n, 0x0040_0000n, MiB4, 'rw g'),
  // PT_KERN (PD[0x301])
  ...run(0xc040_0000n, 0x0010_0000n, 16, 'rw g'),
  page(0xc041_0000n, 0x0200_0000n, KiB4, 'rw pwt pat'),
  page(0xc041_1000n, 0x0200_1000n, KiB4, 'us'),
  // PSE-36: physical bits 39:32 = 0x05 in PDE bits 20:13.
  page(0xfc00_0000n, 0x5_0080_0000n, MiB4, 'rw'),
];

export const legacy32: GuestExpectation = guest({
  name: 'legacy32',
  mode: 'legacy32',
  marker: 'HF-GUEST-READY legacy32',
  cpu: 'qemu64',
  smp: 1,
  cpus: [
    {
      index: 0,
      root: PD,
      cr0: 0x8001_0011n,
      cr3: PD,
      cr4: 0x90n,
      efer: 0n,
      registers: {
        eax: 0xc040_0010n,
        ebx: 0x1122_3344n,
        ecx: 0x5566_7788n,
        edi: 0x99aa_bbccn,
        ebp: 0xddee_ff00n,
        esp: 0x0011_0000n,
        eip: 0xc040_0012n,
      },
      leaves,
      selfMaps: [],
      sharedTables: [],
    },
  ],
  tables: [
    { name: 'PD', pa: PD, level: 2 },
    { name: 'PT_LOW', pa: PT_LOW, level: 1 },
    { name: 'PT_KERN', pa: PT_KERN, level: 1 },
  ],
  entries: [
    { pa: PD + 4n * 0x000n, value: 0x0011_1027n, level: 2, what: 'PD[0x000] -> PT_LOW' },
    { pa: PD + 4n * 0x002n, value: 0x0080_10f5n, level: 2, what: '4 MiB page with PAT (bit 12), PCD, read-only, user' },
    { pa: PD + 4n * 0x301n, value: 0x0011_2023n, level: 2, what: 'PD[0x301] -> PT_KERN' },
    { pa: PD + 4n * 0x3f0n, value: 0x0080_a0e3n, level: 2, what: '4 MiB page with PSE-36 bits (pa 0x5_00800000)' },
    { pa: PD + 4n * 0x3ffn, value: 0x2468_ace0n, level: 2, what: 'not present, swap-style value' },
    { pa: PT_LOW + 4n * 0x1f0n, value: 0x0030_00e5n, level: 1, what: '4 KiB page with PAT (bit 7)' },
    { pa: PT_LOW + 4n * 0x1ffn, value: 0x1357_2468n, level: 1, what: 'not present, swap-style value' },
    { pa: PT_KERN + 4n * 0x010n, value: 0x0200_00ebn, level: 1, what: '4 KiB page with PAT and PWT' },
    { pa: PT_KERN + 4n * 0x020n, value: 0x7fff_fffen, level: 1, what: 'not present, swap-style value' },
  ],
});

export default legacy32;
