import { geometry, levelShift, type PagingContext, type PagingMode } from './modes';
import { PAT_AT_RESET } from './memoryType';

/**
 * What a walk needs to know of each entry, as plain 32-bit arithmetic on its two halves (`lo` =
 * bits 31:0, `hi` = bits 63:32; 0 for 32-bit entries): present, leaf or table, the next table's
 * or the page's address, the rights and memory type it grants, and whether any reserved bit is
 * set. The rules are those of decodeEntry (entry.ts, ept.ts), precomputed per level once per walk
 * so that the hot loop allocates nothing and touches no BigInt. An entry that fails the reserved
 * or EPT checks is handed to decodeEntry for the exact words of the report.
 */

/** Rights and attributes of a leaf, as bits of one small integer (see the ATTR_ constants). */
export const ATTR_R = 1;
export const ATTR_W = 2;
export const ATTR_X = 4;
export const ATTR_U = 8;
export const ATTR_G = 16;
/** Rights only: what every level of the walk narrows. */
export const ATTR_RIGHTS = ATTR_R | ATTR_W | ATTR_X | ATTR_U;
/** Rights and G: what `walk --split-pa` merges on (the merge rule of old). */
export const ATTR_FLAGS = ATTR_RIGHTS | ATTR_G;
/** Bits 8..10: the memory type's 3-bit encoding (0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-; 2, 3 reserved). */
export const ATTR_TYPE_SHIFT = 8;

const TWO32 = 0x1_0000_0000;

export interface EntryRules {
  readonly mode: PagingMode;
  readonly topLevel: number;
  /** 8 or 4. */
  readonly entryBytes: number;
  /** Entries per table at each level (index = level). */
  readonly entries: readonly number[];
  /** 4 KiB pages one entry covers at each level. */
  readonly coverPages: readonly number[];
  /** Reserved-bit masks for table entries and for leaves, per level. */
  readonly tableRsvLo: readonly number[];
  readonly tableRsvHi: readonly number[];
  readonly leafRsvLo: readonly number[];
  readonly leafRsvHi: readonly number[];
  /** Levels at which PS=1 makes a leaf. */
  readonly largeAt: readonly boolean[];
  /** Memory-type encoding (ATTR bits 8..10 before the shift) per PAT index. */
  readonly patTypes: readonly number[];
  readonly nxe: boolean;
  /** Bits M-1..32 of an address in `hi` (64-bit entries). */
  readonly hiAddrMask: number;
  /** PSE-36: how many PDE bits 20:13 count as address bits 39:32 (legacy32 4 MiB pages). */
  readonly pse36Mask: number;
}

/** Bits hi..lo of a 32-bit half as an unsigned mask (empty when hi < lo). */
function bits32(hi: number, lo: number): number {
  if (hi < lo) return 0;
  return (hi - lo + 1 >= 32 ? 0xffffffff : ((1 << (hi - lo + 1)) - 1) << lo) >>> 0;
}

/** A 64-bit mask of bits hi..lo split into its halves. */
function split64(hi: number, lo: number): [number, number] {
  if (hi < lo) return [0, 0];
  const l = lo < 32 ? bits32(Math.min(hi, 31), lo) : 0;
  const h = hi >= 32 ? bits32(hi - 32, Math.max(lo, 32) - 32) : 0;
  return [l, h];
}

function or(a: [number, number], b: [number, number]): [number, number] {
  return [(a[0] | b[0]) >>> 0, (a[1] | b[1]) >>> 0];
}

/** The eight memory-type encodings an IA32_PAT value selects, by PAT index. */
export function patTypes(pat: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((pat >> BigInt(i * 8)) & 7n));
}

export function entryRules(mode: PagingMode, ctx: PagingContext, eptLevels?: 4 | 5, pat: bigint = PAT_AT_RESET): EntryRules {
  const geo = geometry(mode, eptLevels);
  const top = geo.topLevel;
  const M = ctx.maxPhyAddr;
  const n = top + 1;
  const entries: number[] = new Array(n).fill(0);
  const coverPages: number[] = new Array(n).fill(0);
  const tableRsv: [number, number][] = new Array(n).fill([0, 0]);
  const leafRsv: [number, number][] = new Array(n).fill([0, 0]);
  const largeAt: boolean[] = new Array(n).fill(false);
  for (let level = 1; level <= top; level++) {
    entries[level] = mode === 'legacy32' ? 1024 : mode === 'pae' && level === 3 ? 4 : 512;
    coverPages[level] = 2 ** (levelShift(mode, level) - 12);
    if (level === 2) largeAt[level] = mode !== 'legacy32' || ctx.pse;
    if (level === 3) largeAt[level] = (mode === 'long4' || mode === 'long5' || mode === 'ept') && ctx.page1G;
  }

  const aboveM = M < 52 ? split64(51, M) : ([0, 0] as [number, number]);
  for (let level = 1; level <= top && mode !== 'legacy32'; level++) {
    const shift = levelShift(mode, level);
    if (mode === 'ept') {
      let t = or(aboveM, split64(6, 3));
      if (level >= 4 || (level === 3 && !ctx.page1G)) t = or(t, split64(7, 7));
      tableRsv[level] = t;
      leafRsv[level] = level > 1 ? or(aboveM, split64(shift - 1, 12)) : aboveM;
      continue;
    }
    let common = aboveM;
    if (!ctx.nxe) common = or(common, split64(63, 63));
    if (mode === 'pae') common = or(common, split64(62, Math.min(M, 52)));
    if (mode === 'pae' && level === 3) {
      // The PDPTE's own format replaces every other rule (entry.ts).
      tableRsv[level] = or(or(split64(2, 1), split64(8, 6)), split64(63, Math.min(M, 52)));
      continue;
    }
    const isTop = (mode === 'long4' && level === 4) || (mode === 'long5' && level >= 4);
    tableRsv[level] = isTop || (level === 3 && !ctx.page1G) ? or(common, split64(7, 7)) : common;
    leafRsv[level] = level > 1 ? or(common, split64(shift - 1, 13)) : common;
  }
  if (mode === 'legacy32') {
    // A 4 MiB page: bit 21 always, and PDE bits 20:13 that lie beyond MAXPHYADDR (PSE-36/40).
    const highWidth = Math.min(Math.max(M, 32), 40) - 32;
    leafRsv[2] = [((1 << 21) | (highWidth < 8 ? bits32(20, 13 + highWidth) : 0)) >>> 0, 0];
  }
  const highWidth = Math.min(Math.max(M, 32), 40) - 32;
  return {
    mode,
    topLevel: top,
    entryBytes: geo.entryBytes,
    entries,
    coverPages,
    tableRsvLo: tableRsv.map((m) => m[0]),
    tableRsvHi: tableRsv.map((m) => m[1]),
    leafRsvLo: leafRsv.map((m) => m[0]),
    leafRsvHi: leafRsv.map((m) => m[1]),
    largeAt,
    patTypes: patTypes(pat),
    nxe: ctx.nxe,
    hiAddrMask: M > 32 ? bits32(M - 33, 0) : 0,
    pse36Mask: (1 << highWidth) - 1,
  };
}

/** Present: P (bit 0), or for EPT any of R/W/X (bits 2:0). */
export function isPresent(r: EntryRules, lo: number): boolean {
  return r.mode === 'ept' ? (lo & 7) !== 0 : (lo & 1) !== 0;
}

/** A present entry at `level` maps a page (level 1, or PS where large pages exist). */
export function isLeaf(r: EntryRules, level: number, lo: number): boolean {
  return level === 1 || (r.largeAt[level] && (lo & 0x80) !== 0);
}

/** True when the entry faults: reserved bits, or an EPT misconfiguration (decodeEntry says which). */
export function isBad(r: EntryRules, level: number, leaf: boolean, lo: number, hi: number): boolean {
  const rsv = leaf ? (lo & r.leafRsvLo[level]) | (hi & r.leafRsvHi[level]) : (lo & r.tableRsvLo[level]) | (hi & r.tableRsvHi[level]);
  if (rsv !== 0) return true;
  if (r.mode !== 'ept') return false;
  if ((lo & 3) === 2) return true; // W without R
  if (!leaf) return false;
  const mt = (lo >>> 3) & 7;
  return mt === 2 || mt === 3 || mt === 7;
}

/** Physical address of the next table (a table entry). */
export function tableAddress(r: EntryRules, lo: number, hi: number): number {
  if (r.mode === 'legacy32') return (lo & 0xfffff000) >>> 0;
  return (hi & r.hiAddrMask) * TWO32 + ((lo & 0xfffff000) >>> 0);
}

/** Frame number (PA >> 12) of the page a leaf maps. */
export function leafPfn(r: EntryRules, level: number, lo: number, hi: number): number {
  const pages = r.coverPages[level];
  if (r.mode === 'legacy32') {
    if (level === 1) return lo >>> 12;
    return (lo >>> 22) * 1024 + ((lo >>> 13) & r.pse36Mask) * 0x100000;
  }
  const low = Math.floor((lo >>> 12) / pages) * pages;
  return (hi & r.hiAddrMask) * 0x100000 + low;
}

/** The rights an entry grants (ATTR_R/W/X/U), to be ANDed over the levels. */
export function entryRights(r: EntryRules, level: number, lo: number, hi: number): number {
  if (r.mode === 'ept') return (lo & 1 ? ATTR_R : 0) | (lo & 2 ? ATTR_W : 0) | (lo & 4 ? ATTR_X : 0) | ATTR_U;
  if (r.mode === 'pae' && level === 3) return ATTR_RIGHTS; // a PDPTE has no RW, US or XD
  const x = r.nxe && hi >>> 31 ? 0 : ATTR_X;
  return ATTR_R | (lo & 2 ? ATTR_W : 0) | (lo & 4 ? ATTR_U : 0) | x;
}

/** G and the memory type of a leaf (ATTR_G and bits 8..10). */
export function leafAttributes(r: EntryRules, level: number, lo: number): number {
  if (r.mode === 'ept') return ((lo >>> 3) & 7) << ATTR_TYPE_SHIFT;
  const patBit = level === 1 ? (lo >>> 7) & 1 : (lo >>> 12) & 1;
  const index = patBit * 4 + ((lo >>> 4) & 1) * 2 + ((lo >>> 3) & 1);
  return (lo & 0x100 ? ATTR_G : 0) | (r.patTypes[index] << ATTR_TYPE_SHIFT);
}
