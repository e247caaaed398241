import type { PhysMem } from '../memory/physMem';
import { HyperFrameError } from '../util/errors';
import { ATTR_TYPE_SHIFT } from './entryRules';
import type { PagingSpec } from './spec';
import type { TableWalk } from './tableWalk';
import { runWalk } from './walkRun';
import type { WalkQuery } from './walkQuery';

/**
 * Bytes inside what an address space maps: the leaves a walk keeps (its filters and VA window),
 * each page read once (an alias of a page already searched, Linux's espfix maps one page 65,536
 * times, costs no read), matches found across page boundaries too when the pages are contiguous
 * in VA. Pages mapped uncached (device memory, where a read may do something), and pages that hold
 * no RAM where the source knows it (MMIO, holes), are skipped unless asked for.
 */
export interface SearchHit {
  va: bigint;
  pa: bigint;
}

export interface SearchStats {
  hits: number;
  /** Pages searched, and how many of them were aliases of a page already read. */
  pages: number;
  aliases: number;
  bytesRead: number;
  /** Pages skipped because they are mapped uncached (UC, UC-), or hold no RAM (MMIO, holes) where the source knows. */
  uncachedSkipped: number;
  /** Pages the source could not give (outside a dump), wholly or from some point on (the rest of a large page). */
  unreadable: number;
  /** Bytes of large pages not read because they hold no RAM (a 1 GiB page over a hole). */
  nonRamBytes: number;
  /** True when `limit` stopped the search. */
  truncated: boolean;
}

export interface SearchOptions {
  query: WalkQuery;
  pat?: bigint;
  /** Stop after this many hits. */
  limit: number;
  /** Search UC/UC- pages too (otherwise only when the filter names uc). */
  uncached?: boolean;
}

/** A leaf kept for reading: page numbers, as the walk gives them. */
interface Page {
  vpn: number;
  pfn: number;
  pages: number;
}

/** What a page holds of the pattern: match offsets, and its first and last bytes for matches that cross into a neighbour. */
interface PageResult {
  hits: number[];
  head: Uint8Array;
  tail: Uint8Array;
}

/** Leaf results kept for aliases; the oldest go first. */
const KEPT_RESULTS = 4096;
/** Bytes read per request (large pages are read in pieces). */
const PIECE_BYTES = 1 << 16;
/** Bytes of pages read concurrently before they are searched (the limit is checked between groups). */
const READ_AHEAD_BYTES = 1 << 20;

const UC = 0;
const UC_MINUS = 7;

/** Every offset of `needle` in `hay` from `from`, stopping after `max`. */
function offsets(hay: Uint8Array, needle: Uint8Array, max: number): number[] {
  const buf = Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength);
  const out: number[] = [];
  for (let i = buf.indexOf(needle); i >= 0 && out.length < max; i = buf.indexOf(needle, i + 1)) out.push(i);
  return out;
}

export async function searchMemory(spec: PagingSpec, mem: PhysMem, needle: Uint8Array, opts: SearchOptions, hit: (h: SearchHit) => void): Promise<SearchStats> {
  if (needle.length === 0) throw new HyperFrameError('BAD_ARGUMENT', 'search: the pattern is empty');
  if (needle.length > 4096) throw new HyperFrameError('BAD_ARGUMENT', `search: the pattern is ${needle.length} bytes; at most 4096`);
  const stats: SearchStats = { hits: 0, pages: 0, aliases: 0, bytesRead: 0, uncachedSkipped: 0, unreadable: 0, nonRamBytes: 0, truncated: false };
  const uncached = opts.uncached === true || (opts.query.filter ?? []).includes('uc');
  // Results by page (frame and size), promises so that aliases read together share one read.
  const kept = new Map<string, Promise<PageResult | undefined>>();
  const edge = needle.length - 1;
  let pending: Page[] = [];
  let walk: TableWalk | undefined;
  let prev: { page: Page; tail: Uint8Array } | undefined;

  const readPage = (p: Page): Promise<PageResult | undefined> => {
    const key = `${p.pfn}:${p.pages}`;
    const known = kept.get(key);
    if (known) {
      stats.aliases++;
      return known;
    }
    const result = searchPage(p);
    kept.set(key, result);
    if (kept.size > KEPT_RESULTS) kept.delete(kept.keys().next().value as string);
    return result;
  };

  const searchPage = async (p: Page): Promise<PageResult | undefined> => {
    const bytes = p.pages * 4096;
    const hits: number[] = [];
    let head = new Uint8Array(0);
    let carry = new Uint8Array(0);
    for (let at = 0; at < bytes; at += PIECE_BYTES) {
      const n = Math.min(PIECE_BYTES, bytes - at);
      const pa = BigInt(p.pfn) * 4096n + BigInt(at);
      if (!uncached && mem.isRam?.(pa, n) === false) {
        stats.nonRamBytes += n;
        carry = new Uint8Array(0);
        continue;
      }
      const piece = await mem.read(pa, n).catch(() => undefined);
      if (piece === undefined) {
        // What was read still counts (a large page that runs past the end of a dump).
        stats.unreadable++;
        return at === 0 ? undefined : { hits, head, tail: new Uint8Array(0) };
      }
      stats.bytesRead += n;
      if (at === 0) head = piece.slice(0, edge);
      // Matches inside the page that cross from the previous piece into this one.
      const joined = new Uint8Array(carry.length + piece.length);
      joined.set(carry);
      joined.set(piece, carry.length);
      for (const o of offsets(joined, needle, opts.limit)) hits.push(at - carry.length + o);
      carry = piece.slice(Math.max(0, piece.length - edge));
    }
    return { hits, head, tail: carry };
  };

  const report = (vpn: number, offset: number, pfn: number): boolean => {
    hit({ va: walk!.canonicalVa(vpn) + BigInt(offset), pa: BigInt(pfn) * 4096n + BigInt(offset) });
    return ++stats.hits < opts.limit;
  };

  /** Searches the pages gathered so far, in VA order. False once the limit is reached. */
  const drain = async (): Promise<boolean> => {
    const batch = pending;
    pending = [];
    for (let i = 0; i < batch.length; ) {
      const group: Page[] = [];
      for (let bytes = 0; i < batch.length && (group.length === 0 || bytes + batch[i].pages * 4096 <= READ_AHEAD_BYTES); i++) {
        group.push(batch[i]);
        bytes += batch[i].pages * 4096;
      }
      const results = await Promise.all(group.map(readPage));
      for (const [k, p] of group.entries()) {
        const r = results[k];
        if (r === undefined) {
          prev = undefined;
          continue;
        }
        stats.pages++;
        // A match that starts in the previous page and ends in this one (contiguous in VA).
        if (prev !== undefined && edge > 0 && prev.page.vpn + prev.page.pages === p.vpn) {
          const seam = new Uint8Array(prev.tail.length + r.head.length);
          seam.set(prev.tail);
          seam.set(r.head, prev.tail.length);
          for (const o of offsets(seam, needle, opts.limit)) {
            if (o >= prev.tail.length) continue; // wholly inside this page: found below
            const back = prev.tail.length - o;
            if (!report(prev.page.vpn + prev.page.pages - 1, 4096 - back, prev.page.pfn + prev.page.pages - 1)) return false;
          }
        }
        for (const o of r.hits) {
          const inPage = Math.floor(o / 4096);
          if (!report(p.vpn + inPage, o % 4096, p.pfn + inPage)) return false;
        }
        prev = { page: p, tail: r.tail };
      }
    }
    return true;
  };

  let stopped = false;
  await runWalk(
    spec,
    mem,
    {
      query: opts.query,
      pat: opts.pat,
      between: async () => {
        if (!stopped && !(await drain())) stopped = true;
      },
    },
    {
      leaf: (l, w) => {
        walk = w;
        if (stopped) return false;
        const type = (l.attrs >>> ATTR_TYPE_SHIFT) & 7;
        const device = type === UC || type === UC_MINUS || mem.isRam?.(BigInt(l.pfn) * 4096n, l.pages * 4096) === false;
        if (!uncached && device) {
          stats.uncachedSkipped++;
          return;
        }
        pending.push({ vpn: l.vpn, pfn: l.pfn, pages: l.pages });
      },
    },
  );
  if (!stopped && !(await drain())) stopped = true;
  stats.truncated = stopped;
  return stats;
}
