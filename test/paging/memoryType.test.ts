import { describe, expect, it } from 'vitest';
import { decodeEntry } from '../../src/paging/entry';
import { memoryType, PAT_AT_RESET, patIndex } from '../../src/paging/memoryType';

// Truth: SDM Vol. 3A, tables 12-10 (PAT entry selection) and 12-11 (encodings); Linux's IA32_PAT
// from arch/x86/mm/pat/memtype.c's comment: WB WC UC- UC WB WP UC- WT, i.e. 0x0407050600070106.
const LINUX_PAT = 0x0407050600070106n;

describe('memory type of a leaf', () => {
  it('PTE bits select the PAT entry: PWT = 1, PCD = 2, PAT (bit 7) = 4', () => {
    expect(patIndex(decodeEntry(0x1003n, 'long4', 1).fields)).toBe(0);
    expect(patIndex(decodeEntry(0x100bn, 'long4', 1).fields)).toBe(1); // PWT
    expect(patIndex(decodeEntry(0x1013n, 'long4', 1).fields)).toBe(2); // PCD
    expect(patIndex(decodeEntry(0x1083n, 'long4', 1).fields)).toBe(4); // PAT in a PTE
  });

  it('in a 2 MiB page the PAT bit is bit 12 and bit 7 is PS', () => {
    const e = decodeEntry(0x200000n | (1n << 12n) | 0x83n, 'long4', 2);
    expect(e.pageSize).toBe(2n << 20n);
    expect(patIndex(e.fields)).toBe(4);
  });

  it('the reset PAT: WB, WT, UC-, UC repeated', () => {
    const at = (raw: bigint) => memoryType(decodeEntry(raw, 'long4', 1).fields, PAT_AT_RESET);
    expect([at(0x1003n), at(0x100bn), at(0x1013n), at(0x101bn), at(0x1083n)]).toEqual(['WB', 'WT', 'UC-', 'UC', 'WB']);
  });

  it("Linux's PAT: PWT alone is WC, PAT+PWT is WP, PAT+PCD+PWT is WT", () => {
    const at = (raw: bigint) => memoryType(decodeEntry(raw, 'long4', 1).fields, LINUX_PAT);
    expect([at(0x100bn), at(0x108bn), at(0x109bn)]).toEqual(['WC', 'WP', 'WT']);
  });

  it('legacy32 and PAE PTEs select the same way; a reserved encoding gives undefined', () => {
    expect(memoryType(decodeEntry(0x101bn, 'legacy32', 1).fields)).toBe('UC');
    expect(memoryType(decodeEntry(0x1013n, 'pae', 1).fields)).toBe('UC-');
    expect(memoryType(decodeEntry(0x1003n, 'long4', 1).fields, 0x02n)).toBeUndefined();
  });

  it('an EPT leaf carries its type in MT (bits 5:3)', () => {
    expect(memoryType(decodeEntry(0x1000n | (6n << 3n) | 7n, 'ept', 1).fields)).toBe('WB');
    expect(memoryType(decodeEntry(0x1000n | 7n, 'ept', 1).fields)).toBe('UC');
  });
});
