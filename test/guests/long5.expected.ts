/**
 * Expected state of the `long5` guest (src/long5.s): 5-level paging (CR4.LA57) with
 * mappings under PML5 slots 0x000, 0x100 (VA 0xff00000000000000, needs 57 bits) and
 * 0x1ff (kernel-style 0xffffffff80000000). Written by hand from the source.
 */
import { guest, KiB4, LONG_MODE_REGISTERS, lowPageTable, MiB2, page, type ExpectedLeaf, type GuestExpectation } from './expected-types';

const PML5 = 0x11_0000n;
const PML4_LO = 0x11_1000n;
const PDPT_LO = 0x11_2000n;
const PD_LO = 0x11_3000n;
const PT_LO = 0x11_4000n;
const PML4_HI = 0x11_5000n;
const PDPT_HI = 0x11_6000n;
const PD_KERN = 0x11_7000n;
const PML4_MID = 0x11_8000n;
const PDPT_MID = 0x11_9000n;
const PD_MID = 0x11_a000n;
const PT_MID = 0x11_b000n;

const leaves: ExpectedLeaf[] = [
  ...lowPageTable(true),
  page(0x0040_0000n, 0x0040_0000n, MiB2, 'xd rw'),
  page(0xff00_0000_0000_0000n, 0x0050_0000n, KiB4, 'xd rw g'),
  page(0xff00_0000_0000_1000n, 0x0050_1000n, KiB4, 'pwt pat'),
  page(0xff00_0000_0020_0000n, 0x0060_0000n, MiB2, 'xd rw pcd pat'),
  page(0xffff_ffff_8000_0000n, 0x0n, MiB2, 'rw g'),
];

export const long5: GuestExpectation = guest({
  name: 'long5',
  mode: 'long5',
  marker: 'HF-GUEST-READY long5',
  cpu: 'qemu64,+la57',
  smp: 1,
  cpus: [
    {
      index: 0,
      root: PML5,
      cr0: 0x8001_0011n,
      cr3: PML5,
      cr4: 0x10a0n,
      efer: 0xd00n,
      registers: {
        rax: 0xffff_ffff_8010_0010n,
        ...LONG_MODE_REGISTERS,
        r15: 0x0505_0505_0505_0505n,
        rsp: 0x0011_0000n,
        rip: 0xffff_ffff_8010_0012n,
      },
      leaves,
      selfMaps: [],
      sharedTables: [],
    },
  ],
  tables: [
    { name: 'PML5', pa: PML5, level: 5 },
    { name: 'PML4_LO', pa: PML4_LO, level: 4 },
    { name: 'PDPT_LO', pa: PDPT_LO, level: 3 },
    { name: 'PD_LO', pa: PD_LO, level: 2 },
    { name: 'PT_LO', pa: PT_LO, level: 1 },
    { name: 'PML4_HI', pa: PML4_HI, level: 4 },
    { name: 'PDPT_HI', pa: PDPT_HI, level: 3 },
    { name: 'PD_KERN', pa: PD_KERN, level: 2 },
    { name: 'PML4_MID', pa: PML4_MID, level: 4 },
    { name: 'PDPT_MID', pa: PDPT_MID, level: 3 },
    { name: 'PD_MID', pa: PD_MID, level: 2 },
    { name: 'PT_MID', pa: PT_MID, level: 1 },
  ],
  entries: [
    { pa: PML5 + 8n * 0x000n, value: 0x11_1027n, level: 5, what: 'PML5[0x000] -> PML4_LO' },
    { pa: PML5 + 8n * 0x100n, value: 0x11_8023n, level: 5, what: 'PML5[0x100] -> PML4_MID (VA 0xff00000000000000)' },
    { pa: PML5 + 8n * 0x1ffn, value: 0x11_5023n, level: 5, what: 'PML5[0x1ff] -> PML4_HI' },
    { pa: PT_LO + 8n * 0x1ffn, value: 0x0000_000f_edcb_a980n, level: 1, what: 'not present, swap-style value' },
    { pa: PD_MID + 8n * 1n, value: 0x8000_0000_0060_10f3n, level: 2, what: '2 MiB page with XD, PAT (bit 12), PCD' },
    { pa: PT_MID + 8n * 1n, value: 0x0050_10e9n, level: 1, what: '4 KiB page with PAT (bit 7), PWT, read-only' },
    { pa: PD_KERN + 0n, value: 0x1e3n, level: 2, what: '2 MiB kernel page at physical 0' },
  ],
});

export default long5;
