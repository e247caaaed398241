import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hoverMarkdown } from '../../src/textDecode/hoverText';
import { numberAt, numbersIn } from '../../src/textDecode/numbers';
import { entryReadings, inlayText, looksLikeEntry, p2mReadings, vaReadings } from '../../src/textDecode/readings';

const AUTO = { mode: 'auto' as const, maxPhyAddr: 52 };

describe('numbers in text', () => {
  it('finds 0x…, grouped, and bare 8/16-digit hex words as Xen and gdb print them', () => {
    const line = '(XEN)  Dom0 alloc.:   0000000036000000->0000000038000000 at 0xffff8300`00000000 pte=0x0000_0000_363e_9063 id 12345678';
    expect(numbersIn(line).map((t) => t.value)).toEqual([0x36000000n, 0x38000000n, 0xffff830000000000n, 0x363e9063n]);
    expect(numberAt(line, line.indexOf('ffff8300') + 2)).toMatchObject({ text: '0xffff8300`00000000', value: 0xffff830000000000n });
    expect(numberAt(line, line.indexOf('12345678'))).toBeUndefined(); // 8 decimal digits: a count, not hex
    expect(numbersIn('x = abc0x10 _0x10 0x10f')).toEqual([{ start: 18, end: 23, text: '0x10f', value: 0x10fn }]);
  });
});

describe('readings (truth: the Intel SDM, vol. 3A, tables 4-5 and 4-19 to 4-21, worked by hand)', () => {
  it('0x00fb152063 from seed 004 (a FreeBSD PAE guest’s PDE): P RW A D, frame 0xfb152000', () => {
    const r = entryReadings(0xfb152063n, AUTO);
    expect(r).toEqual([
      { label: '64-bit PTE', text: '4 KiB page at 0xfb152000 · P RW A D · WB' },
      { label: '32-bit PTE', text: '4 KiB page at 0xfb152000 · P RW A D · WB' },
    ]);
  });

  it('a 2 MiB PDE (0x0001a001e3): both readings, bit 7 PAT at level 1 and PS at level 2', () => {
    const r = entryReadings(0x1a001e3n, AUTO);
    // At level 1 bit 7 is PAT: PAT entry 4 (PAT·4), WB in the reset IA32_PAT (PA4 = 06h).
    expect(r[0]).toEqual({ label: '64-bit PTE', text: '4 KiB page at 0x1a00000 · P RW A D G PAT · WB' });
    expect(r[1]).toEqual({ label: '64-bit PDE', text: '2 MiB page at 0x1a00000 · P RW A D PS G · WB' });
    // 32-bit paging: a 4 MiB page must be 4 MiB aligned; 0x1a00000 is not, so bits 21:13 are reserved.
    expect(r[3].label).toBe('32-bit PDE');
    expect(r[3].text).toMatch(/^4 MiB page at 0x1800000 · .* reserved bits 0x200000 set/);
  });

  it('an XD leaf and a swap entry', () => {
    expect(entryReadings(0x8000000036400067n, AUTO)).toEqual([{ label: '64-bit PTE', text: '4 KiB page at 0x36400000 · P RW US A D XD · WB' }]);
    expect(entryReadings(0x3e3d0n, { mode: 'long4', maxPhyAddr: 52 })).toEqual([{ label: '4-level PTE', text: 'not present (P = 0: a software value, such as a swap entry)' }]);
  });

  it('as a VA: the index at each level, and non-canonical addresses said so', () => {
    // 0xffff830000000000: PML4 (bits 47:39) = 0x106 = 262, the rest 0.
    expect(vaReadings(0xffff830000000000n, AUTO)[0]).toEqual({ label: 'VA, 4-level', text: 'PML4 262 · PDPT 0 · PD 0 · PT 0 · offset 0x0' });
    expect(vaReadings(0x0000900000001000n, AUTO)[0].text).toBe('not canonical (bits 63:47 differ; the canonical form is 0xffff900000001000)');
    // 0xc0000000 under PAE: PDPT 3, PD 0, PT 0 (seed 004's kernel base).
    expect(vaReadings(0xc0001234n, AUTO)).toEqual([
      { label: 'VA, PAE', text: 'PDPT 3 · PD 0 · PT 1 · offset 0x234' },
      { label: 'VA, 32-bit', text: 'PD 768 · PT 1 · offset 0x234' },
    ]);
  });

  it('as a Xen P2M value: INVALID, IDENTITY and FOREIGN named for 64- and 32-bit guests (seed 001)', () => {
    expect(p2mReadings(0xffffffffffffffffn)).toEqual([{ label: 'Xen P2M, 64-bit', text: 'INVALID_P2M_ENTRY (~0): the pfn is missing' }]);
    expect(p2mReadings((1n << 62n) | 0x40500n)[0].text).toBe('IDENTITY_FRAME_BIT (bit 62): 1:1, mfn = pfn = 0x40500 (a non-RAM E820 region)');
    expect(p2mReadings(0xffffffffn)).toEqual([{ label: 'Xen P2M, 32-bit', text: 'INVALID_P2M_ENTRY (~0): the pfn is missing' }]);
    expect(p2mReadings(0x80001234n)).toEqual([{ label: 'Xen P2M, 32-bit', text: 'FOREIGN_FRAME_BIT (bit 31): a frame granted by another domain, mfn 0x1234' }]);
    expect(p2mReadings(0x290dn)).toEqual([]); // a plain MFN: the entry reading says it already
    // Kernel addresses have bits 63 and 62 set over a frame no machine has: not P2M values.
    expect(p2mReadings(0xffff830000000000n)).toEqual([]);
    expect(p2mReadings(0xfb152063n)).toEqual([]);
  });
});

describe('the hover', () => {
  it('the value, then a table of readings, then the live translation when a session gives one', () => {
    const md = hoverMarkdown(0xfb152063n, AUTO, { vcpu: 0, text: 'PA 0x1fb152063 (4 KiB page; R W - - -)' });
    expect(md.split('\n')).toEqual([
      '**0xfb152063** = 4212465763',
      '',
      '| as | reads |',
      '| --- | --- |',
      '| 64-bit PTE | 4 KiB page at 0xfb152000 · P RW A D · WB |',
      '| 32-bit PTE | 4 KiB page at 0xfb152000 · P RW A D · WB |',
      '| VA, PAE | PDPT 3 · PD 472 · PT 338 · offset 0x63 |',
      '| VA, 32-bit | PD 1004 · PT 338 · offset 0x63 |',
      '',
      "**VA → PA under CPU 0's CR3:** PA 0x1fb152063 (4 KiB page; R W - - -)",
    ]);
  });

  it('one mode only when the settings say so', () => {
    const md = hoverMarkdown(0x8000000036400067n, { mode: 'pae', maxPhyAddr: 36 });
    expect(md).toContain('| PAE PTE | 4 KiB page at 0x36400000 · P RW US A D XD · WB |');
    expect(md).not.toContain('32-bit');
  });
});

describe('inlay hints: only values that look like entries', () => {
  // Seed 004's dump (a real FreeBSD PAE guest of Xen, from the xen-devel post), and the demo's copy of it.
  const dump = readFileSync(join(__dirname, '../../demo/workspace/pae-guest-dump.log'), 'utf8');

  it('the PDEs and PTEs of seed 004 get a hint; addresses, zeros and small numbers do not', () => {
    const hinted = dump.split('\n').flatMap((line) => numbersIn(line).filter((t) => looksLikeEntry(t.value)).map((t) => t.text));
    expect(hinted).toContain('0x00fb152063');
    expect(hinted).toContain('0x00018001e3');
    expect(hinted).toContain('0x00000000d1620063');
    expect(hinted).not.toContain('0xc03b2000'); // an address: not present
    expect(hinted).not.toContain('0x0000000000');
    expect(hinted).not.toContain('0xfde00000');
    expect(inlayText(0xfb152063n)).toBe('P RW A D · 0xfb152000');
    expect(inlayText(0x1a001e3n)).toBe('P RW A D PS G · 0x1a00000 · 2 MiB');
  });

  it('kernel addresses and decimal-looking counts are not entries', () => {
    expect(looksLikeEntry(0xffffffff81000000n)).toBe(false);
    expect(looksLikeEntry(0xffff830000000001n)).toBe(false);
    expect(looksLikeEntry(0x1001n)).toBe(false); // present, but neither accessed nor writable
    expect(looksLikeEntry(0x8000000036400067n)).toBe(true);
  });
});

describe('frame links in logs', () => {
  it('pa=, maddr, mfn= and Xen’s bare mfn values; counts are not links', async () => {
    const { frameLinksIn } = await import('../../src/textDecode/links');
    const line = '(XEN) mm.c: Bad L1 flags 800000, l1e 8000000036400067, mfn=0x36400 pa=0x36400000; mfn 3fc66 maddr: 0x1000 mfn 12';
    expect(frameLinksIn(line).map((l) => [line.slice(l.start, l.end), l.kind, l.value])).toEqual([
      ['0x36400', 'mfn', 0x36400n],
      ['0x36400000', 'pa', 0x36400000n],
      ['3fc66', 'mfn', 0x3fc66n],
      ['0x1000', 'pa', 0x1000n],
    ]);
  });
});

describe('the hover of a kernel address', () => {
  it('reads it as a VA first (Xen’s log: dom0 loaded at 0xffffffff81000000)', () => {
    const md = hoverMarkdown(0xffffffff81000000n, { mode: 'auto', maxPhyAddr: 52 }).split('\n');
    expect(md[4]).toBe('| VA, 4-level | PML4 511 · PDPT 510 · PD 8 · PT 0 · offset 0x0 |');
    expect(md[5]).toBe('| 64-bit PTE | not present (P = 0: a software value, such as a swap entry) |');
  });
});
