import { describe, expect, it } from 'vitest';
import { linearFromSlot, entryVaThroughLinear, mappings, mergeRanges, type WalkEvent } from '../../src/paging';
import { SparseMem } from '../helpers/sparseMem';

async function collect(it: AsyncIterable<WalkEvent>): Promise<WalkEvent[]> {
  const out: WalkEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/**
 * 4-level tables: PML4 0x10000.
 *   [0]     → PDPT 0x11000: [0] → PD 0x12000 ([0] → PT 0x13000 with PTEs 0..3; [1] 2 MiB XD page),
 *                           [1] 1 GiB page at 0x80000000
 *   [1]     → PDPT 0x11000 again: a shared table (VA 0x8000000000 sees the same pages)
 *   [0x1ed] → PML4 itself: the recursive slot at 0xfffff68000000000
 *   [511]   → PDPT 0x14000: [510] → PD 0x15000: [0] 2 MiB global at 16 MiB (0xffffffff80000000)
 */
function long4(): SparseMem {
  const m = new SparseMem()
    .u64(0x10000n, 0x11000n | 7n)
    .u64(0x10008n, 0x11000n | 7n)
    .u64(0x10000n + 0x1edn * 8n, 0x10000n | 3n)
    .u64(0x10000n + 511n * 8n, 0x14000n | 3n)
    .u64(0x11000n, 0x12000n | 7n)
    .u64(0x11008n, 0x80000000n | 0x87n)
    .u64(0x12000n, 0x13000n | 7n)
    .u64(0x12008n, (1n << 63n) | 0xa00000n | 0x87n)
    .u64(0x14000n + 510n * 8n, 0x15000n | 3n)
    .u64(0x15000n, 0x1000000n | 0x183n);
  for (let i = 0n; i < 4n; i++) m.u64(0x13000n + i * 8n, (0x200000n + i * 0x1000n) | 7n);
  return m;
}
const spec = { mode: 'long4' as const, root: 0x10000n };

describe('mappings: 4-level', () => {
  it('lists every leaf in VA order, the shared table under both VAs, and stops at the self-map', async () => {
    const ev = await collect(mappings(spec, long4()));
    const leaves = ev.flatMap((e) => (e.kind === 'leaf' ? [[e.va, e.pa, e.size, e.level]] : []));
    const low = [
      [0x0n, 0x200000n, 0x1000n, 1],
      [0x1000n, 0x201000n, 0x1000n, 1],
      [0x2000n, 0x202000n, 0x1000n, 1],
      [0x3000n, 0x203000n, 0x1000n, 1],
      [0x200000n, 0xa00000n, 0x200000n, 2],
      [0x40000000n, 0x80000000n, 0x40000000n, 3],
    ];
    const viaShared = low.map(([va, ...rest]) => [(va as bigint) + (1n << 39n), ...rest]);
    expect(leaves).toEqual([...low, ...viaShared, [0xffffffff80000000n, 0x1000000n, 0x200000n, 2]]);
    expect(ev.filter((e) => e.kind === 'selfMap')).toMatchObject([
      { va: 0xfffff68000000000n, size: 1n << 39n, level: 4, targetPa: 0x10000n, targetLevel: 4 },
    ]);
    expect(ev.filter((e) => e.kind === 'shared')).toMatchObject([{ va: 1n << 39n, level: 3, tablePa: 0x11000n, firstVa: 0n }]);
  });

  it('reads the shared table once', async () => {
    const m = long4();
    await collect(mappings(spec, m));
    expect(m.reads).toBe(6); // PML4, PDPT 0x11000, PD 0x12000, PT 0x13000, PDPT 0x14000, PD 0x15000
  });

  it('effective rights: the 1 GiB page is user-accessible only if every level says so', async () => {
    const ev = await collect(mappings(spec, long4()));
    const giant = ev.find((e) => e.kind === 'leaf' && e.va === 0x40000000n);
    expect(giant && giant.kind === 'leaf' && giant.perms).toEqual({ read: true, write: true, user: true, exec: true });
    const kernel = ev.find((e) => e.kind === 'leaf' && e.va === 0xffffffff80000000n);
    expect(kernel && kernel.kind === 'leaf' && kernel.perms.user).toBe(false);
  });

  it('a VA window visits only the tables it needs', async () => {
    const m = long4();
    const ev = await collect(mappings(spec, m, { from: 0xffff800000000000n }));
    expect(ev.filter((e) => e.kind === 'leaf').map((e) => e.va)).toEqual([0xffffffff80000000n]);
    expect(m.reads).toBe(3); // PML4, PDPT 0x14000, PD 0x15000
  });

  it('merges the four 4 KiB pages into one range; XD splits rights', async () => {
    const ranges = [];
    for await (const r of mergeRanges(mappings(spec, long4(), { to: 1n << 39n }))) ranges.push(r);
    expect(ranges.map((r) => [r.va, r.pa, r.size, r.pages, r.perms.exec])).toEqual([
      [0n, 0x200000n, 0x4000n, 4, true],
      [0x200000n, 0xa00000n, 0x200000n, 1, false],
      [0x40000000n, 0x80000000n, 0x40000000n, 1, true],
    ]);
  });

  it('reports an entry with reserved bits and does not descend', async () => {
    const m = long4().u64(0x10000n + 2n * 8n, 0x11000n | 0x87n); // PML4[2] with PS: reserved
    const ev = await collect(mappings(spec, m));
    expect(ev.filter((e) => e.kind === 'bad')).toMatchObject([{ va: 2n << 39n, level: 4 }]);
  });

  it('the recursive slot as a linear page table: PTE and PDE VAs', () => {
    const lpt = linearFromSlot('long4', 0x1ed);
    expect(lpt.base).toBe(0xfffff68000000000n);
    // PTE of VA v: base + (v[47:12] * 8); PDE: base + (0x1ed << 30) + v[47:21] * 8 (hand-derived).
    expect(entryVaThroughLinear(lpt, 0x3000n, 1)).toBe(0xfffff68000000018n);
    expect(entryVaThroughLinear(lpt, 0xffffffff80000000n, 1)).toBe(0xfffff6ffffc00000n);
    expect(entryVaThroughLinear(lpt, 0xffffffff80000000n, 2)).toBe(0xfffff6fb7fffe000n);
    expect(entryVaThroughLinear(lpt, 0xffffffff80000000n, 4)).toBe(0xfffff6fb7dbedff8n);
  });

  it('32-bit recursive slot 0x3ff puts the page tables at 0xffc00000', () => {
    const lpt = linearFromSlot('legacy32', 0x3ff);
    expect(lpt.base).toBe(0xffc00000n);
    expect(entryVaThroughLinear(lpt, 0xc0001000n, 1)).toBe(0xfff00004n);
    expect(entryVaThroughLinear(lpt, 0xc0001000n, 2)).toBe(0xfffffc00n);
  });
});
