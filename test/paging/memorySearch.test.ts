/** search on tables and page contents this test writes (where each match is, worked out by hand). */
import { describe, expect, it } from 'vitest';
import { searchMemory, type SearchHit } from '../../src/paging/memorySearch';
import { SparseMem } from '../helpers/sparseMem';

const text = (s: string) => new TextEncoder().encode(s);

/**
 * PML4 0x10000 → PDPT 0x11000 → PD 0x12000 → PT 0x13000:
 *   VA 0x0000 → PA 0x200000: "HELLO" at +0x10
 *   VA 0x1000 → PA 0x300000: "WOR" in its last three bytes; VA 0x2000 → PA 0x900000: "LD" first
 *   VA 0x4000 → PA 0x600000, PCD PWT (uncached): "HELLO" at +0
 *   VA 0x10000, 0x20000 … 0x50000 → PA 0x700000 (one page, five VAs): "HELLO" at +0x100
 */
function space(): SparseMem {
  const m = new SparseMem().u64(0x10000n, 0x11003n).u64(0x11000n, 0x12003n).u64(0x12000n, 0x13003n);
  const pte = (va: number, pa: bigint, extra = 0n) => m.u64(0x13000n + BigInt(va >> 12) * 8n, pa | 3n | extra);
  pte(0x0, 0x200000n);
  pte(0x1000, 0x300000n);
  pte(0x2000, 0x900000n);
  pte(0x4000, 0x600000n, 0x18n);
  for (let k = 1; k <= 5; k++) pte(k * 0x10000, 0x700000n);
  m.write(0x200010n, text('HELLO'));
  m.write(0x300ffdn, text('WOR'));
  m.write(0x900000n, text('LD'));
  m.write(0x600000n, text('HELLO'));
  m.write(0x700100n, text('HELLO'));
  return m;
}
const spec = { mode: 'long4' as const, root: 0x10000n };

async function find(needle: Uint8Array, opts: { limit?: number; uncached?: boolean } = {}) {
  const mem = space();
  const hits: SearchHit[] = [];
  const stats = await searchMemory(spec, mem, needle, { query: {}, limit: opts.limit ?? 100, uncached: opts.uncached }, (h) => void hits.push(h));
  return { hits: hits.map((h) => [h.va, h.pa]), stats, mem };
}

describe('search', () => {
  it('finds a string in every page that maps it, an aliased page read once, uncached pages skipped', async () => {
    const { hits, stats, mem } = await find(text('HELLO'));
    expect(hits).toEqual([[0x10n, 0x200010n], ...[1, 2, 3, 4, 5].map((k) => [BigInt(k * 0x10000 + 0x100), 0x700100n])]);
    expect(stats).toMatchObject({ hits: 6, pages: 8, aliases: 4, uncachedSkipped: 1, truncated: false });
    expect(stats.bytesRead).toBe(4 * 4096); // 4 distinct pages: 0x200000, 0x300000, 0x900000, 0x700000
    expect(mem.reads).toBe(4 + 4); // 4 tables, 4 pages
  });

  it('finds a match that crosses from one page into the next one in VA', async () => {
    expect((await find(text('WORLD'))).hits).toEqual([[0x1ffdn, 0x300ffdn]]);
  });

  it('searches uncached pages when asked, stops at the limit', async () => {
    expect((await find(text('HELLO'), { uncached: true })).hits).toContainEqual([0x4000n, 0x600000n]);
    const { hits, stats } = await find(text('HELLO'), { limit: 2 });
    expect(hits).toEqual([
      [0x10n, 0x200010n],
      [0x10100n, 0x700100n],
    ]);
    expect(stats.truncated).toBe(true);
  });

  it('skips what the source says holds no RAM (MMIO, holes), unless asked', async () => {
    // A 2 MiB page at VA 0x200000 over PA 0xc00000, which this source calls a hole.
    const mem = Object.assign(space().u64(0x12008n, 0xc00000n | 0x83n), { isRam: (pa: bigint) => pa < 0xc00000n || pa >= 0xe00000n });
    mem.write(0xc00010n, text('HELLO'));
    const run = async (uncached: boolean) => {
      const hits: SearchHit[] = [];
      const stats = await searchMemory(spec, mem, text('HELLO'), { query: {}, limit: 100, uncached }, (h) => void hits.push(h));
      return { vas: hits.map((h) => h.va), stats };
    };
    const skipped = await run(false);
    expect(skipped.vas).not.toContain(0x200010n);
    expect(skipped.stats.uncachedSkipped).toBe(2); // the UC page, and the page over the hole
    expect((await run(true)).vas).toContain(0x200010n);
  });

  it('refuses an empty pattern', async () => {
    await expect(find(new Uint8Array(0))).rejects.toThrow(/pattern is empty/);
  });
});
