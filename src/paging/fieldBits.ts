import { levelShift } from './modes';
import type { DecodedEntry, EntryFields } from './types';

/**
 * Where each field of a decoded entry lives (Intel SDM vol. 3A tables 4-4 to 4-6, 4-8 to 4-11,
 * 4-14 to 4-20; vol. 3C table 29-1 to 29-6 for EPT), as `7` or `11:9`. The same name moves: PAT is
 * bit 7 in a PTE but bit 12 in a large page, AVL_HI shrinks to 58:52 when protection keys take
 * bits 62:59.
 */
export function fieldBits(e: DecodedEntry, key: keyof EntryFields): string {
  if (e.mode === 'ept') return EPT_BITS[key] ?? '?';
  switch (key) {
    case 'PAT':
      return e.level === 1 ? '7' : '12';
    case 'AVL_HI':
      return e.fields.PK !== undefined ? '58:52' : '62:52';
    default:
      return COMMON_BITS[key] ?? '?';
  }
}

const COMMON_BITS: Partial<Record<keyof EntryFields, string>> = { P: '0', RW: '1', US: '2', PWT: '3', PCD: '4', A: '5', D: '6', PS: '7', G: '8', AVL: '11:9', PK: '62:59', XD: '63' };
const EPT_BITS: Partial<Record<keyof EntryFields, string>> = { R: '0', W: '1', X: '2', MT: '5:3', IPAT: '6', PS: '7', A: '8', D: '9', XU: '10', SVE: '63' };

/**
 * The bits that hold an entry's address, high first: `51:12`, `31:22` and — for a 32-bit 4 MiB
 * page — `20:13` (physical-address bits 39:32, PSE-36). Empty for an entry that is not present.
 */
export function addressBits(e: DecodedEntry, maxPhyAddr: number): string[] {
  if (e.kind === 'not-present') return [];
  if (e.mode === 'legacy32') {
    if (e.kind === 'page' && e.level === 2) return ['31:22', '20:13'];
    return ['31:12'];
  }
  const low = e.kind === 'page' ? levelShift(e.mode, e.level) : 12;
  return [`${Math.min(maxPhyAddr, 52) - 1}:${low}`];
}

/** The set bits of a mask as ranges, high first: 0x200000 → `21`, 0xfff0000000000 → `51:40`. */
export function bitRanges(mask: bigint): string[] {
  const out: string[] = [];
  let hi = -1;
  for (let b = 63; b >= -1; b--) {
    const set = b >= 0 && ((mask >> BigInt(b)) & 1n) === 1n;
    if (set && hi < 0) hi = b;
    if (!set && hi >= 0) {
      out.push(hi === b + 1 ? String(hi) : `${hi}:${b + 1}`);
      hi = -1;
    }
  }
  return out;
}
