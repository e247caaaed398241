/**
 * Ranges, filters, the reverse map and the text and JSON of a walk, on tables this test builds
 * (expected values worked out by hand from the entries below).
 */
import { describe, expect, it } from 'vitest';
import { WalkFormat } from '../../src/paging/walkFormat';
import type { RangeRecord } from '../../src/paging/rangeMerge';
import type { LeafRecord } from '../../src/paging/tableWalk';
import { runWalk, type WalkRunOptions } from '../../src/paging/walkRun';
import { walkTextBody } from '../../src/paging/walkText';
import { SparseMem } from '../helpers/sparseMem';

const P = 1n;
const RW = 2n;
const US = 4n;
const PWT = 8n;
const PCD = 0x10n;
const PS = 0x80n;
const XD = 1n << 63n;

/**
 * PML4 0x10000 [0] → PDPT 0x11000 [0] → PD 0x12000:
 *   [0] → PT 0x13000:
 *     [0..3]  VA 0x0000-0x3fff → PA 0x200000, 0x201000, 0x500000, 0x501000 (two PA runs), RW US
 *     [4]     VA 0x4000 → PA 0x600000, RW US, PCD PWT (PAT index 3: UC at reset)
 *     [5]     VA 0x5000 → PA 0x601000, US (read-only)
 *     [16 × (1..5)] VA 0x10000, 0x20000 … 0x50000 → PA 0x700000 each (aliases), RW US
 *     [511]   VA 0x1ff000 → PA 0x7ff000, RW US
 *   [1] 2 MiB page VA 0x200000 → PA 0x800000, RW US (contiguous with [511] in VA and PA)
 *   [2] 2 MiB page VA 0x400000 → PA 0xa00000, RW US XD
 */
function space(): SparseMem {
  const m = new SparseMem()
    .u64(0x10000n, 0x11000n | P | RW | US)
    .u64(0x11000n, 0x12000n | P | RW | US)
    .u64(0x12000n, 0x13000n | P | RW | US)
    .u64(0x12008n, 0x800000n | P | RW | US | PS)
    .u64(0x12010n, 0xa00000n | P | RW | US | PS | XD);
  [0x200000n, 0x201000n, 0x500000n, 0x501000n].forEach((pa, i) => m.u64(0x13000n + BigInt(i) * 8n, pa | P | RW | US));
  m.u64(0x13000n + 4n * 8n, 0x600000n | P | RW | US | PCD | PWT);
  m.u64(0x13000n + 5n * 8n, 0x601000n | P | US);
  for (let k = 1n; k <= 5n; k++) m.u64(0x13000n + 16n * k * 8n, 0x700000n | P | RW | US);
  m.u64(0x13000n + 511n * 8n, 0x7ff000n | P | RW | US);
  return m;
}
const spec = { mode: 'long4' as const, root: 0x10000n };
const fmt = new WalkFormat('long4');

async function walk(opts: WalkRunOptions = {}): Promise<{ ranges: Record<string, unknown>[]; leaves: Record<string, unknown>[]; text: string[] }> {
  const ranges: Record<string, unknown>[] = [];
  const leaves: Record<string, unknown>[] = [];
  const split = opts.splitPa === true;
  await runWalk(spec, space(), opts, { range: (r) => void ranges.push(fmt.rangeJson(r, split)), leaf: (l) => void leaves.push(fmt.leafJson(l, split)) });
  const text: string[] = [];
  await walkTextBody(spec, space(), opts, false, { line: (t) => void text.push(t) });
  return { ranges, leaves, text };
}

const pick = (rs: Record<string, unknown>[], ...keys: string[]) => rs.map((r) => keys.map((k) => r[k]));

describe('ranges', () => {
  it('merge by VA, rights and memory type; a range whose PA is not one run says how many; page sizes mix', async () => {
    const { ranges } = await walk();
    expect(pick(ranges, 'va', 'pa', 'size', 'flags', 'memoryType', 'paRuns', 'pages')).toEqual([
      ['0x0', '0x200000', 0x4000, 'R W X U -', 'WB', 2, 4],
      ['0x4000', '0x600000', 0x1000, 'R W X U -', 'UC', 1, 1],
      ['0x5000', '0x601000', 0x1000, 'R - X U -', 'WB', 1, 1],
      ...[1, 2, 3, 4, 5].map((k) => [`0x${(k * 0x10000).toString(16)}`, '0x700000', 0x1000, 'R W X U -', 'WB', 1, 1]),
      ['0x1ff000', '0x7ff000', 0x201000, 'R W X U -', 'WB', 1, 2],
      ['0x400000', '0xa00000', 0x200000, 'R W - U -', 'WB', 1, 1],
    ]);
    expect(ranges.at(-2)!.pageSizes).toEqual([
      { pageSize: 0x200000, pages: 1 },
      { pageSize: 0x1000, pages: 1 },
    ]);
    expect(ranges[0].pageSizes).toBeUndefined();
  });

  it('--split-pa: contiguous in PA too, one page size, the fields of old', async () => {
    const { ranges } = await walk({ splitPa: true });
    expect(pick(ranges, 'va', 'pa', 'size', 'pages').slice(0, 3)).toEqual([
      ['0x0', '0x200000', 0x2000, 2],
      ['0x2000', '0x500000', 0x2000, 2],
      ['0x4000', '0x600000', 0x1000, 1], // memory type is not part of the old rule, but PA and rights are
    ]);
    expect(pick(ranges, 'va', 'size').slice(-3)).toEqual([
      ['0x1ff000', 0x1000],
      ['0x200000', 0x200000],
      ['0x400000', 0x200000],
    ]);
    expect(Object.keys(ranges[0])).toEqual(['va', 'pa', 'size', 'pageSize', 'pages', 'flags']);
  });

  it('the guest IA32_PAT gives the types: entry 3 as WC', async () => {
    const { ranges } = await walk({ pat: 0x0007_0406_0107_0406n });
    expect(ranges[1]).toMatchObject({ va: '0x4000', memoryType: 'WC' });
  });
});

describe('queries', () => {
  it('filters combine: w,x keeps writable and executable pages; ro, s, uc, wb', async () => {
    const vas = async (...filter: string[]) => (await walk({ query: { filter: filter as never } })).leaves.map((l) => l.va);
    expect(await vas('w', 'x')).not.toContain('0x400000');
    expect(await vas('w', 'x')).not.toContain('0x5000');
    expect(await vas('ro')).toEqual(['0x5000']);
    expect(await vas('s')).toEqual([]);
    expect(await vas('uc')).toEqual(['0x4000']);
    expect((await vas('wb')).length).toBe(13); // all but the UC page
  });

  it('--has: the range holding a VA, merged across page sizes', async () => {
    expect(pick((await walk({ query: { has: 0x200123n } })).ranges, 'va', 'size')).toEqual([['0x1ff000', 0x201000]]);
    expect(pick((await walk({ query: { has: 0x3ffen } })).ranges, 'va', 'paRuns')).toEqual([['0x0', 2]]);
    expect((await walk({ query: { has: 0x9000n } })).ranges).toEqual([]);
  });

  it('--find-alias: every page holding a PA', async () => {
    const { leaves } = await walk({ query: { findAlias: 0x700abcn } });
    expect(leaves.map((l) => l.va)).toEqual(['0x10000', '0x20000', '0x30000', '0x40000', '0x50000']);
    expect((await walk({ query: { findAlias: 0x801000n } })).leaves.map((l) => l.va)).toEqual(['0x200000']);
  });

  it('a VA window and a leaf limit', async () => {
    const { leaves } = await walk({ query: { from: 0x4000n, to: 0x20001n } });
    expect(leaves.map((l) => l.va)).toEqual(['0x4000', '0x5000', '0x10000', '0x20000']);
    const stats = await runWalk(spec, space(), { maxLeaves: 3 }, { leaf: () => undefined });
    expect(stats).toMatchObject({ leaves: 3, truncatedAt: 0x3000n });
  });
});

describe('text and JSON', () => {
  it('folds a run of like ranges at a constant stride into one line; --split-pa never folds', async () => {
    const { text } = await walk();
    expect(text.filter((l) => l.startsWith('0x'))).toEqual([
      '0x0000000000000000-0x0000000000003fff  0x0000000000200000*     16 KiB  R W X U -  WB    4 x 4K; PA in 2 runs',
      '0x0000000000004000-0x0000000000004fff  0x0000000000600000       4 KiB  R W X U -  UC    1 x 4K',
      '0x0000000000005000-0x0000000000005fff  0x0000000000601000       4 KiB  R - X U -  WB    1 x 4K',
      '0x0000000000010000-0x0000000000010fff  0x0000000000700000       4 KiB  R W X U -  WB    1 x 4K; x5 every 0x10000 to 0x0000000000050000 (same PA)',
      '0x00000000001ff000-0x00000000003fffff  0x00000000007ff000    2052 KiB  R W X U -  WB    1 x 2M + 1 x 4K',
      '0x0000000000400000-0x00000000005fffff  0x0000000000a00000       2 MiB  R W - U -  WB    1 x 2M',
    ]);
    expect((await walk({ splitPa: true })).text.filter((l) => l.includes('0x0000000000700000'))).toHaveLength(5);
  });

  it('the JSON text of leaves and ranges is JSON.stringify of their objects, laid out at indent 4', async () => {
    const indent = (o: unknown) => `    ${JSON.stringify(o, null, 2).replace(/\n/g, '\n    ')}`;
    for (const split of [false, true]) {
      const texts: [string, string][] = [];
      const leaf = (l: LeafRecord) => void texts.push([fmt.leafJsonText(l, split), indent(fmt.leafJson(l, split))]);
      const range = (r: RangeRecord) => void texts.push([fmt.rangeJsonText(r, split), indent(fmt.rangeJson(r, split))]);
      await runWalk(spec, space(), { splitPa: split }, { leaf, range });
      expect(texts.length).toBeGreaterThan(20);
      for (const [fast, reference] of texts) expect(fast).toBe(reference);
    }
  });
});
