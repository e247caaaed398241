import type { PhysMem } from '../memory/physMem';
import { type RangeRecord, RangeMerger } from './rangeMerge';
import type { PagingSpec } from './spec';
import { type LeafRecord, TableWalk, type WalkNote } from './tableWalk';
import { leafTest, type WalkQuery } from './walkQuery';

export interface WalkRunOptions {
  query?: WalkQuery;
  /** Ranges also need contiguous PA and one page size (the merge of old). */
  splitPa?: boolean;
  /** IA32_PAT for memory types (default: its reset value). */
  pat?: bigint;
  /** Stop after this many leaves (after the filters); `truncatedAt` says where the next one was. */
  maxLeaves?: number;
  /** Runs between batches of tables (a writer waiting for its reader). */
  between?: () => Promise<void> | undefined;
  /** Walk shared subtrees again however often they are reached (no re-walk budget). */
  expandShared?: boolean;
  /** Entries the walk may visit again in shared subtrees (default SHARED_REWALK_BUDGET). */
  sharedRewalkBudget?: number;
}

/** What one pass receives: leaves kept by the query, the ranges they merge into, and the notes. */
export interface WalkHandlers {
  /** A leaf the query keeps (the record is reused afterwards); false ends the walk. */
  leaf?(l: LeafRecord, walk: TableWalk): boolean | void;
  range?(r: RangeRecord, walk: TableWalk): void;
  note?(n: WalkNote): void;
}

export interface WalkStats {
  leaves: number;
  ranges: number;
  tablesRead: number;
  bytesRead: number;
  /** The VA of the first leaf left out by `maxLeaves`. */
  truncatedAt?: bigint;
  /** Entries visited again in shared subtrees; subtrees reported but not walked again (the budget was spent). */
  rewalkedEntries: number;
  sharedNotWalked: number;
}

function noteSpan(n: WalkNote): [bigint, bigint] | undefined {
  return n.kind === 'shared' ? undefined : [n.va, n.va + n.size];
}

/**
 * One pass over an address space: the table walk, the query's filters, the range merge. Each
 * handler is called as the walk goes (ranges when they close), so that a front end can print or
 * send them at once and hold nothing. Run a second pass for a second section (leaves, then
 * ranges): tables come again from the source's cache.
 */
export async function runWalk(spec: PagingSpec, mem: PhysMem, opts: WalkRunOptions, h: WalkHandlers): Promise<WalkStats> {
  const q = opts.query ?? {};
  const walk = new TableWalk(spec, mem, { from: q.from, to: q.to, pat: opts.pat, sharedRewalkBudget: opts.expandShared ? Infinity : opts.sharedRewalkBudget });
  const stats: WalkStats = { leaves: 0, ranges: 0, tablesRead: 0, bytesRead: 0, rewalkedEntries: 0, sharedNotWalked: 0 };
  const test = leafTest(q);
  const hasVpn = q.has === undefined ? undefined : walk.vpnOf(q.has);
  let found = false;
  const holds = (vpn: number, pages: number): boolean => hasVpn === undefined || (hasVpn >= vpn && hasVpn < vpn + pages);
  const merger = h.range
    ? new RangeMerger(opts.splitPa === true, walk.breakVpn, (r) => {
        if (!holds(r.vpn, r.pages)) return;
        found = hasVpn !== undefined;
        stats.ranges++;
        h.range!(r, walk);
      })
    : undefined;
  const max = opts.maxLeaves ?? Infinity;
  const plain = test === undefined && hasVpn === undefined && max === Infinity;
  const onLeaf = h.leaf;
  // Nothing to test per leaf: the shortest path, which a whole walk takes for every leaf.
  const leaf = !plain
    ? undefined
    : onLeaf === undefined
      ? (l: LeafRecord): boolean => {
          stats.leaves++;
          merger?.push(l);
          return true;
        }
      : (l: LeafRecord): boolean => {
          stats.leaves++;
          if (onLeaf(l, walk) === false) return false;
          merger?.push(l);
          return true;
        };
  await walk.all({
    leaf: leaf ?? ((l) => {
      if (test !== undefined && !test(l)) return true;
      if (stats.leaves >= max) {
        stats.truncatedAt = walk.canonicalVa(l.vpn);
        return false;
      }
      if (holds(l.vpn, l.pages)) {
        stats.leaves++;
        if (h.leaf?.(l, walk) === false) return false;
      }
      merger?.push(l);
      // With --has, the walk is done once the range holding the VA has closed.
      return !(found || (hasVpn !== undefined && merger === undefined && l.vpn + l.pages > hasVpn));
    }),
    note: (n) => {
      if (q.has !== undefined) {
        const span = noteSpan(n);
        if (span === undefined || q.has < span[0] || q.has >= span[1]) return;
      }
      h.note?.(n);
    },
  }, opts.between);
  merger?.finish();
  stats.tablesRead = walk.tablesRead;
  stats.bytesRead = walk.bytesRead;
  stats.rewalkedEntries = walk.rewalkedEntries;
  stats.sharedNotWalked = walk.sharedNotWalked;
  return stats;
}
