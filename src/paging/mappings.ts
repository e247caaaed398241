import type { PhysMem } from '../memory/physMem';
import { decodeEntry } from './entry';
import { canonicalize, entriesAt, entryCoverage } from './modes';
import { type PagingSpec, type ResolvedSpec, resolveSpec } from './spec';
import { allEntries, TableReader } from './tables';
import { combinePerms, FULL_PERMS, type Permissions } from './translate';
import type { DecodedEntry } from './types';

/** A page the tables map. */
export interface LeafEvent {
  kind: 'leaf';
  va: bigint;
  pa: bigint;
  size: bigint;
  level: number;
  /** Physical address of the leaf entry itself. */
  entryPa: bigint;
  entry: DecodedEntry;
  perms: Permissions;
}

/**
 * An entry that points at a paging-structure frame of this hierarchy used elsewhere at another
 * level: a recursive (self-map) slot. The walk reports it and does not descend.
 */
export interface SelfMapEvent {
  kind: 'selfMap';
  va: bigint;
  size: bigint;
  level: number;
  entryPa: bigint;
  entry: DecodedEntry;
  targetPa: bigint;
  /** Level at which the target frame serves elsewhere in the hierarchy. */
  targetLevel: number;
}

/** A table reached from a second entry at the same level (Linux espfix, Xen's shared L3s). */
export interface SharedTableEvent {
  kind: 'shared';
  va: bigint;
  level: number;
  tablePa: bigint;
  /** VA under which the walk first reached this table. */
  firstVa: bigint;
}

/** A present entry the MMU would fault on (reserved bits, EPT misconfiguration): not descended. */
export interface BadEntryEvent {
  kind: 'bad';
  va: bigint;
  size: bigint;
  level: number;
  entryPa: bigint;
  entry: DecodedEntry;
  message: string;
}

/** A table the source could not read (outside a dump's segments, a stub error): skipped. */
export interface UnreadableEvent {
  kind: 'unreadable';
  va: bigint;
  size: bigint;
  /** Level of the table that could not be read. */
  level: number;
  tablePa: bigint;
  message: string;
}

export type WalkEvent = LeafEvent | SelfMapEvent | SharedTableEvent | BadEntryEvent | UnreadableEvent;

export interface WalkOptions {
  /** Only entries overlapping [from, to) are visited (VAs as the mode writes them). */
  from?: bigint;
  to?: bigint;
}

/**
 * Walks every present entry in VA order, lazily: a table is read when the walk reaches it,
 * each table whole and once per walk.
 */
export async function* mappings(spec: PagingSpec, mem: PhysMem | TableReader, opts: WalkOptions = {}): AsyncGenerator<WalkEvent> {
  const s = resolveSpec(spec);
  const reader = mem instanceof TableReader ? mem : new TableReader(mem, s.mode);
  yield* new Walk(s, reader, opts).run();
}

/** One table being walked: its decoded present entries and where the walk is in it. */
interface Frame {
  tablePa: bigint;
  level: number;
  baseVa: bigint;
  perms: Permissions;
  underShared: boolean;
  entries: (DecodedEntry | undefined)[];
  next: number;
}

/**
 * A depth-first walk driven by an explicit stack rather than nested generators, so that each
 * event costs one step of one generator whatever the depth (a Linux kernel has ~70k leaves).
 */
class Walk {
  /** Every paging-structure frame seen so far, with the level it serves at. */
  private readonly frameLevel = new Map<bigint, number>();
  /** Tables already descended into, with the VA of the first visit. */
  private readonly visited = new Map<string, bigint>();

  constructor(
    private readonly s: ResolvedSpec,
    private readonly reader: TableReader,
    private readonly opts: WalkOptions,
  ) {
    this.frameLevel.set(s.root, s.geo.topLevel);
  }

  private async open(tablePa: bigint, level: number, baseVa: bigint, perms: Permissions, underShared: boolean): Promise<Frame> {
    const { mode, ctx } = this.s;
    const table = await this.reader.table(tablePa, level);
    const raws = allEntries(table, mode);
    const n = Math.min(raws.length, entriesAt(mode, level));
    const entries: (DecodedEntry | undefined)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const raw = raws[i];
      // Not present (EPT: no R/W/X): nothing to decode or visit. Most entries of most tables.
      if (mode === 'ept' ? (raw & 7n) === 0n : (raw & 1n) === 0n) continue;
      const e = decodeEntry(raw, mode, level, ctx);
      entries[i] = e;
      // Register the frames this table points at before descending anywhere, so that an entry
      // pointing at a sibling table (PAE linear page tables) is recognised as a self-map.
      if (e.kind === 'table' && !this.frameLevel.has(e.address)) this.frameLevel.set(e.address, level - 1);
    }
    return { tablePa, level, baseVa, perms, underShared, entries, next: 0 };
  }

  async *run(): AsyncGenerator<WalkEvent> {
    const { mode, geo } = this.s;
    const stack: Frame[] = [await this.open(this.s.root, geo.topLevel, 0n, FULL_PERMS, false)];
    while (stack.length) {
      const f = stack[stack.length - 1];
      if (f.next >= f.entries.length) {
        stack.pop();
        continue;
      }
      const i = f.next++;
      const e = f.entries[i];
      if (!e) continue;
      const { level } = f;
      const cover = entryCoverage(mode, level);
      const rawVa = f.baseVa + BigInt(i) * cover;
      if (!this.overlaps(rawVa, cover)) continue;
      const va = canonicalize(mode, rawVa);
      const entryPa = f.tablePa + BigInt(i * geo.entryBytes);
      if (e.reserved || e.problems.length) {
        const message = e.reserved
          ? `reserved bits 0x${e.reserved.toString(16)} set: an access here faults (RSVD)`
          : e.problems.join('; ');
        yield { kind: 'bad', va, size: cover, level, entryPa, entry: e, message };
        continue;
      }
      const p = combinePerms(f.perms, e);
      if (e.kind === 'page') {
        yield { kind: 'leaf', va, pa: e.address, size: e.pageSize ?? cover, level, entryPa, entry: e, perms: p };
        continue;
      }
      const targetLevel = this.frameLevel.get(e.address);
      if (targetLevel !== undefined && targetLevel !== level - 1) {
        yield { kind: 'selfMap', va, size: cover, level, entryPa, entry: e, targetPa: e.address, targetLevel };
        continue;
      }
      const key = `${e.address}:${level - 1}`;
      const first = this.visited.get(key);
      // Only the top of a shared subtree is news; the tables below it are shared by consequence.
      if (first !== undefined && !f.underShared) yield { kind: 'shared', va, level: level - 1, tablePa: e.address, firstVa: first };
      if (first === undefined) this.visited.set(key, va);
      try {
        stack.push(await this.open(e.address, level - 1, rawVa, p, f.underShared || first !== undefined));
      } catch (err) {
        // One unreadable table (a frame missing from a dump) should not hide the rest of the walk.
        yield { kind: 'unreadable', va, size: cover, level: level - 1, tablePa: e.address, message: err instanceof Error ? err.message : String(err) };
      }
    }
  }

  private overlaps(rawVa: bigint, size: bigint): boolean {
    const va = canonicalize(this.s.mode, rawVa);
    const { from, to } = this.opts;
    if (from !== undefined && va + size <= from) return false;
    if (to !== undefined && va >= to) return false;
    return true;
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

function sameRights(a: MappedRange, l: LeafEvent): boolean {
  const p = l.perms;
  return (
    a.perms.read === p.read &&
    a.perms.write === p.write &&
    a.perms.user === p.user &&
    a.perms.exec === p.exec &&
    a.global === (l.entry.fields.G === 1) &&
    a.pageSize === l.size
  );
}

/** Merges leaves (in VA order) into ranges, like QEMU's `info mem` but with X and G. */
export async function* mergeRanges(events: AsyncIterable<WalkEvent> | Iterable<WalkEvent>): AsyncGenerator<MappedRange> {
  let cur: MappedRange | undefined;
  for await (const ev of events) {
    if (ev.kind !== 'leaf') continue;
    if (cur && cur.va + cur.size === ev.va && cur.pa + cur.size === ev.pa && sameRights(cur, ev)) {
      cur.size += ev.size;
      cur.pages++;
      continue;
    }
    if (cur) yield cur;
    cur = { va: ev.va, pa: ev.pa, size: ev.size, pageSize: ev.size, pages: 1, perms: ev.perms, global: ev.entry.fields.G === 1 };
  }
  if (cur) yield cur;
}
