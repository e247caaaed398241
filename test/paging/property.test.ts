import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entriesAt, levelShift, mappings, type PagingMode, translate, type LeafEvent } from '../../src/paging';
import { SparseMem } from '../helpers/sparseMem';

/** A random table: a few entries at random indices, each a sub-table, a page or a non-present value. */
type Node = { index: number; kind: 'np'; raw: number } | { index: number; kind: 'page'; flags: number; frame: number } | { index: number; kind: 'table'; flags: number; children: Node[] };

function nodeArb(mode: PagingMode, level: number): fc.Arbitrary<Node[]> {
  const n = entriesAt(mode, level);
  const largeOk = level === 2 || (level === 3 && mode !== 'pae');
  const flags = fc.integer({ min: 0, max: 7 }); // RW, US, XD/G bits picked below
  const entry: fc.Arbitrary<Node> = fc.oneof(
    fc.record({ index: fc.nat(n - 1), kind: fc.constant('np' as const), raw: fc.nat(0xffff).map((x) => x & ~1) }),
    ...(level === 1 || largeOk ? [fc.record({ index: fc.nat(n - 1), kind: fc.constant('page' as const), flags, frame: fc.nat(0x3ff) })] : []),
    ...(level > 1
      ? [
          fc.record({
            index: fc.nat(n - 1),
            kind: fc.constant('table' as const),
            flags,
            children: fc.constant(null).chain(() => nodeArb(mode, level - 1)),
          }),
        ]
      : []),
  );
  return fc.uniqueArray(entry, { selector: (e) => e.index, maxLength: level > 2 ? 3 : 5 });
}

/** Writes the random tree; returns the root. Tables get fresh frames from 0x100000 up. */
function build(mode: PagingMode, top: number, nodes: Node[]): { mem: SparseMem; root: bigint } {
  const mem = new SparseMem();
  let next = 0x100000n;
  const alloc = () => ((next += 0x1000n), next - 0x1000n);
  const eb = mode === 'legacy32' ? 4 : 8;
  const write = (pa: bigint, v: bigint) => (eb === 4 ? mem.u32(pa, v) : mem.u64(pa, v));
  const bitsOf = (f: number, leaf: boolean) => {
    let v = 1n | (f & 1 ? 2n : 0n) | (f & 2 ? 4n : 0n);
    if (f & 4) v |= mode === 'legacy32' ? (leaf ? 0x100n : 0n) : 1n << 63n;
    return v;
  };
  const fill = (table: bigint, level: number, list: Node[]) => {
    for (const e of list) {
      const at = table + BigInt(e.index * eb);
      if (e.kind === 'np') write(at, BigInt(e.raw));
      else if (e.kind === 'page') {
        const size = 1n << BigInt(levelShift(mode, level));
        const ps = level > 1 ? 0x80n : 0n;
        write(at, ((BigInt(e.frame) * size) & (mode === 'legacy32' ? 0xffffffffn : (1n << 40n) - 1n)) | ps | bitsOf(e.flags, true));
      } else {
        const child = alloc();
        write(at, child | (mode === 'pae' && level === 3 ? 1n : bitsOf(e.flags, false)));
        fill(child, level - 1, e.children);
      }
    }
  };
  const root = mode === 'pae' ? 0x1fe0n : alloc();
  fill(root, top, mode === 'pae' ? nodes.filter((n) => n.kind !== 'page').map((n) => ({ ...n, index: n.index & 3 })).filter((n, i, a) => a.findIndex((x) => x.index === n.index) === i) : nodes);
  return { mem, root };
}

const TOP: Record<string, number> = { legacy32: 2, pae: 3, long4: 4, long5: 5 };

describe.each(['legacy32', 'pae', 'long4', 'long5'] as PagingMode[])('property: translate agrees with mappings (%s)', (mode) => {
  it('every mapped VA translates to the leaf, every other VA faults', async () => {
    await fc.assert(
      fc.asyncProperty(nodeArb(mode, TOP[mode]), fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 20 }), fc.nat(0xfff), async (nodes, probes, off) => {
        const { mem, root } = build(mode, TOP[mode], nodes);
        const spec = { mode, root };
        const leaves: LeafEvent[] = [];
        for await (const e of mappings(spec, mem)) {
          if (e.kind === 'leaf') leaves.push(e);
          else if (e.kind !== 'shared') throw new Error(`unexpected ${e.kind} event in a tree with no self-maps`);
        }
        for (const l of leaves) {
          const va = l.va + (BigInt(off) % l.size);
          const t = await translate(va, spec, mem);
          expect(t.pa).toBe(l.pa + (va - l.va));
          expect(t.perms).toEqual(l.perms);
          expect(t.pageSize).toBe(l.size);
        }
        // Random VAs, and the addresses just past each leaf (where an off-by-one would show).
        for (const va of [...probes, ...leaves.map((l) => l.va + l.size)]) {
          const t = await translate(va, spec, mem);
          const hit = leaves.find((l) => va >= l.va && va < l.va + l.size);
          if (hit) expect(t.pa).toBe(hit.pa + (va - hit.va));
          else expect(t.fault?.reason === 'not-present' || t.fault?.reason === 'non-canonical').toBe(true);
        }
        // VAs in leaves must be sorted and disjoint: the walk goes in VA order.
        for (let i = 1; i < leaves.length; i++) expect(leaves[i].va >= leaves[i - 1].va + leaves[i - 1].size).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
