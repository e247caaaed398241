import type { PhysMem } from '../memory/physMem';
import { ATTR_G, ATTR_R, ATTR_U, ATTR_W, ATTR_X } from './entryRules';
import { type RangeRecord, RangeMerger, rangeRecord } from './rangeMerge';
import type { PagingSpec } from './spec';
import { type LeafRecord, TableWalk, type TableWalkOptions, type WalkNote } from './tableWalk';
import type { Permissions } from './translate';
import { decodeEntry } from './entry';
import type { LeafEvent, WalkEvent } from './walkEvents';

export type { BadEntryEvent, LeafEvent, SelfMapEvent, SharedTableEvent, UnreadableEvent, WalkEvent } from './walkEvents';

export type WalkOptions = TableWalkOptions;

/** A leaf record as an event object (BigInt addresses, the entry decoded): for callers that keep leaves. */
export function leafEvent(walk: TableWalk, l: LeafRecord): LeafEvent {
  const { mode, ctx } = walk.spec;
  const raw = (BigInt(l.hi) << 32n) | BigInt(l.lo);
  return {
    kind: 'leaf',
    va: walk.canonicalVa(l.vpn),
    pa: BigInt(l.pfn) << 12n,
    size: BigInt(l.pages) << 12n,
    level: l.level,
    entryPa: BigInt(l.tablePa + l.index * walk.rules.entryBytes),
    entry: decodeEntry(raw, mode, l.level, ctx),
    perms: permissionsOf(l.attrs),
  };
}

export function permissionsOf(attrs: number): Permissions {
  return { read: (attrs & ATTR_R) !== 0, write: (attrs & ATTR_W) !== 0, user: (attrs & ATTR_U) !== 0, exec: (attrs & ATTR_X) !== 0 };
}

/**
 * Every present entry in VA order as event objects, lazily: a generator over TableWalk for
 * callers that want objects (tests, small windows). Whole-space walks that print or count should
 * drive TableWalk themselves: it allocates nothing per leaf.
 */
export async function* mappings(spec: PagingSpec, mem: PhysMem, opts: WalkOptions = {}): AsyncGenerator<WalkEvent> {
  const walk = new TableWalk(spec, mem, opts);
  let batch: WalkEvent[] = [];
  const sink = {
    leaf: (l: LeafRecord) => void batch.push(leafEvent(walk, l)),
    note: (n: WalkNote) => void batch.push(n),
  };
  for (let more = true; more; ) {
    more = await walk.step(sink);
    const out = batch;
    batch = [];
    yield* out;
  }
}

/** Pages merged into runs: contiguous in VA and PA, same page size, rights and G. */
export interface MappedRange {
  va: bigint;
  pa: bigint;
  size: bigint;
  pageSize: bigint;
  pages: number;
  perms: Permissions;
  global: boolean;
}

/** Merges leaf events (in VA order) into ranges contiguous in VA and PA, like QEMU's `info mem` but with X and G. */
export async function* mergeRanges(events: AsyncIterable<WalkEvent> | Iterable<WalkEvent>): AsyncGenerator<MappedRange> {
  const out: RangeRecord[] = [];
  const merger = new RangeMerger(true, -1, (r) => out.push(rangeRecord(r)));
  const rec: LeafRecord = { vpn: 0, pfn: 0, pages: 0, level: 0, lo: 0, hi: 0, tablePa: 0, index: 0, attrs: 0 };
  for await (const ev of events) {
    if (ev.kind !== 'leaf') continue;
    // Canonical VAs >> 12 are below 2^52: exact, and the hole between the halves breaks the run by itself.
    rec.vpn = Number(ev.va >> 12n);
    rec.pfn = Number(ev.pa >> 12n);
    rec.pages = Number(ev.size >> 12n);
    rec.level = ev.level;
    const p = ev.perms;
    rec.attrs = (p.read ? ATTR_R : 0) | (p.write ? ATTR_W : 0) | (p.exec ? ATTR_X : 0) | (p.user ? ATTR_U : 0) | (ev.entry.fields.G === 1 ? ATTR_G : 0);
    merger.push(rec);
    yield* out.splice(0).map(mappedRange);
  }
  merger.finish();
  yield* out.map(mappedRange);
}

function mappedRange(r: RangeRecord): MappedRange {
  return {
    va: BigInt(r.vpn) << 12n,
    pa: BigInt(r.pfn) << 12n,
    size: BigInt(r.pages) << 12n,
    pageSize: BigInt(r.firstPages) << 12n,
    pages: r.leaves,
    perms: permissionsOf(r.attrs),
    global: (r.attrs & ATTR_G) !== 0,
  };
}
