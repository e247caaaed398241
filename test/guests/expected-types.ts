/**
 * Shapes of the hand-written expectation modules (`<guest>.expected.ts`).
 *
 * Each module is written from the guest's assembly source, never by running a page-table
 * walker, so tests can use it as independent truth. Levels are numbered as the SDM walks
 * them: 1 = page table (PTE), 2 = page directory (PDE), 3 = PDPT, 4 = PML4, 5 = PML5.
 */

export type GuestName = 'legacy32' | 'pae' | 'long4' | 'long4smp' | 'long5' | 'long4spin';
/** The guests that halt in a fixed state: the paging oracles every table test walks. */
export const GUEST_NAMES: readonly GuestName[] = ['legacy32', 'pae', 'long4', 'long4smp', 'long5'];
/** Guests whose vCPUs keep running (run-control tests): same tables as their base guest. */
export const RUNNING_GUEST_NAMES: readonly GuestName[] = ['long4spin'];

export type GuestPagingMode = 'legacy32' | 'pae' | 'long4' | 'long5';

/** A leaf entry's own bits (not the effective permissions accumulated along the walk). */
export interface LeafFlags {
  rw: boolean;
  us: boolean;
  /** Execute-disable (bit 63); always false in legacy32, which has no such bit. */
  xd: boolean;
  g: boolean;
  /** PAT bit: bit 7 of a 4 KiB PTE, bit 12 of a large-page entry. */
  pat: boolean;
  pcd: boolean;
  pwt: boolean;
}
export type FlagName = keyof LeafFlags;

export interface ExpectedLeaf {
  /** Canonical virtual address of the page (sign-extended in 64-bit modes). */
  va: bigint;
  /** Full physical address of the page, including PSE-36 / above-4-GiB bits. */
  pa: bigint;
  size: bigint;
  flags: LeafFlags;
  /** Level of the entry that maps the page (1 = 4 KiB PTE, 2 = 2/4 MiB, 3 = 1 GiB). */
  level: number;
}

/** An entry that points back into the paging structures (a recursive / linear page-table slot). */
export interface SelfMapSlot {
  index: number;
  /** Physical address of the table the slot points at. */
  target: bigint;
}

export interface SelfMap {
  /** Level and physical address of the table holding the slots. */
  level: number;
  table: bigint;
  slots: SelfMapSlot[];
  /** Virtual window through which the paging structures appear. */
  base: bigint;
  size: bigint;
  /** Lines QEMU's `info tlb` prints inside the window (it walks into recursive slots). Counted by hand. */
  infoTlbLines: number;
  /** A few translations inside the window: `va` shows the paging structure at `pa`. */
  probes: { va: bigint; pa: bigint; what: string }[];
}

/** One table referenced from two or more entries of the same level, so several VA ranges share it. */
export interface SharedTable {
  /** Physical address and level of the shared table. */
  pa: bigint;
  level: number;
  /** The referencing entries: their table, index, and the VA their range starts at. */
  from: { table: bigint; index: number; va: bigint }[];
}

/** A paging-structure entry at a known physical address, with its exact raw value. */
export interface RawEntry {
  /** Physical address of the entry itself. */
  pa: bigint;
  value: bigint;
  /** Level of the table holding it. */
  level: number;
  what: string;
  /**
   * Bits the emulated CPU may set on its own when it walks through the entry. QEMU's TCG
   * walker sets bit 5 (A) in PAE PDPTEs, a bit the SDM lists as reserved there; every other
   * entry is assembled with A (and D for leaves) already set, so it never changes.
   */
  mayChange?: bigint;
}

export interface PagingTable {
  name: string;
  pa: bigint;
  level: number;
}

export interface ExpectedCpu {
  index: number;
  /** CR3 value; also the physical address of the root table. */
  root: bigint;
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
  /**
   * Register values once the vCPU is halted, by gdb/QEMU name in lower case
   * (eax…/eip in 32-bit guests, rax…r15/rip in 64-bit ones). rip is the instruction after `hlt`.
   */
  registers: Record<string, bigint>;
  leaves: ExpectedLeaf[];
  selfMaps: SelfMap[];
  sharedTables: SharedTable[];
}

export interface GuestExpectation {
  name: GuestName;
  mode: GuestPagingMode;
  /** The line the guest prints on COM1 once it is ready (without the newline). */
  marker: string;
  /** QEMU `-cpu` and `-smp` the guest needs. */
  cpu: string;
  smp: number;
  /** False for a guest whose vCPUs never halt (long4spin): boot waits for the marker only. */
  halts?: boolean;
  /** CPU 0's root, leaves, self maps, shared tables and registers (same objects as cpus[0]). */
  root: bigint;
  leaves: ExpectedLeaf[];
  selfMaps: SelfMap[];
  sharedTables: SharedTable[];
  registers: Record<string, bigint>;
  cpus: ExpectedCpu[];
  /** Every paging-structure page the guest assembles. */
  tables: PagingTable[];
  /** Notable raw entries: large pages with PAT or PSE-36 bits, swap-style not-present values, self-map slots. */
  entries: RawEntry[];
}

export const KiB4 = 0x1000n;
export const MiB2 = 0x20_0000n;
export const MiB4 = 0x40_0000n;
export const GiB1 = 0x4000_0000n;

const FLAG_NAMES: readonly FlagName[] = ['rw', 'us', 'xd', 'g', 'pat', 'pcd', 'pwt'];

/** Flags from a space-separated list, e.g. `flags('rw us g')`. */
export function flags(list: string): LeafFlags {
  const out: LeafFlags = { rw: false, us: false, xd: false, g: false, pat: false, pcd: false, pwt: false };
  for (const word of list.split(/\s+/).filter((w) => w.length > 0)) {
    const name = FLAG_NAMES.find((f) => f === word);
    if (!name) throw new Error(`unknown leaf flag '${word}'`);
    out[name] = true;
  }
  return out;
}

function levelOf(size: bigint): number {
  if (size === KiB4) return 1;
  if (size === MiB2 || size === MiB4) return 2;
  if (size === GiB1) return 3;
  throw new Error(`no paging level maps pages of ${size} bytes`);
}

/** One leaf: `page(va, pa, size, 'rw g')`. */
export function page(va: bigint, pa: bigint, size: bigint, flagList: string): ExpectedLeaf {
  return { va, pa, size, flags: flags(flagList), level: levelOf(size) };
}

/** `count` consecutive 4 KiB leaves starting at va → pa. */
export function run(va: bigint, pa: bigint, count: number, flagList: string): ExpectedLeaf[] {
  const out: ExpectedLeaf[] = [];
  for (let i = 0n; i < BigInt(count); i++) out.push(page(va + i * KiB4, pa + i * KiB4, KiB4, flagList));
  return out;
}

/** The same leaves seen through another VA range (a shared table): va shifted by `delta`. */
export function shifted(leaves: readonly ExpectedLeaf[], delta: bigint): ExpectedLeaf[] {
  return leaves.map((l) => ({ ...l, va: (l.va + delta) & 0xffff_ffff_ffff_ffffn }));
}

/**
 * The start of every guest's low page table (VA 0-0x1fffff, LOW_PT in src/common.inc): VGA text
 * (uncached), the image and its stack (identity, global), the page tables (identity) and a
 * read-only user PAT page at 0x1f0000 -> 0x300000. `xd` marks all of them but the image
 * (false in legacy32, which has no XD bit).
 */
export function lowPageTable(xd: boolean): ExpectedLeaf[] {
  const x = xd ? 'xd ' : '';
  return [
    page(0x000b_8000n, 0x000b_8000n, KiB4, `${x}rw pcd pwt`),
    ...run(0x0010_0000n, 0x0010_0000n, 16, 'rw g'),
    ...run(0x0011_0000n, 0x0011_0000n, 32, `${x}rw`),
    page(0x001f_0000n, 0x0030_0000n, KiB4, `${x}us pat`),
  ];
}

/** The distinctive registers both 64-bit guests set (SET_REGS64 in src/common.inc); r15 differs per guest. */
export const LONG_MODE_REGISTERS = {
  rbx: 0x1122_3344_5566_7788n,
  rcx: 0x99aa_bbcc_ddee_ff00n,
  rdi: 0x0123_4567_89ab_cdefn,
  rbp: 0xfedc_ba98_7654_3210n,
  r8: 0x8888_8888_8888_8888n,
  r12: 0xdead_beef_cafe_f00dn,
} as const;

/** Build a GuestExpectation whose top-level CPU-0 fields mirror cpus[0]. */
export function guest(
  base: Omit<GuestExpectation, 'root' | 'leaves' | 'selfMaps' | 'sharedTables' | 'registers'>,
): GuestExpectation {
  const cpu0 = base.cpus[0];
  if (!cpu0) throw new Error(`${base.name}: no CPU 0`);
  return {
    ...base,
    root: cpu0.root,
    leaves: cpu0.leaves,
    selfMaps: cpu0.selfMaps,
    sharedTables: cpu0.sharedTables,
    registers: cpu0.registers,
  };
}
