/**
 * Frame links: which ranges of a log line open a frame, and what they name. Truth: the lines'
 * own words (`pa=`, `maddr`, `mfn`), read by hand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameLinksIn, mayHoldFrameLinks } from '../../src/textDecode/links';

/** `[text under the link, kind, value]` for each link of a line. */
function links(line: string): [string, string, bigint][] {
  return frameLinksIn(line).map((l) => [line.slice(l.start, l.end), l.kind, l.value]);
}

describe('frame links in logs', () => {
  it('pa=, maddr, mfn= and Xen’s bare mfn values; pfn, gfn and short counts are not links', () => {
    const line = '(XEN) mm.c: Bad L1 flags 800000, l1e 8000000036400067, mfn=0x36400 pa=0x36400000; mfn 3fc66 maddr: 0x1000 mfn 12 pfn 54b0b1 gfn=0x7f000';
    expect(links(line)).toEqual([
      ['0x36400', 'mfn', 0x36400n],
      ['0x36400000', 'pa', 0x36400000n],
      ['3fc66', 'mfn', 0x3fc66n],
      ['0x1000', 'pa', 0x1000n],
    ]);
  });

  it('bare 16-digit machine addresses (PRIpaddr) and paddr; Xen’s INVALID_MFN and command-line options are not links', () => {
    expect(links('(XEN) d1: p2m set gfn 0x7f000 to mfn=0x36400 (pa=0x36400000, maddr 0000000036400000), type 0')).toEqual([
      ['0x36400', 'mfn', 0x36400n],
      ['0x36400000', 'pa', 0x36400000n],
      ['0000000036400000', 'pa', 0x36400000n],
    ]);
    expect(links('(XEN)  Dom0 kernel: 64-bit, PAE, lsb, paddr 0x1000000 -> 0x4a00000')).toEqual([['0x1000000', 'pa', 0x1000000n]]);
    expect(links('(XEN) p2m: mfn ffffffffffffffff for gfn 0x1000')).toEqual([]); // INVALID_MFN names no frame
    expect(links('# ./xenctrl 4 -l3 0xfb153 dump64-mfn 0xfbc00000 0x1000')).toEqual([]);
  });

  it('in the fixtures: exactly the labelled frames', () => {
    const file = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8').split('\n');
    const all = (name: string) => file(name).flatMap((line, i) => links(line).map(([text, kind]) => `${i + 1}: ${kind} ${text}`));
    expect(all('oops-and-page-walks.log')).toEqual(['15: mfn 10b0b1', '16: mfn 3fc66', '26: mfn 0x36400', '26: pa 0x36400000', '26: pa 0000000036400000', '27: mfn 0x36401']);
    expect(all('seed004-freebsd-pae.log')).toEqual(['24: mfn fbc00000']); // "Couldn't map mfn fbc00000"
    expect(all('xen-4.17-dom0-boot.log')).toEqual(['134: pa 0x1000000']);
    expect(all('gdb-long4-tables.txt')).toEqual([]);
  });

  it('the quick first look keeps every line with a link and drops most others', () => {
    const lines = ['oops-and-page-walks.log', 'seed004-freebsd-pae.log', 'xen-4.17-dom0-boot.log', 'gdb-long4-tables.txt'].flatMap((f) => readFileSync(join(__dirname, 'fixtures', f), 'utf8').split('\n'));
    const withLinks = lines.filter((l) => frameLinksIn(l).length > 0);
    expect(withLinks.length).toBe(6);
    expect(withLinks.every(mayHoldFrameLinks)).toBe(true);
    expect(lines.filter(mayHoldFrameLinks).length).toBeLessThan(12);
  });
});
