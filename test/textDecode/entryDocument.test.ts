/**
 * Decode Entry's document: every field with its bits. Truth: the SDM's entry formats (vol. 3A
 * table 4-19, a 4-level PTE; table 4-5, a 32-bit 4 MiB PDE with PSE-36; vol. 3C table 29-6, an
 * EPT PTE), read by hand for each value.
 */
import { describe, expect, it } from 'vitest';
import { decodeEntry } from '../../src/paging/entry';
import { bitRanges } from '../../src/paging/fieldBits';
import { entryDocument } from '../../src/textDecode/entryDocument';

describe('Decode Entry’s document', () => {
  it('a 4-level PTE: every field from bit 0 to 63, the memory type, the reserved bits', () => {
    const lines = entryDocument(decodeEntry(0xfb152063n, 'long4', 1), 52);
    expect(lines.map((l) => l.replace(/ +/g, ' '))).toEqual([
      '0x00000000fb152063 as a long4 PTE (level 1)',
      '4 KiB page at 0xfb152000 · P RW A D · WB',
      '',
      'bits field value meaning',
      '0 P 1 present',
      '1 RW 1 writes allowed',
      '2 US 0 supervisor only',
      '3 PWT 0',
      '4 PCD 0',
      '5 A 1 accessed',
      '6 D 1 dirty',
      '7 PAT 0',
      '8 G 0',
      '11:9 AVL 0 ignored: free for software',
      '51:12 address 0xfb152000 page frame',
      '58:52 AVL_HI 0 ignored: free for software',
      '62:59 PK 0 protection key (CR4.PKE)',
      '63 XD 0 execute allowed',
      '',
      'memory type WB: PAT entry 0 (PAT·4 + PCD·2 + PWT) of IA32_PAT at reset',
      ' (WB WT UC- UC WB WT UC- UC); MTRRs may still make it UC',
      'reserved none set (MAXPHYADDR 52)',
    ]);
  });

  it('a 32-bit 4 MiB PDE with PSE-36 bits and the reserved bit 21', () => {
    // 0x006020f3: bits 31:22 = 0x001 → 0x400000; bits 20:13 = 0x01 → PA bits 39:32 = 1; bit 21 set
    // (reserved); 0xf3 = P RW PCD A D PS; bit 12 = 0.
    const lines = entryDocument(decodeEntry(0x006020f3n, 'legacy32', 2, { maxPhyAddr: 40 }), 40).map((l) => l.replace(/ +/g, ' '));
    expect(lines[0]).toBe('0x006020f3 as a legacy32 PDE (level 2)');
    expect(lines[1]).toBe('4 MiB page at 0x100400000 · P RW PCD A D PS · UC- · reserved bits 0x200000 set: a walk faults here');
    expect(lines.slice(4)).toEqual([
      '0 P 1 present',
      '1 RW 1 writes allowed',
      '2 US 0 supervisor only',
      '3 PWT 0',
      '4 PCD 1 cache disabled',
      '5 A 1 accessed',
      '6 D 1 dirty',
      '7 PS 1 maps a page',
      '8 G 0',
      '11:9 AVL 0 ignored: free for software',
      '12 PAT 0',
      '20:13 physical-address bits 39:32 (PSE-36)',
      '31:22 address 0x100400000 page frame',
      '',
      'memory type UC-: PAT entry 2 (PAT·4 + PCD·2 + PWT) of IA32_PAT at reset',
      ' (WB WT UC- UC WB WT UC- UC); MTRRs may still make it UC',
      'reserved bits 21 set (0x200000): a walk through this entry faults with RSVD (MAXPHYADDR 40)',
    ]);
  });

  it('an EPT PTE: R W X, the memory type in bits 5:3, and a misconfiguration', () => {
    // 0x36400037: R W X (bits 2:0), MT = bits 5:3 = 6 (WB); EPT misconfigured? no. 0x36400032: W without R.
    const ok = entryDocument(decodeEntry(0x36400037n, 'ept', 1), 52).map((l) => l.replace(/ +/g, ' '));
    expect(ok).toContain('5:3 MT 6 EPT memory type: WB');
    expect(ok).toContain('51:12 address 0x36400000 page frame');
    const bad = entryDocument(decodeEntry(0x36400032n, 'ept', 1), 52);
    expect(bad.at(-1)).toBe('problem      EPT misconfiguration: write permission without read (W=1, R=0)');
  });

  it('a value that is not present: what the CPU ignores', () => {
    expect(entryDocument(decodeEntry(0x3e3d0n, 'long4', 1), 52)).toEqual([
      '0x000000000003e3d0 as a long4 PTE (level 1)',
      'not present (P = 0: a software value, such as a swap entry)',
      '',
      'P (bit 0) is clear: the CPU ignores every other bit; software may keep anything there (Linux: swap entries).',
    ]);
  });

  it('bit ranges of a mask, high first', () => {
    expect(bitRanges(0x200000n)).toEqual(['21']);
    expect(bitRanges(0xfff0000000000n)).toEqual(['51:40']);
    expect(bitRanges((1n << 63n) | 0x6n)).toEqual(['63', '2:1']);
    expect(bitRanges(0n)).toEqual([]);
  });
});
