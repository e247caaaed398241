/**
 * Expected state of the `long4` guest (src/long4.s): 4-level paging with 4 KiB, 2 MiB and
 * 1 GiB pages, a recursive PML4 slot 0x1ed (window 0xfffff68000000000, PML4 itself at
 * 0xfffff6fb7dbed000), a page directory shared by VA 0x40000000 and 0xffffffffc0000000,
 * a high-half kernel alias at 0xffffffff80000000 and mappings at both edges of the
 * canonical hole. Written by hand from the source.
 */
import {
  GiB1,
  guest,
  KiB4,
  LONG_MODE_REGISTERS,
  lowPageTable,
  MiB2,
  page,
  run,
  shifted,
  type ExpectedCpu,
  type ExpectedLeaf,
  type GuestExpectation,
  type PagingTable,
  type RawEntry,
  type SelfMap,
  type SharedTable,
} from './expected-types';

export const T = {
  PML4: 0x11_0000n,
  PDPT_LO: 0x11_1000n,
  PD_LO: 0x11_2000n,
  PT_LO: 0x11_3000n,
  PDPT_HI: 0x11_4000n,
  PD_KERN: 0x11_5000n,
  PT_KERN: 0x11_6000n,
  PD_SHARED: 0x11_7000n,
  PT_SHARED: 0x11_8000n,
  PDPT_EDGE: 0x11_9000n,
  PD_EDGE: 0x11_a000n,
  PT_EDGE: 0x11_b000n,
  PDPT_DMAP: 0x11_c000n,
  PML4_AP: 0x11_d000n,
  PDPT_AP: 0x11_e000n,
  PD_AP: 0x11_f000n,
  PT_AP: 0x12_0000n,
} as const;

export const SELF_SLOT = 0x1ed;
export const SELF_BASE = 0xffff_f680_0000_0000n;

/** PD_SHARED's pages relative to the start of a range that uses it. */
const sharedPd: ExpectedLeaf[] = [
  page(0x0000n, 0x0080_0000n, KiB4, 'xd rw'),
  page(0x1000n, 0x0080_1000n, KiB4, ''),
  page(0x2000n, 0x0080_2000n, KiB4, 'us g'),
  page(0x20_0000n, 0x00a0_0000n, MiB2, 'xd rw'),
];

/** Leaves outside VA 0x40000000-0x7fffffff: the same for both CPUs of long4smp. */
export const commonLow: ExpectedLeaf[] = [
  // PT_LO
  page(0x0000_7000n, 0x0000_7000n, KiB4, 'rw'),
  ...lowPageTable(true),
  page(0x001f_1000n, 0x0030_1000n, KiB4, 'rw us pwt g'),
  // PD_LO
  page(0x0040_0000n, 0x0040_0000n, MiB2, 'xd rw pcd pat'),
  page(0x0060_0000n, 0x0060_0000n, MiB2, 'us g'),
  // PDPT_LO 1 GiB pages
  page(0xc000_0000n, 0x1_0000_0000n, GiB1, 'xd us pcd pat'),
  page(0x1_0000_0000n, 0x0n, GiB1, 'rw g'),
];

export const commonHigh: ExpectedLeaf[] = [
  // PDPT_EDGE / PD_EDGE / PT_EDGE: top of the lower half
  page(0x7fff_ffc0_0000n, 0x00c0_0000n, MiB2, 'rw us'),
  page(0x7fff_ffff_e000n, 0x00e0_1000n, KiB4, 'xd rw us'),
  page(0x7fff_ffff_f000n, 0x00e0_0000n, KiB4, 'rw us'),
  // PDPT_DMAP: first canonical high address
  page(0xffff_8000_0000_0000n, 0x0n, GiB1, 'xd rw g'),
  // PD_KERN / PT_KERN
  ...run(0xffff_ffff_8000_0000n, 0x0010_0000n, 16, 'rw g'),
  page(0xffff_ffff_8020_0000n, 0x0020_0000n, MiB2, 'xd rw g'),
  // PD_SHARED through PDPT_HI[511]
  ...shifted(sharedPd, 0xffff_ffff_c000_0000n),
];

const cpu0Leaves: ExpectedLeaf[] = [...commonLow, ...shifted(sharedPd, 0x4000_0000n), ...commonHigh];

export const CR0 = 0x8001_0011n;
export const CR4 = 0xa0n;
export const EFER = 0xd00n;

/** What sets one long4 vCPU apart: its root (with the recursive slot in it), registers and leaves. */
export interface Long4CpuSpec {
  index: number;
  root: bigint;
  registers: ExpectedCpu['registers'];
  leaves: ExpectedLeaf[];
  /** `info tlb` lines inside the recursive window, counted by hand. */
  infoTlbLines: number;
  probes: SelfMap['probes'];
  sharedTables: SharedTable[];
}

/** A vCPU of long4/long4smp: the guest's control registers, CR3 = root, PML4[SELF_SLOT] -> root. */
export function long4Cpu({ index, root, registers, leaves, infoTlbLines, probes, sharedTables }: Long4CpuSpec): ExpectedCpu {
  return {
    index,
    root,
    cr0: CR0,
    cr3: root,
    cr4: CR4,
    efer: EFER,
    registers,
    leaves,
    selfMaps: [{ level: 4, table: root, slots: [{ index: SELF_SLOT, target: root }], base: SELF_BASE, size: 1n << 39n, infoTlbLines, probes }],
    sharedTables,
  };
}

export const cpu0: ExpectedCpu = long4Cpu({
  index: 0,
  root: T.PML4,
  registers: {
    rax: 0xffff_ffff_8000_0010n,
    ...LONG_MODE_REGISTERS,
    r15: 0x0f0f_0f0f_0f0f_0f0fn,
    rsp: 0x0011_0000n,
    rip: 0xffff_ffff_8000_0012n,
  },
  leaves: cpu0Leaves,
  // Through the slot every table moves up one level: PML4[0] 3+2+2, [0xff] 2,
  // [0x100] 1, [0x1ed] 4+1+1+5+2, [0x1ff] 2+2.
  infoTlbLines: 27,
  probes: [
    { va: 0xffff_f6fb_7dbe_d000n, pa: T.PML4, what: 'the PML4 itself' },
    { va: 0xffff_f6fb_7da0_0000n, pa: T.PDPT_LO, what: 'PDPT of VA 0' },
    { va: 0xffff_f6fb_4000_0000n, pa: T.PD_LO, what: 'page directory of VA 0' },
    { va: 0xffff_f680_0000_0000n, pa: T.PT_LO, what: 'page table of VA 0' },
    { va: 0xffff_f680_0020_0000n, pa: T.PT_SHARED, what: 'page table of VA 0x40000000' },
    { va: 0xffff_f6fb_7dbf_f000n, pa: T.PDPT_HI, what: 'PDPT of VA 0xffffff8000000000' },
    { va: 0xffff_f6fb_7fff_e000n, pa: T.PD_KERN, what: 'page directory of VA 0xffffffff80000000' },
    { va: 0xffff_f6ff_ffc0_0000n, pa: T.PT_KERN, what: 'page table of VA 0xffffffff80000000' },
  ],
  sharedTables: [
    {
      pa: T.PD_SHARED,
      level: 2,
      from: [
        { table: T.PDPT_LO, index: 1, va: 0x4000_0000n },
        { table: T.PDPT_HI, index: 511, va: 0xffff_ffff_c000_0000n },
      ],
    },
  ],
});

export const tables: PagingTable[] = [
  { name: 'PML4', pa: T.PML4, level: 4 },
  { name: 'PDPT_LO', pa: T.PDPT_LO, level: 3 },
  { name: 'PD_LO', pa: T.PD_LO, level: 2 },
  { name: 'PT_LO', pa: T.PT_LO, level: 1 },
  { name: 'PDPT_HI', pa: T.PDPT_HI, level: 3 },
  { name: 'PD_KERN', pa: T.PD_KERN, level: 2 },
  { name: 'PT_KERN', pa: T.PT_KERN, level: 1 },
  { name: 'PD_SHARED', pa: T.PD_SHARED, level: 2 },
  { name: 'PT_SHARED', pa: T.PT_SHARED, level: 1 },
  { name: 'PDPT_EDGE', pa: T.PDPT_EDGE, level: 3 },
  { name: 'PD_EDGE', pa: T.PD_EDGE, level: 2 },
  { name: 'PT_EDGE', pa: T.PT_EDGE, level: 1 },
  { name: 'PDPT_DMAP', pa: T.PDPT_DMAP, level: 3 },
];

export const entries: RawEntry[] = [
  { pa: T.PML4 + 8n * 0x000n, value: 0x11_1027n, level: 4, what: 'PML4[0x000] -> PDPT_LO' },
  { pa: T.PML4 + 8n * 0x1edn, value: 0x11_0063n, level: 4, what: 'recursive slot 0x1ed -> PML4' },
  { pa: T.PDPT_LO + 8n * 3n, value: 0x8000_0001_0000_10f5n, level: 3, what: '1 GiB page with XD, PAT (bit 12), PCD' },
  { pa: T.PDPT_LO + 8n * 4n, value: 0x1e3n, level: 3, what: '1 GiB page at physical 0, global' },
  { pa: T.PD_LO + 8n * 2n, value: 0x8000_0000_0040_10f3n, level: 2, what: '2 MiB page with XD, PAT (bit 12), PCD' },
  { pa: T.PD_LO + 8n * 0x1ffn, value: 0xdead_b000n, level: 2, what: 'not present, swap-style value' },
  { pa: T.PT_LO + 8n * 0x1f0n, value: 0x8000_0000_0030_00e5n, level: 1, what: '4 KiB page with XD, PAT (bit 7)' },
  { pa: T.PT_LO + 8n * 0x1ffn, value: 0x0000_0123_4567_80ben, level: 1, what: 'not present, swap-style value' },
  { pa: T.PT_SHARED + 8n * 1n, value: 0x0080_1061n, level: 1, what: 'read-only supervisor 4 KiB page' },
  { pa: T.PDPT_DMAP + 0n, value: 0x8000_0000_0000_01e3n, level: 3, what: '1 GiB direct map at 0xffff800000000000' },
];

export const long4: GuestExpectation = guest({
  name: 'long4',
  mode: 'long4',
  marker: 'HF-GUEST-READY long4',
  cpu: 'qemu64,+pdpe1gb',
  smp: 1,
  cpus: [cpu0],
  tables,
  entries,
});

export default long4;
