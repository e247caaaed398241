/**
 * Readings of a number and the hover's text. Truth: values decoded by hand from the Intel SDM
 * (vol. 3A §4.3 and tables 4-4 to 4-6 for 32-bit paging, 4-8 to 4-11 for PAE, 4-15 to 4-20 for
 * 4-level paging; §12.12 for the PAT and its reset value), Linux's asm/xen/page.h for the P2M bits
 * (seed 001), and seed 004's dump of a FreeBSD PAE guest's tables.
 */
import { describe, expect, it } from 'vitest';
import { hoverMarkdown, hoverTarget, liveText } from '../../src/textDecode/hoverText';
import { around, numberAt, numbersIn } from '../../src/textDecode/numbers';
import { entryReadings, p2mReadings, vaReadings } from '../../src/textDecode/readings';

const AUTO = { mode: 'auto' as const, maxPhyAddr: 52 };

describe('numbers in text', () => {
  it('finds 0x…, grouped, and bare 8/16-digit hex words as Xen and gdb print them', () => {
    const line = '(XEN)  Dom0 alloc.:   0000000036000000->0000000038000000 at 0xffff8300`00000000 pte=0x0000_0000_363e_9063 id 12345678';
    expect(numbersIn(line).map((t) => t.value)).toEqual([0x36000000n, 0x38000000n, 0xffff830000000000n, 0x363e9063n]);
    expect(numberAt(line, line.indexOf('ffff8300') + 2)).toMatchObject({ text: '0xffff8300`00000000', value: 0xffff830000000000n, label: 'at' });
    expect(numberAt(line, line.indexOf('12345678'))).toBeUndefined(); // 8 decimal digits: a count, not hex
    expect(numbersIn('x = abc0x10 _0x10 0x10f')).toEqual([{ start: 18, end: 23, text: '0x10f', value: 0x10fn }]);
  });

  it('C suffixes stay out of the token; English words and long hashes are no numbers', () => {
    const line = '#define DIRECTMAP_VIRT_START 0xffff830000000000UL /* full entry added */ 0x80000001u';
    const tokens = numbersIn(line);
    expect(tokens.map((t) => [t.text, line.slice(t.end, t.end + 2)])).toEqual([
      ['0xffff830000000000', 'UL'],
      ['0x80000001', 'u'],
    ]);
    expect(numbersIn('(XEN) build-id: 151b373fd64b321593bf987fd923cd10dabadac4; ACPI: Core revision 20220331')).toEqual([]);
  });

  it('bare hex of any length after a word that names an entry or a frame, as Linux and Xen print them', () => {
    const oops = 'PGD 100000067 P4D 100000067 PUD 1003f6067 PMD 10a4e3067 PTE 0';
    expect(numbersIn(oops).map((t) => [t.label, t.value])).toEqual([
      ['pgd', 0x100000067n],
      ['p4d', 0x100000067n],
      ['pud', 0x1003f6067n],
      ['pmd', 0x10a4e3067n],
    ]); // PTE 0: one digit is a count as much as hex
    expect(numbersIn('Error getting mfn 10b0b1 (pfn 54b0b1) from L1 entry 800000010b0b1067').map((t) => [t.label, t.text])).toEqual([
      ['mfn', '10b0b1'],
      ['pfn', '54b0b1'],
      ['entry', '800000010b0b1067'],
    ]);
    expect(numbersIn(' L4[0x0fe] = 0000000031a4c067 000000000002a61d').map((t) => [t.label, t.text])).toEqual([
      [undefined, '0x0fe'],
      ['l4', '0000000031a4c067'],
      [undefined, '000000000002a61d'],
    ]);
    // A command-line option is no label; WinDbg's grouped bare hex is a number.
    expect(numbersIn('./xenctrl 4 -l3 0xfb153 dump64-mfn 0xfbc00000').map((t) => t.label)).toEqual([undefined, undefined]);
    expect(numbersIn('rsp=fffff803`1a2b3c4d')).toMatchObject([{ value: 0xfffff8031a2b3c4dn, label: 'rsp' }]);
  });

  it('a long line is read around the column only, with the same token', () => {
    const line = `${'x '.repeat(50_000)}pte 0x00fb152063 ${'y '.repeat(50_000)}`;
    const column = line.indexOf('0x00fb') + 3;
    const { text, offset } = around(line, column);
    expect(text.length).toBeLessThanOrEqual(240);
    const t = numberAt(text, column - offset)!;
    expect([offset + t.start, t.value, t.label]).toEqual([line.indexOf('0x00fb'), 0xfb152063n, 'pte']);
    expect(around('short 0x10', 7)).toEqual({ text: 'short 0x10', offset: 0 });
  });
});

describe('readings (by hand from the SDM)', () => {
  it('0x00fb152063 from seed 004 (a FreeBSD PAE guest’s PTE): bits 0, 1, 5, 6 = P RW A D, frame 0xfb152000, PAT entry 0 = WB', () => {
    expect(entryReadings(0xfb152063n, AUTO)).toEqual([
      { label: '64-bit PTE', text: '4 KiB page at 0xfb152000 · P RW A D · WB' },
      { label: '32-bit PTE', text: '4 KiB page at 0xfb152000 · P RW A D · WB' },
    ]);
  });

  it('a 2 MiB PDE (0x0001a001e3): both readings, bit 7 PAT at level 1 and PS at level 2; 32-bit paging finds it misaligned', () => {
    const r = entryReadings(0x1a001e3n, AUTO);
    // At level 1 bit 7 is PAT: PAT entry 4 (PAT·4), WB in the reset IA32_PAT (PA4 = 06h).
    expect(r[0]).toEqual({ label: '64-bit PTE', text: '4 KiB page at 0x1a00000 · P RW A D G PAT · WB' });
    // Bits 29:13 are not clear (0x1a00000 is not 1 GiB aligned): no 1 GiB reading.
    expect(r[1]).toEqual({ label: '64-bit PDE', text: '2 MiB page at 0x1a00000 · P RW A D PS G · WB' });
    // 32-bit paging: bits 31:22 give 0x1800000; bit 21, always reserved in a 4 MiB PDE, is set.
    expect(r[3]).toEqual({ label: '32-bit PDE', text: '4 MiB page at 0x1800000 · P RW A D PS G · WB · reserved bits 0x200000 set: a walk faults here' });
  });

  it('a 1 GiB-aligned large page says so; PCD with the large-page PAT bit (12) selects PAT entry 6 = UC-', () => {
    expect(entryReadings(0x80000000400000e3n, AUTO)[1]).toEqual({ label: '64-bit PDE', text: '2 MiB page at 0x40000000 (1 GiB as a PDPTE) · P RW A D PS XD · WB' });
    // The long4 guest's 'xd rw pcd pat' 2 MiB page at 0x400000 (its PD, read with gdb): 0xf3 = P RW PCD A D PS; bit 12 = PAT.
    expect(entryReadings(0x80000000004010f3n, AUTO)[1]).toEqual({ label: '64-bit PDE', text: '2 MiB page at 0x400000 · P RW PCD A D PS PAT XD · UC-' });
  });

  it('an XD leaf, a swap entry, and reserved bits above MAXPHYADDR', () => {
    expect(entryReadings(0x8000000036400067n, AUTO)).toEqual([{ label: '64-bit PTE', text: '4 KiB page at 0x36400000 · P RW US A D XD · WB' }]);
    expect(entryReadings(0x3e3d0n, { mode: 'long4', maxPhyAddr: 52 })).toEqual([{ label: '4-level PTE', text: 'not present (P = 0: a software value, such as a swap entry)' }]);
    // MAXPHYADDR 40: bits 51:40 are reserved; the address keeps bits 39:12.
    expect(entryReadings(0x000fffff00000063n, { mode: 'long4', maxPhyAddr: 40 })[0].text).toBe('4 KiB page at 0xff00000000 · P RW A D · WB · reserved bits 0xfff0000000000 set: a walk faults here');
    // PAE has no software bits up there: bits 62:M are reserved (table 4-11).
    expect(entryReadings(0x0010000036400063n, { mode: 'pae', maxPhyAddr: 52 })[0].text).toMatch(/^4 KiB page at 0x36400000 · P RW A D · WB · reserved bits 0x10000000000000 set/);
  });

  it('as a VA: the index at each level, canonical or not, in 4- and 5-level paging', () => {
    // 0xffff830000000000 (Xen's direct map): PML4 = bits 47:39 = 0x106 = 262; PML5 = bits 56:48 = 511.
    expect(vaReadings(0xffff830000000000n, AUTO)).toEqual([
      { label: 'VA, 4-level', text: 'PML4 262 · PDPT 0 · PD 0 · PT 0 · offset 0x0 · canonical (upper half)' },
      { label: 'VA, 5-level', text: 'PML5 511, then as in 4-level paging' },
    ]);
    // Bit 47 set, bits 63:48 clear: not canonical with 48 bits, canonical with 57.
    expect(vaReadings(0x0000900000001000n, AUTO)).toEqual([
      { label: 'VA, 4-level', text: 'not canonical in 4-level paging (bits 63:47 differ; canonical form 0xffff900000001000)' },
      { label: 'VA, 5-level', text: 'PML5 0 · PML4 288 · PDPT 0 · PD 0 · PT 1 · offset 0x0 · canonical (lower half)' },
    ]);
    expect(vaReadings(0x8000000036400067n, { mode: 'long5', maxPhyAddr: 52 })).toEqual([
      { label: 'VA, 5-level', text: 'not canonical in 5-level paging either (bits 63:56 differ; canonical form 0x36400067)' },
    ]);
  });

  it('32-bit values as PAE and 32-bit VAs too (seed 004’s kernel at 0xc0000000: PDPT 3)', () => {
    expect(vaReadings(0xc0001234n, AUTO)).toEqual([
      { label: 'VA, 4-level', text: 'PML4 0 · PDPT 3 · PD 0 · PT 1 · offset 0x234 · canonical (lower half)' },
      { label: 'VA, 5-level', text: 'PML5 0, then as in 4-level paging' },
      { label: 'VA, PAE', text: 'PDPT 3 · PD 0 · PT 1 · offset 0x234' },
      { label: 'VA, 32-bit', text: 'PD 768 · PT 1 · offset 0x234' },
    ]);
    expect(vaReadings(0xffff830000000000n, { mode: 'pae', maxPhyAddr: 52 })).toEqual([{ label: 'VA, PAE', text: 'above 4 GiB: not a 32-bit address' }]);
  });

  it('as a Xen P2M value: INVALID, IDENTITY and FOREIGN named for 64- and 32-bit guests (seed 001)', () => {
    expect(p2mReadings(0xffffffffffffffffn)).toEqual([{ label: 'Xen P2M, 64-bit', text: 'INVALID_P2M_ENTRY (~0): the pfn is missing' }]);
    expect(p2mReadings((1n << 62n) | 0x40500n)[0].text).toBe('IDENTITY_FRAME_BIT (bit 62): 1:1, mfn = pfn = 0x40500 (a non-RAM E820 region)');
    expect(p2mReadings(0xffffffffn)).toEqual([{ label: 'Xen P2M, 32-bit', text: 'INVALID_P2M_ENTRY (~0): the pfn is missing' }]);
    expect(p2mReadings(0x80001234n)).toEqual([{ label: 'Xen P2M, 32-bit', text: 'FOREIGN_FRAME_BIT (bit 31): a frame granted by another domain, mfn 0x1234' }]);
    expect(p2mReadings(0x40000abcn)).toEqual([{ label: 'Xen P2M, 32-bit', text: 'IDENTITY_FRAME_BIT (bit 30): 1:1, mfn = pfn = 0xabc (a non-RAM E820 region)' }]);
    expect(p2mReadings(0x290dn)).toEqual([]); // a plain MFN: the entry reading says it already
    // Kernel addresses have bits 63 and 62 set over a frame no machine has: not P2M values.
    expect(p2mReadings(0xffff830000000000n)).toEqual([]);
    expect(p2mReadings(0xfb152063n)).toEqual([]);
  });
});

describe('the hover', () => {
  it('an entry: the value, the entry readings first, then the VA readings, then the session’s translation', () => {
    const md = hoverMarkdown(0xfb152063n, AUTO, { live: { vcpu: 1, pa: '0x1fb152063', pageSize: 0x40000000, flags: 'R - - U -', memoryType: 'WB' } });
    expect(md.split('\n')).toEqual([
      '**0xfb152063** = 4212465763 · looks like a paging-structure entry',
      '',
      '| as | reads |',
      '| --- | --- |',
      '| 64-bit PTE | 4 KiB page at 0xfb152000 · P RW A D · WB |',
      '| 32-bit PTE | 4 KiB page at 0xfb152000 · P RW A D · WB |',
      '| VA, 4-level | PML4 0 · PDPT 3 · PD 472 · PT 338 · offset 0x63 · canonical (lower half) |',
      '| VA, 5-level | PML5 0, then as in 4-level paging |',
      '| VA, PAE | PDPT 3 · PD 472 · PT 338 · offset 0x63 |',
      '| VA, 32-bit | PD 1004 · PT 338 · offset 0x63 |',
      '',
      "**VA → PA under CPU 1's CR3:** PA 0x1fb152063 (1 GiB page; R - - U -) · WB",
    ]);
  });

  it('an address: the session’s answer right under the value, then the VA readings first', () => {
    const md = hoverMarkdown(0xffff830000000000n, AUTO, { live: { vcpu: 0, fault: { reason: 'not-present', level: 4, message: 'PML4E [262] at 0x110830 is not present' } } });
    expect(md.split('\n')).toEqual([
      '**0xffff830000000000** = 18446606634756079616',
      '',
      "**VA → PA under CPU 0's CR3:** no translation: PML4E [262] at 0x110830 is not present",
      '',
      '| as | reads |',
      '| --- | --- |',
      '| VA, 4-level | PML4 262 · PDPT 0 · PD 0 · PT 0 · offset 0x0 · canonical (upper half) |',
      '| VA, 5-level | PML5 511, then as in 4-level paging |',
      '| 64-bit PTE | not present (P = 0: a software value, such as a swap entry) |',
    ]);
  });

  it('a P2M special value: its P2M reading first', () => {
    const md = hoverMarkdown(0xffffffffffffffffn, AUTO);
    expect(md.split('\n').slice(2, 5)).toEqual(['| as | reads |', '| --- | --- |', '| Xen P2M, 64-bit | INVALID_P2M_ENTRY (~0): the pfn is missing |']);
  });

  it('one mode only when the settings say so', () => {
    const md = hoverMarkdown(0x8000000036400067n, { mode: 'pae', maxPhyAddr: 36 });
    expect(md).toContain('| PAE PTE | 4 KiB page at 0x36400000 · P RW US A D XD · WB |');
    expect(md).not.toMatch(/32-bit PTE|VA, 32-bit|4-level|5-level/);
  });

  it('where it stands decides whether a value looks like an entry: Xen’s pfn column does not, the entry beside it does', () => {
    const line = '(XEN)  L3[0x0f1] = 0000000031a4b067 000000000002a621';
    const at = (text: string) => hoverTarget(line, line.indexOf(text) + 1, AUTO);
    expect(at('0000000031a4b067')).toMatchObject({ token: { value: 0x31a4b067n, label: 'l3' }, entryLike: true });
    expect(at('000000000002a621')).toMatchObject({ token: { value: 0x2a621n }, entryLike: false });
    expect(hoverMarkdown(0x2a621n, AUTO).split('\n')[0]).toBe('**0x2a621** = 173601 · looks like a paging-structure entry'); // alone, it would
    expect(hoverTarget(line, 2, AUTO)).toBeUndefined(); // on "XEN"
    const long = `${'.'.repeat(1000)} pte 0x00fb152063`;
    expect(hoverTarget(long, long.length - 3, AUTO)).toMatchObject({ token: { start: long.length - 12, end: long.length }, entryLike: true });
  });

  it('the session’s answer names a recursive slot', () => {
    expect(liveText({ vcpu: 0, pa: '0x110000', pageSize: 4096, flags: 'R W X - -', insideSelfMap: { slotVa: '0xfffff68000000000', level: 4 } })).toBe(
      'PA 0x110000 (4 KiB page; R W X - -) · inside the recursive slot at 0xfffff68000000000: a level-4 paging-structure entry, not data',
    );
  });
});

describe('the hover of a kernel address', () => {
  it('reads it as a VA first (Xen’s log: dom0 loaded at 0xffffffff81000000)', () => {
    const md = hoverMarkdown(0xffffffff81000000n, { mode: 'auto', maxPhyAddr: 52 }).split('\n');
    expect(md[4]).toBe('| VA, 4-level | PML4 511 · PDPT 510 · PD 8 · PT 0 · offset 0x0 · canonical (upper half) |');
    const pte = md.findIndex((l) => l.startsWith('| 64-bit PTE |'));
    expect(pte).toBeGreaterThan(4);
    expect(md[pte]).toBe('| 64-bit PTE | not present (P = 0: a software value, such as a swap entry) |');
  });
});
