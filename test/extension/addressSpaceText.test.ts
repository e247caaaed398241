import { describe, expect, it } from 'vitest';
import { addPage, addressSpaceText, emptyWalk, rangeLinks, type SpaceWalk } from '../../src/extension/documents/addressSpaceText';
import type { MappingsResult, RangeInfo } from '../../src/shared/dapRequests';

const hex = (v: bigint): string => `0x${v.toString(16)}`;

function page(ranges: RangeInfo[], extra: Partial<MappingsResult> = {}): MappingsResult {
  return { mode: 'long4', root: '0x1000', ranges, selfMaps: [], sharedTables: [], faults: [], unreadable: [], rewalkedEntries: 0, sharedNotWalked: 0, ...extra };
}

function range(va: bigint, pa: bigint, pages: number, more: Partial<RangeInfo> = {}): RangeInfo {
  return { va: hex(va), pa: hex(pa), size: pages * 4096, pageSize: 4096, pages, flags: 'R W - - G', memoryType: 'WB', paRuns: 1, ...more };
}

function walkOf(...pages: MappingsResult[]): SpaceWalk {
  const w = emptyWalk('long4', '0x1000');
  for (const p of pages) addPage(w, p, false);
  return w;
}

describe('the Address Space document', () => {
  it('joins a range the walk cut at a page edge, counting runs of PA across the cut', () => {
    // 0x10000: 2 pages at PA 0x5000; the next page goes on at 0x7000 (same run) then at 0x9000.
    const w = walkOf(page([range(0x10000n, 0x5000n, 2)]), page([range(0x12000n, 0x7000n, 1), range(0x20000n, 0x30000n, 1, { flags: 'R - - - G' })]));
    expect(w.ranges).toHaveLength(2);
    expect(w.ranges[0]).toMatchObject({ va: '0x10000', size: 3 * 4096, pages: 3, paRuns: 1 });
    const apart = walkOf(page([range(0x10000n, 0x5000n, 2)]), page([range(0x12000n, 0x9000n, 1)]));
    expect(apart.ranges[0]).toMatchObject({ pages: 3, paRuns: 2 });
    // Different memory types do not join.
    const types = walkOf(page([range(0x10000n, 0x5000n, 2)]), page([range(0x12000n, 0x7000n, 1, { memoryType: 'UC' })]));
    expect(types.ranges).toHaveLength(2);
  });

  it('adds up the page sizes of a joined range', () => {
    const w = walkOf(page([range(0x200000n, 0x200000n, 1, { size: 0x200000, pageSize: 0x200000 })]), page([range(0x400000n, 0x400000n, 2)]));
    expect(w.ranges[0].pageSizes).toEqual([
      { pageSize: 0x200000, pages: 1 },
      { pageSize: 4096, pages: 2 },
    ]);
    const lines = addressSpaceText('t', w, false);
    expect(lines.find((l) => l.startsWith('0x0000000000200000'))).toBe('0x0000000000200000-0x0000000000401fff  0x0000000000200000    2056 KiB  R W - - G  WB    1 x 2M + 2 x 4K');
  });

  it('folds a run of like ranges at a constant stride into one line, as hyperframe walk does (espfix)', () => {
    // Linux's espfix: one read-only page mapped every 64 KiB.
    const base = 0xffffff3f0000b000n;
    const espfix = Array.from({ length: 1000 }, (_, i) => range(base + BigInt(i) * 0x10000n, 0x4855000n, 1, { flags: 'R - - - G' }));
    const w = walkOf(page([range(0xffff888000000000n, 0n, 152), ...espfix.slice(0, 400)]), page(espfix.slice(400)));
    const lines = addressSpaceText('CPU 0', w, false);
    expect(lines[1]).toBe('# long4, root 0x1000: 1152 pages in 1001 ranges (999 of them in repeat lines)');
    expect(lines[2]).toBe('# ranges: merged where VA goes on with the same rights, G and memory type; a * after the PA: its pages are in several runs of PA');
    const body = lines.filter((l) => l.startsWith('0x'));
    expect(body).toEqual([
      '0xffff888000000000-0xffff888000097fff  0x0000000000000000     608 KiB  R W - - G  WB    152 x 4K',
      '0xffffff3f0000b000-0xffffff3f0000bfff  0x0000000004855000       4 KiB  R - - - G  WB    1 x 4K; x1000 every 0x10000 to 0xffffff3f03e7b000 (same PA)',
    ]);
    // A folded line still links its first VA and PA.
    expect(rangeLinks(body[1])).toMatchObject({ va: { value: base }, pa: { value: 0x4855000n } });
  });

  it('prints short runs line by line and marks ranges in several runs of PA', () => {
    const w = walkOf(page([range(0x1000n, 0x8000n, 1), range(0x3000n, 0x9000n, 1), range(0x10000n, 0x20000n, 4, { paRuns: 2 })]));
    const body = addressSpaceText('t', w, false).filter((l) => l.startsWith('0x'));
    expect(body).toEqual([
      '0x0000000000001000-0x0000000000001fff  0x0000000000008000       4 KiB  R W - - G  WB    1 x 4K',
      '0x0000000000003000-0x0000000000003fff  0x0000000000009000       4 KiB  R W - - G  WB    1 x 4K',
      '0x0000000000010000-0x0000000000013fff  0x0000000000020000*     16 KiB  R W - - G  WB    4 x 4K; PA in 2 runs',
    ]);
  });

  it('folds shared tables and names how guest RAM was read and the PAT assumed', () => {
    const shared = Array.from({ length: 511 }, (_, i) => ({ va: hex(0xffffff3f00200000n + BigInt(i) * 0x200000n), level: 1, table: '0x4854000', firstVa: '0xffffff3f00000000' }));
    const w = walkOf(page([], { sharedTables: shared, physicalMemory: 'QEMU guest RAM via shared file', pat: { value: '0x7040600070406', source: 'reset value' } }));
    const lines = addressSpaceText('t', w, false);
    expect(lines).toContain('# physical memory: QEMU guest RAM via shared file');
    expect(lines).toContain('# memory types: IA32_PAT 0x0007040600070406 (reset value)');
    expect(lines.at(-1)).toBe('shared    0xffffff3f00200000; x511 every 0x200000 to 0xffffff3f3fe00000  level-1 table 0x4854000 also reached from 0xffffff3f00000000');
  });

  it('says which shared subtrees the walk did not walk again, apart from those it did', () => {
    const again = [1, 2, 3].map((i) => ({ va: hex(BigInt(i) << 21n), level: 1, table: '0x4000', firstVa: '0x0' }));
    const skipped = [4, 5, 6].map((i) => ({ va: hex(BigInt(i) << 21n), level: 1, table: '0x4000', firstVa: '0x0', notWalked: 0x200000 }));
    const lines = addressSpaceText('t', walkOf(page([], { sharedTables: again }), page([], { sharedTables: skipped, sharedNotWalked: 3 })), false);
    expect(lines).toContain("# 3 shared subtrees not walked again, their pages not counted: the 'shared … not walked again (re-walk budget spent)' lines (hyperframe walk --expand-shared walks them all)");
    expect(lines.slice(-2)).toEqual([
      'shared    0x0000000000200000; x3 every 0x200000 to 0x0000000000600000  level-1 table 0x4000 also reached from 0x0000000000000000',
      'shared    0x0000000000800000; x3 every 0x200000 to 0x0000000000c00000  level-1 table 0x4000 also reached from 0x0000000000000000; not walked again (re-walk budget spent)',
    ]);
  });

  it('with splitPa keeps ranges of one page size contiguous in PA, in the shape of old', () => {
    const w = emptyWalk('long4', '0x1000');
    const r = { va: '0x10000', pa: '0x5000', size: 8192, pageSize: 4096, pages: 2, flags: 'R W - - G' };
    addPage(w, page([r]), true);
    addPage(w, page([{ ...r, va: '0x12000', pa: '0x9000', size: 4096, pages: 1 }]), true);
    expect(w.ranges).toHaveLength(2);
    expect(addressSpaceText('t', w, true).filter((l) => l.startsWith('0x'))[0]).toBe('0x0000000000010000-0x0000000000011fff  0x0000000000005000       8 KiB  R W - - G  2 x 4K');
  });
});
