import type { EntryFields } from './types';

/**
 * Memory types (Intel SDM Vol. 3A, 12.12 "Page Attribute Table"). `UC-` is UC that an MTRR may
 * turn into WC; encodings 2 and 3 are reserved and make the entry's access fault.
 */
export type MemoryType = 'UC' | 'WC' | 'WT' | 'WP' | 'WB' | 'UC-';

const BY_ENCODING: Record<number, MemoryType | undefined> = { 0: 'UC', 1: 'WC', 4: 'WT', 5: 'WP', 6: 'WB', 7: 'UC-' };

/** IA32_PAT after reset (SDM 12.12.4): PA0..PA7 = WB WT UC- UC WB WT UC- UC. */
export const PAT_AT_RESET = 0x0007040600070406n;

/** Which IA32_PAT entry a leaf selects: PAT·4 + PCD·2 + PWT (the PAT bit is 7 in a PTE, 12 in a large page; `fields` has it where it is). */
export function patIndex(fields: EntryFields): number {
  return (fields.PAT ?? 0) * 4 + (fields.PCD ?? 0) * 2 + (fields.PWT ?? 0);
}

/** A memory type's name from its 3-bit encoding; undefined for the reserved encodings 2 and 3. */
export function memoryTypeOfEncoding(encoding: number): MemoryType | undefined {
  return BY_ENCODING[encoding & 7];
}

/**
 * The memory type a leaf entry asks for through the PAT. MTRRs may still change it (a UC MTRR
 * wins); that is the machine's business, not the page table's. `pat` is the guest's IA32_PAT when
 * known, else its reset value. EPT leaves carry their type in MT; undefined for a reserved PAT encoding.
 */
export function memoryType(fields: EntryFields, pat: bigint = PAT_AT_RESET): MemoryType | undefined {
  if (fields.MT !== undefined) return memoryTypeOfEncoding(fields.MT);
  const index = patIndex(fields);
  return memoryTypeOfEncoding(Number((pat >> BigInt(index * 8)) & 7n));
}
