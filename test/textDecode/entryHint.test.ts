/**
 * The inlay heuristic on real text (fixtures/): which values get a hint is compared with which
 * values are entries, judged by hand line by line.
 * - xen-4.17-dom0-boot.log: Debian's Xen 4.17 booting a PV dom0 under QEMU (as test/xen boots it),
 *   captured from the serial console; Linux lines without hex dropped. A boot log prints ranges,
 *   addresses, ids and masks, and no entry.
 * - gdb-long4-tables.txt: gdb's x/gx and p/x on the long4 test guest's tables (test/guests), whose
 *   entries long4.expected.ts lists: every non-zero word dumped from a table is an entry.
 * - seed004-freebsd-pae.log: seed 004's lines (a FreeBSD PAE guest of Xen, xen-devel).
 * - oops-and-page-walks.log: Linux's and Xen's page-table dumps, in their sources' formats.
 * - paging-constants.h: constants of the kind kernels define, and a table of entries.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryHint, entryHintsIn } from '../../src/textDecode/entryHint';

const AUTO = { mode: 'auto' as const, maxPhyAddr: 52 };

function fixture(name: string): string[] {
  return readFileSync(join(__dirname, 'fixtures', name), 'utf8').split('\n');
}

/** Every hint of a file as `line: token ⟶ text`, 1-based lines. */
function hints(name: string, opts = AUTO): string[] {
  return fixture(name).flatMap((line, i) => entryHintsIn(line, opts).map((h) => `${i + 1}: ${h.token.text} ⟶ ${h.text}`));
}

describe('inlay hints on real text', () => {
  it('a Xen boot log: no hint (ranges, addresses, ids and masks are not entries)', () => {
    const lines = fixture('xen-4.17-dom0-boot.log');
    expect(lines.length).toBeGreaterThan(200);
    expect(hints('xen-4.17-dom0-boot.log')).toEqual([]);
  });

  it('gdb x/gx of the long4 guest’s tables: every entry, and neither the addresses nor CR3', () => {
    // By hand (SDM tables 4-15 to 4-20): 0x27 = P RW US A; 0x63 = P RW A D; 0xf5 = P US PCD A D PS, bit 12 = PAT;
    // 0xf3 = P RW PCD A D PS; 0xe5 = P US A D PS; 0x16f = P RW US PWT A D G; 0x61 = P A D; 0x165 = P US A D G.
    expect(hints('gdb-long4-tables.txt')).toEqual([
      '6: 0x0000000000111027 ⟶ P RW US A · 0x111000',
      '9: 0x0000000000110063 ⟶ P RW A D · 0x110000', // PML4[0x1ed], the recursive slot
      '14: 0x0000000000112027 ⟶ P RW US A · 0x112000',
      '14: 0x0000000000117027 ⟶ P RW US A · 0x117000',
      '15: 0x80000001000010f5 ⟶ P US PCD A D PS PAT XD · 0x100000000', // 1 GiB: 'xd us pcd pat' at 0x100000000
      '17: 0x0000000000113027 ⟶ P RW US A · 0x113000',
      '18: 0x80000000004010f3 ⟶ P RW PCD A D PS PAT XD · 0x400000', // 2 MiB: 'xd rw pcd pat'
      '18: 0x00000000006001e5 ⟶ P US A D PS G · 0x600000', // 2 MiB: 'us g'
      '22: 0x0000000000007063 ⟶ P RW A D · 0x7000',
      '25: 0x000000000030116f ⟶ P RW US PWT A D G · 0x301000', // 'rw us pwt g'
      '28: 0x8000000000800063 ⟶ P RW A D XD · 0x800000', // PD_SHARED's PT: 'xd rw'
      '28: 0x0000000000801061 ⟶ P A D · 0x801000',
      '29: 0x0000000000802165 ⟶ P US A D G · 0x802000', // 'us g'
      '31: 0x8000000000e01067 ⟶ P RW US A D XD · 0xe01000', // 'xd rw us'
      '31: 0x0000000000e00067 ⟶ P RW US A D · 0xe00000', // 'rw us'
      '33: 0x80000000000001e3 ⟶ P RW A D PS G XD · 0x0', // the direct map's 1 GiB page at 0: 'xd rw g'
      '37: 0x111027 ⟶ P RW US A · 0x111000',
      '39: 0x80000001000010f5 ⟶ P US PCD A D PS PAT XD · 0x100000000',
    ]);
  });

  it('seed 004: every PDE and PTE; the PAE PDPTEs (P only) are a known miss', () => {
    const h = hints('seed004-freebsd-pae.log');
    const entries = fixture('seed004-freebsd-pae.log')
      .flatMap((line) => [...line.matchAll(/0x0[0-9a-f]{9}(?![0-9a-f])|0x00000000d1620063/g)].map((m) => m[0]))
      .filter((v) => BigInt(v) !== 0n);
    expect(entries.length).toBe(37); // 4 + 2 + 12 + 2 + 4 + 12 + the recursive slot's PTE
    expect(h.map((x) => x.split(' ')[1])).toEqual(entries);
    expect(h).toContain('16: 0x00fb152063 ⟶ P RW A D · 0xfb152000');
    expect(h).toContain('10: 0x00fbc000e1 ⟶ P A D PS · 0xfbc00000'); // the 4 MiB M2P mapping: read-only
    expect(h.some((x) => x.includes('0x00000000fb152001'))).toBe(false);
    expect(h.some((x) => /0xc03b|0xffffffff|0xfd|0xfb153/.test(x.split(' ')[1]))).toBe(false);
  });

  it('Linux’s oops and Xen’s page walks: the labelled entries at their level; the pfn column and the empty PTE are not entries', () => {
    expect(hints('oops-and-page-walks.log')).toEqual([
      '8: 100000067 ⟶ P RW US A · 0x100000000',
      '8: 100000067 ⟶ P RW US A · 0x100000000',
      '8: 1003f6067 ⟶ P RW US A · 0x1003f6000',
      '8: 10a4e3067 ⟶ P RW US A · 0x10a4e3000',
      '14: 8000000105e4d025 ⟶ P US A XD · 0x105e4d000',
      '14: 10a52a067 ⟶ P RW US A · 0x10a52a000',
      '15: 800000010b0b1067 ⟶ P RW US A D XD · 0x10b0b1000',
      '18: 0000000031a4c067 ⟶ P RW US A · 0x31a4c000',
      '19: 0000000031a4b067 ⟶ P RW US A · 0x31a4b000', // its pfn 000000000002a621 (P A) is the entry's companion
      '20: 0000000031a4a067 ⟶ P RW US A · 0x31a4a000',
      '23: 000000003fc72063 ⟶ P RW A · 0x3fc72000',
      '24: 000000003fc6f063 ⟶ P RW A · 0x3fc6f000',
      '25: 000000003f8001e3 ⟶ P RW A D PS G · 0x3f800000',
    ]);
  });

  it('a C header: the table of entries, and a protection value as its flags; never addresses, MSRs, magics or masks', () => {
    expect(hints('paging-constants.h')).toEqual([
      '11: 0x8000000000000163 ⟶ P RW A D G XD · 0x0',
      '33: 0x0000000012345067 ⟶ P RW US A D · 0x12345000',
      '33: 0x8000000036400067 ⟶ P RW US A D XD · 0x36400000',
      '33: 0x00000000004001e3 ⟶ P RW A D PS G · 0x400000',
      '34: 0x80000000400000e3 ⟶ P RW A D PS XD · 0x40000000',
      '34: 0x0000000000111027 ⟶ P RW US A · 0x111000',
    ]);
  });

  it('each rule on its own', () => {
    const h = (value: bigint, label?: string) => entryHint({ value, label }, AUTO);
    expect(h(0x163n)).toBeUndefined(); // below 0x1000: flags, counts, ports
    expect(h(0x12345023n)).toBe('P RW A · 0x12345000');
    expect(h(0x12345003n)).toBeUndefined(); // no A
    expect(h(0x12345003n, 'pte')).toBe('P RW · 0x12345000'); // labelled: present is enough
    expect(h(0x17fffffffn)).toBeUndefined(); // 0x…fff: the end of a range
    expect(h(0xffff830000000063n)).toBeUndefined(); // bits 62:52: a kernel address
    expect(h(0x00007ffd2d8e3a21n)).toBeUndefined(); // a "frame" beyond 64 TiB: a user-space VA
    expect(h(0x1234a0e3n)).toBeUndefined(); // PS with bits 20:13 set: a misaligned large page is reserved
    expect(h(0x1003f6067n, 'mfn')).toBeUndefined(); // labelled as a number
    expect(h(0x00000000004001e3n, 'pml4e')).toBeUndefined(); // PS in a PML4E is reserved
    expect(h(0x31a4c067n, 'l4')).toBe('P RW US A · 0x31a4c000');
    expect(entryHintsIn('[mem 0x3ffe0000-0x3ffe003f]', AUTO)).toEqual([]); // 0x3ffe003f alone would pass
    expect(h(0x3ffe003fn)).toBe('P RW US PWT PCD A · 0x3ffe0000');
  });

  it('the configured mode reads the entry: 32-bit paging has no entries above 4 GiB, and its 4 MiB pages use PSE-36', () => {
    const legacy = { mode: 'legacy32' as const, maxPhyAddr: 40 };
    expect(entryHint({ value: 0x8000000036400067n }, legacy)).toBeUndefined();
    // 4 MiB page: bits 31:22 = 0x004 → 0x400000; bits 20:13 = 0x01 → PA bits 39:32 = 1.
    expect(entryHint({ value: 0x004020e3n }, legacy)).toBe('P RW A D PS · 0x100400000');
  });
});
