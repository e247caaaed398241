import { bit, bits, mask } from '../util/numbers';
import { levelShift, type PagingContext } from './modes';
import type { DecodedEntry, EntryFields } from './types';

/**
 * Intel EPT (SDM vol. 3C, 29.3). An entry has no P bit: it is present when any of R/W/X
 * (bits 2:0) is set. Leaves carry the memory type (5:3) and ignore-PAT (6); A (8) and D (9,
 * leaves) exist only when the EPTP enables accessed/dirty flags.
 */
export function decodeEptEntry(raw: bigint, level: number, c: PagingContext): DecodedEntry {
  const b = bit;
  if ((raw & 7n) === 0n) {
    return { raw, mode: 'ept', level, kind: 'not-present', address: 0n, fields: { R: 0, W: 0, X: 0 }, reserved: 0n, problems: [] };
  }
  const M = c.maxPhyAddr;
  const fields: EntryFields = { R: b(raw, 0), W: b(raw, 1), X: b(raw, 2), XU: b(raw, 10), SVE: b(raw, 63) };
  const problems: string[] = [];
  if (fields.W && !fields.R) problems.push('EPT misconfiguration: write permission without read (W=1, R=0)');
  let reserved = M < 52 ? raw & mask(51, M) : 0n;
  const ps = b(raw, 7);
  const leaf = level === 1 || (ps === 1 && (level === 2 || (level === 3 && c.page1G)));
  if (c.eptAD) fields.A = b(raw, 8);

  if (!leaf) {
    // Bits 6:3 are reserved in non-leaf entries; bit 7 too at the top levels.
    reserved |= raw & mask(6, 3);
    if (level >= 4) reserved |= raw & (1n << 7n);
    if (level === 3 && ps && !c.page1G) reserved |= 1n << 7n;
    fields.PS = ps;
    return { raw, mode: 'ept', level, kind: 'table', address: raw & mask(M - 1, 12), fields, reserved, problems };
  }
  fields.MT = Number(bits(raw, 5, 3));
  fields.IPAT = b(raw, 6);
  if (level > 1) fields.PS = 1;
  if (c.eptAD) fields.D = b(raw, 9);
  if (fields.MT === 2 || fields.MT === 3 || fields.MT === 7) {
    problems.push(`EPT misconfiguration: memory type ${fields.MT} is reserved`);
  }
  const shift = levelShift('ept', level);
  if (level > 1) reserved |= raw & mask(shift - 1, 12);
  const size = 1n << BigInt(shift);
  return { raw, mode: 'ept', level, kind: 'page', address: raw & mask(M - 1, shift), pageSize: size, fields, reserved, problems };
}

export const EPT_MEMORY_TYPES: Record<number, string> = { 0: 'UC', 1: 'WC', 4: 'WT', 5: 'WP', 6: 'WB' };

export interface DecodedEptp {
  raw: bigint;
  /** Paging-structure memory type (bits 2:0): 0 = UC, 6 = WB; anything else is invalid. */
  memoryType: number;
  memoryTypeName: string;
  /** Walk length: bits 5:3 hold levels minus 1. */
  levels: number;
  /** Bit 6: accessed and dirty flags enabled. */
  accessedDirty: boolean;
  /** Bit 7: supervisor shadow-stack access rights enforced. */
  sssEnforced: boolean;
  /** Physical address of the EPT PML4 (or PML5) table. */
  root: bigint;
  problems: string[];
}

/** Decodes an EPT pointer (VMCS field EPTP, SDM 24.6.11). */
export function decodeEptp(raw: bigint, maxPhyAddr = 52): DecodedEptp {
  const memoryType = Number(bits(raw, 2, 0));
  const levels = Number(bits(raw, 5, 3)) + 1;
  const problems: string[] = [];
  if (memoryType !== 0 && memoryType !== 6) problems.push(`EPTP memory type ${memoryType} is invalid (only 0 = UC and 6 = WB)`);
  if (levels !== 4 && levels !== 5) problems.push(`EPTP walk length ${levels} is invalid (4 or 5 levels)`);
  const rsv = raw & (mask(11, 8) | (maxPhyAddr < 64 ? mask(63, maxPhyAddr) : 0n));
  if (rsv) problems.push(`EPTP reserved bits set: 0x${rsv.toString(16)}`);
  return {
    raw,
    memoryType,
    memoryTypeName: EPT_MEMORY_TYPES[memoryType] ?? 'invalid',
    levels,
    accessedDirty: bit(raw, 6) === 1,
    sssEnforced: bit(raw, 7) === 1,
    root: raw & mask(maxPhyAddr - 1, 12),
    problems,
  };
}
