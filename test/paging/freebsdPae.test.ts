import { describe, expect, it } from 'vitest';
import { entryVaThroughLinear, mappings, mergeRanges, translate, type WalkEvent } from '../../src/paging';
import { SparseMem } from '../helpers/sparseMem';

/**
 * The tables of a FreeBSD PAE guest on Xen, rebuilt byte for byte from the dump in the xen-devel post “PAE guest address maps?”
 * (entries the dump elides with "..." are zero here). CR3 = the PDPT at machine frame 0xfb153;
 * the page directories are frames 0xfb152, 0xfb151, 0xfb150 and 0xfb14f (page directory 3, which
 * the dump shows at guest VA 0xc03b2000).
 */
function freebsdPae(): SparseMem {
  const mem = new SparseMem();
  const pdpt = 0xfb153000n;
  [0xfb152001n, 0xfb151001n, 0xfb150001n, 0xfb14f001n].forEach((e, i) => mem.u64(pdpt + BigInt(i * 8), e));
  const pd3 = 0xfb14f000n;
  const rows: [number, bigint[]][] = [
    [0x000, [0x00fb14e067n, 0x00fb14d067n, 0x00fb14c067n, 0x00fb14b067n]],
    [0xd60, [0x00fbc000e1n, 0x00fba000e1n, 0n, 0n]],
    [0xda0, [0x00018001e3n, 0x0001a001e3n, 0x0001c001e3n, 0x0001e001e3n]],
    [0xdc0, [0x00020001e3n, 0x00022001e3n, 0x00024001e3n, 0x00026001e3n]],
    [0xde0, [0x00028001e3n, 0x0002a001e3n, 0x0002c001e3n, 0x0002e001e3n]],
    [0xf20, [0x00fbc001e3n, 0x00fba001e3n, 0n, 0n]],
    [0xf60, [0x00fb152063n, 0x00fb151063n, 0x00fb150063n, 0x00fb14f063n]],
    [0xfa0, [0x0000224063n, 0x0000225063n, 0x0000226063n, 0x0000227063n]],
    [0xfc0, [0x0000211063n, 0x0000212063n, 0x0000213063n, 0x0000214063n]],
    [0xfe0, [0x0000215063n, 0x0000216063n, 0x0000217063n, 0x0000bfe063n]],
  ];
  for (const [off, entries] of rows) entries.forEach((e, i) => mem.u64(pd3 + BigInt(off + i * 8), e));
  // "(gdb) x/1g 0xfde00000: 0x00000000d1620063": the PTE of 0xc0000000, first entry of frame 0xfb14e.
  mem.u64(0xfb14e000n, 0xd1620063n);
  return mem;
}

const spec = { mode: 'pae' as const, root: 0xfb153000n };

async function collect(mem: SparseMem): Promise<WalkEvent[]> {
  const out: WalkEvent[] = [];
  for await (const e of mappings(spec, mem)) out.push(e);
  return out;
}

describe('a PAE guest of Xen (the xen-devel “PAE guest address maps?” dump)', () => {
  it('finds the linear page table at 0xFD800000 as four self-map entries and does not descend', async () => {
    const events = await collect(freebsdPae());
    const self = events.filter((e) => e.kind === 'selfMap');
    // PD3 entries 492..495 point at page directories 0..3: 0xC0000000 + 492 * 2 MiB = 0xFD800000.
    expect(self.map((e) => [e.va, e.size, e.targetPa, e.targetLevel])).toEqual([
      [0xfd800000n, 0x200000n, 0xfb152000n, 2],
      [0xfda00000n, 0x200000n, 0xfb151000n, 2],
      [0xfdc00000n, 0x200000n, 0xfb150000n, 2],
      [0xfde00000n, 0x200000n, 0xfb14f000n, 2],
    ]);
    const leaves = events.filter((e) => e.kind === 'leaf');
    expect(leaves.some((l) => l.va >= 0xfd800000n && l.va < 0xfe000000n)).toBe(false);
  });

  it('lists the mappings the dump shows', async () => {
    const leaves = (await collect(freebsdPae())).flatMap((e) => (e.kind === 'leaf' ? [[e.va, e.pa, e.size, e.perms.write] as const] : []));
    const M2 = 0x200000n;
    expect(leaves).toEqual([
      [0xc0000000n, 0xd1620000n, 0x1000n, true], // kernel text: PT 0xfb14e, entry 0
      [0xf5800000n, 0xfbc00000n, M2, false], // read-only machine-to-phys (index 428)
      [0xf5a00000n, 0xfba00000n, M2, false],
      ...Array.from({ length: 12 }, (_, i) => [0xf6800000n + BigInt(i) * M2, 0x1800000n + BigInt(i) * M2, M2, true] as const),
      [0xfc800000n, 0xfbc00000n, M2, true], // the writable machine-to-phys (index 484)
      [0xfca00000n, 0xfba00000n, M2, true],
    ]);
  });

  it('merges the contiguous 2 MiB pages into one range', async () => {
    const ranges = [];
    for await (const r of mergeRanges(mappings(spec, freebsdPae()))) ranges.push(r);
    const big = ranges.find((r) => r.va === 0xf6800000n);
    expect(big).toMatchObject({ pa: 0x1800000n, size: 24n << 20n, pages: 12, global: true });
    // 0xfbc00000 then 0xfba00000: adjacent in VA but descending in PA, so two ranges.
    expect(ranges.filter((r) => r.va === 0xf5800000n || r.va === 0xf5a00000n)).toHaveLength(2);
  });

  it("reads each table once, whole: the PDPT, four PDs and PD3's page tables", async () => {
    const mem = freebsdPae();
    await collect(mem);
    // PDPT (32 bytes) + 4 PDs + 4 kernel PTs + 12 other PTs = 21 reads.
    expect(mem.reads).toBe(21);
    expect(mem.bytesRead).toBe(32 + 20 * 4096);
  });

  it("the post's formula: ((va & 0xFFFFF000) >> 9) + 0xFD800000 is the PTE's VA, and it reads back the PTE", async () => {
    const lpt = { mode: 'pae' as const, base: 0xfd800000n };
    expect(entryVaThroughLinear(lpt, 0xc0000000n, 1)).toBe(0xfde00000n);
    expect(entryVaThroughLinear(lpt, 0xc0123456n, 1)).toBe(((0xc0123456n & 0xfffff000n) >> 9n) + 0xfd800000n);
    const mem = freebsdPae();
    const t = await translate(0xfde00000n, spec, mem);
    expect(t.pa).toBe(0xfb14e000n);
    const pte = await mem.read(t.pa!, 8);
    expect(new DataView(pte.buffer).getBigUint64(0, true)).toBe(0xd1620063n);
    // One level up: the PDE of 0xc0000000 is PD3's entry 0, seen at 0xfdfef000.
    const pdeVa = entryVaThroughLinear(lpt, 0xc0000000n, 2);
    expect(pdeVa).toBe(0xfdfef000n);
    expect((await translate(pdeVa, spec, mem)).pa).toBe(0xfb14f000n);
  });
});
