/**
 * The page walkers over tables built to hurt: cycles, entries pointing back at their own table or
 * at a table of another level, every entry of a table pointing at one child, reserved bits, raw
 * garbage, frames missing from memory. Every walk ends; table reads are bounded by the distinct
 * tables times the levels (a table is read once per level it serves at), entries visited by those
 * plus the budget for walking shared tables again; the streaming walk, the event walk and translate
 * agree on every leaf.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PhysMem } from '../../src/memory/physMem';
import { leafEvent, mappings } from '../../src/paging/mappings';
import { entriesAt, geometry, type PagingMode } from '../../src/paging/modes';
import type { PagingSpec } from '../../src/paging/spec';
import type { LeafEvent, WalkEvent } from '../../src/paging/walkEvents';
import { translate } from '../../src/paging/translate';
import { TableWalk } from '../../src/paging/tableWalk';
import { runWalk } from '../../src/paging/walkRun';
import { HyperFrameError } from '../../src/util/errors';
import { fuzzParams, onlyTypedAsync, within } from './fuzzRuns';

const TOP = (1n << 64n) - 1n;
/** Tables live at 0x1000, 0x2000, …; frames from MISSING up are not in memory at all. */
const tablePa = (i: number): bigint => BigInt(i + 1) << 12n;
const MISSING = 0x4000_0000n;

type Target = { kind: 'table'; table: number } | { kind: 'leaf'; pfn: number } | { kind: 'missing' } | { kind: 'raw'; value: bigint };
interface TableSpec {
  /** Present entries by index (taken modulo the table's entries). */
  entries: { index: number; target: Target; flags: number; reserved: boolean }[];
  /** Every entry of the table the same as its first one (all pointing at one child). */
  fanOut: boolean;
}
interface Universe {
  mode: PagingMode;
  maxPhyAddr: number;
  tables: TableSpec[];
}

const target = (tables: number): fc.Arbitrary<Target> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.nat({ max: tables - 1 }).map((table): Target => ({ kind: 'table', table })) },
    { weight: 2, arbitrary: fc.nat({ max: 0xfffff }).map((pfn): Target => ({ kind: 'leaf', pfn })) },
    { weight: 1, arbitrary: fc.constant<Target>({ kind: 'missing' }) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: TOP }).map((value): Target => ({ kind: 'raw', value })) },
  );

const universe: fc.Arbitrary<Universe> = fc
  .tuple(fc.constantFrom<PagingMode>('legacy32', 'pae', 'long4', 'long5', 'ept'), fc.integer({ min: 1, max: 6 }))
  .chain(([mode, n]) =>
    fc.record({
      mode: fc.constant(mode),
      maxPhyAddr: fc.constantFrom(36, 46, 52),
      tables: fc.array(
        fc.record({
          entries: fc.array(fc.record({ index: fc.nat(), target: target(n), flags: fc.nat({ max: 0xfff }), reserved: fc.boolean() }), { maxLength: 4 }),
          fanOut: fc.boolean(),
        }),
        { minLength: n, maxLength: n },
      ),
    }),
  )
  // One fan-out table at most: two of them under each other multiply leaves by 512 per level.
  .map((u) => ({ ...u, tables: u.tables.map((t, i) => ({ ...t, fanOut: t.fanOut && i === u.tables.findIndex((x) => x.fanOut) })) }));

/**
 * The entry's value: the target's address, present (P, or R/W/X in EPT), the flags given, and if
 * asked bit MAXPHYADDR (reserved; with 52 an address bit: a frame past memory), bit 21 in 32-bit
 * paging (reserved in a 4 MiB PDE), bit 3 in EPT (reserved in a table entry).
 */
function entryValue(u: Universe, t: TableSpec['entries'][number]): bigint {
  const mode = u.mode;
  const present = mode === 'ept' ? 0x7n : 0x1n;
  const flags = BigInt(t.flags) | present;
  const rsv = t.reserved ? (mode === 'legacy32' ? 1n << 21n : 1n << BigInt(Math.min(u.maxPhyAddr, 51))) | (mode === 'ept' ? 0x8n : 0n) : 0n;
  switch (t.target.kind) {
    case 'table':
      return tablePa(t.target.table) | (flags & ~0x80n) | rsv;
    case 'leaf':
      return (BigInt(t.target.pfn) << 12n) | flags | 0x80n | rsv;
    case 'missing':
      return MISSING | (flags & ~0x80n);
    case 'raw':
      return t.target.value;
  }
}

/**
 * Physical memory of whole frames, written with DataViews (the tests' SparseMem writes byte by
 * byte: too slow for a million tables): frames not built refuse with OUT_OF_RANGE. Counts reads.
 */
class FrameMem implements PhysMem {
  readonly description = 'fuzz tables';
  readonly frames = new Map<number, DataView>();
  reads = 0;
  frame(pa: bigint): DataView {
    const pfn = Number(pa >> 12n);
    let f = this.frames.get(pfn);
    if (f === undefined) this.frames.set(pfn, (f = new DataView(new ArrayBuffer(4096))));
    return f;
  }
  async read(pa: bigint, bytes: number): Promise<Uint8Array> {
    this.reads++;
    const out = new Uint8Array(bytes);
    for (let done = 0; done < bytes; ) {
      const at = pa + BigInt(done);
      const f = this.frames.get(Number(at >> 12n));
      if (f === undefined) throw new HyperFrameError('OUT_OF_RANGE', `no memory at 0x${at.toString(16)}`);
      const off = Number(at & 0xfffn);
      const n = Math.min(bytes - done, 4096 - off);
      out.set(new Uint8Array(f.buffer, off, n), done);
      done += n;
    }
    return out;
  }
}

function build(u: Universe): FrameMem {
  const mem = new FrameMem();
  const bytes = geometry(u.mode).entryBytes;
  u.tables.forEach((t, i) => {
    const f = mem.frame(tablePa(i));
    const count = entriesAt(u.mode, 4); // 512 (1024 in 32-bit paging): PAE's 4-entry PDPT just ignores the rest
    const list = t.fanOut && t.entries.length > 0 ? Array.from({ length: count }, (_, k) => ({ ...t.entries[0], index: k })) : t.entries;
    for (const e of list) {
      const v = entryValue(u, e);
      const at = (e.index % count) * bytes;
      if (bytes === 8) f.setBigUint64(at, v, true);
      else f.setUint32(at, Number(v & 0xffff_ffffn), true);
    }
  });
  return mem;
}

const specOf = (u: Universe): PagingSpec => ({ mode: u.mode, root: tablePa(0), ctx: { maxPhyAddr: u.maxPhyAddr } });
const LEAF_CAP = 20_000;

describe('page walkers under fuzzing', () => {
  it('ends every streaming walk, reading each table at most once per level', async () => {
    await fc.assert(
      fc.asyncProperty(universe, fc.boolean(), async (u, splitPa) => {
        const mem = build(u);
        let notes = 0;
        const stats = await within(10_000, runWalk(specOf(u), mem, { splitPa, maxLeaves: LEAF_CAP }, { range: () => {}, note: () => void notes++ }), 'the walk');
        const levels = geometry(u.mode).topLevel;
        // Frames the entries can point at: the tables, and one per other entry (missing, raw, leaves).
        const frames = u.tables.length + u.tables.reduce((n, t) => n + t.entries.length, 0);
        expect(stats.tablesRead).toBeLessThanOrEqual(u.tables.length * levels);
        expect(mem.reads).toBeLessThanOrEqual(frames * levels);
        expect(stats.leaves).toBeLessThanOrEqual(LEAF_CAP);
        // Every leaf, note and range stands for an entry the walk met.
        expect(stats.ranges).toBeLessThanOrEqual(stats.leaves);
      }),
      fuzzParams(1000),
    );
  });

  it('ends every uncapped walk after the distinct tables plus the re-walk budget, however many tables fan out', async () => {
    const budget = 4096;
    // Any table may fan out here (the universe above allows one: two under each other are 512^2 leaves per PT).
    const fanning = universe.chain((u) => fc.array(fc.boolean(), { minLength: u.tables.length, maxLength: u.tables.length }).map((f) => ({ ...u, tables: u.tables.map((t, i) => ({ ...t, fanOut: f[i] })) })));
    await fc.assert(
      fc.asyncProperty(fanning, async (u) => {
        let visits = 0;
        const walk = new TableWalk(specOf(u), build(u), { sharedRewalkBudget: budget });
        await within(10_000, walk.all({ leaf: () => void visits++, note: () => void visits++ }), 'the walk');
        const perTable = entriesAt(u.mode, 4);
        // First walks: each table once per level it serves at; again: the budget and the table that crossed it.
        expect(walk.rewalkedEntries).toBeLessThanOrEqual(budget + perTable);
        expect(visits).toBeLessThanOrEqual(u.tables.length * geometry(u.mode).topLevel * perTable + budget + perTable);
      }),
      // Up to ~5k entries each: the long run stops at 200k inputs (minutes, not the hour 10^6 would take).
      fuzzParams(1000, 200_000),
    );
  });

  it('gives the same leaves through the event walk and translate', async () => {
    await fc.assert(
      fc.asyncProperty(universe, async (u) => {
        const mem = build(u);
        const spec = specOf(u);
        const streamed: string[] = [];
        await within(10_000, runWalk(spec, mem, { maxLeaves: 2000 }, { leaf: (l, walk) => void streamed.push(show(leafEvent(walk, l))) }), 'the walk');
        const events: WalkEvent[] = [];
        await within(10_000, (async () => {
          for await (const ev of mappings(spec, mem)) if (events.push(ev) >= 20_000) break;
        })(), 'the event walk');
        const leaves = events.filter((e): e is LeafEvent => e.kind === 'leaf');
        expect(leaves.slice(0, streamed.length).map(show)).toEqual(streamed);
        for (const leaf of leaves.slice(0, 16)) {
          mem.reads = 0;
          const t = await onlyTypedAsync(() => translate(leaf.va + leaf.size - 1n, spec, mem));
          expect(t?.pa).toBe(leaf.pa + leaf.size - 1n);
          expect(t?.perms).toEqual(leaf.perms);
          expect(mem.reads).toBeLessThanOrEqual(geometry(u.mode).topLevel);
        }
      }),
      fuzzParams(500, 200_000),
    );
  });

  it('translates any address in bounded steps', async () => {
    await fc.assert(
      fc.asyncProperty(universe, fc.bigInt({ min: 0n, max: TOP }), async (u, va) => {
        const mem = build(u);
        const t = await translate(va, specOf(u), mem);
        expect(t.steps.length).toBeLessThanOrEqual(geometry(u.mode).topLevel);
        expect(mem.reads).toBeLessThanOrEqual(geometry(u.mode).topLevel);
        expect(t.pa !== undefined || t.fault !== undefined).toBe(true);
      }),
      fuzzParams(2000),
    );
  });
});

function show(l: LeafEvent): string {
  return `${l.va.toString(16)} ${l.pa.toString(16)} ${l.size.toString(16)} ${JSON.stringify(l.perms)}`;
}

describe('walker worst cases, kept as plain tests', () => {
  it.each(['legacy32', 'pae', 'long4', 'long5', 'ept'] as PagingMode[])('%s: one table whose every entry points at itself is read once and noted as a self-map', async (mode) => {
    const u: Universe = { mode, maxPhyAddr: 52, tables: [{ entries: [{ index: 0, target: { kind: 'table', table: 0 }, flags: 0x1, reserved: false }], fanOut: true }] };
    const mem = build(u);
    const notes: string[] = [];
    const stats = await runWalk(specOf(u), mem, {}, { note: (n) => void notes.push(n.kind) });
    expect(stats.leaves).toBe(0);
    expect(mem.reads).toBe(1);
    expect(notes).toEqual(Array(mode === 'pae' ? 4 : entriesAt(mode, geometry(mode).topLevel)).fill('selfMap'));
  });

  it('reads a frame missing under a shared table once (was: once per visit of the shared table)', async () => {
    // long5: the root's 512 entries all point at one PML4 whose entry 0 points past memory.
    const u: Universe = {
      mode: 'long5',
      maxPhyAddr: 52,
      tables: [
        { entries: [{ index: 0, target: { kind: 'table', table: 1 }, flags: 0x1, reserved: false }], fanOut: true },
        { entries: [{ index: 0, target: { kind: 'missing' }, flags: 0x1, reserved: false }], fanOut: false },
      ],
    };
    const mem = build(u);
    const notes: string[] = [];
    const stats = await runWalk(specOf(u), mem, {}, { note: (n) => void notes.push(n.kind) });
    expect(stats.tablesRead).toBe(2);
    expect(mem.reads).toBe(3);
    // Each visit still says that the table under it cannot be read.
    expect(notes.filter((k) => k === 'unreadable')).toHaveLength(512);
  });
});
