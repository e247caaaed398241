import type { PhysMem } from '../memory/physMem';
import { leafLine, rangeHeader, rangeLine, walkNoteLine } from './format';
import { type LeafEvent, mappings, type MappedRange, mergeRanges, type WalkEvent, type WalkOptions } from './mappings';
import type { PagingMode } from './modes';
import type { PagingSpec } from './spec';

/**
 * One walk of an address space, collected: what `walk` prints and `--json` / `hyperframe/mappings`
 * return, whichever front end asked.
 */
export interface WalkReport {
  /** Every event in VA order: leaves, self-maps, shared tables, faults, unreadable tables. */
  events: WalkEvent[];
  leaves: LeafEvent[];
  ranges: MappedRange[];
  /** Set when `maxLeaves` stopped the walk: the VA of the first leaf left out, where to go on. */
  truncatedAt?: bigint;
}

export interface WalkReportOptions extends WalkOptions {
  /** Stop after this many leaves. */
  maxLeaves?: number;
}

/** Walks `spec` (the caller batches the physical reads) and merges its leaves into ranges. */
export async function collectWalk(spec: PagingSpec, mem: PhysMem, opts: WalkReportOptions = {}): Promise<WalkReport> {
  const events: WalkEvent[] = [];
  const leaves: LeafEvent[] = [];
  let truncatedAt: bigint | undefined;
  for await (const e of mappings(spec, mem, { from: opts.from, to: opts.to })) {
    if (e.kind === 'leaf') {
      if (opts.maxLeaves !== undefined && leaves.length >= opts.maxLeaves) {
        truncatedAt = e.va;
        break;
      }
      leaves.push(e);
    }
    events.push(e);
  }
  const ranges: MappedRange[] = [];
  for await (const r of mergeRanges(events)) ranges.push(r);
  return { events, leaves, ranges, ...(truncatedAt !== undefined ? { truncatedAt } : {}) };
}

/** The text of a walk below its heading: merged ranges (or one line per page), then the notes. */
export function walkLines(report: WalkReport, mode: PagingMode, perPage: boolean): string[] {
  const out = perPage ? report.leaves.map((l) => leafLine(l, mode)) : [rangeHeader(mode), ...report.ranges.map((r) => rangeLine(r, mode))];
  for (const e of report.events) {
    const line = walkNoteLine(e, mode);
    if (line) out.push(line);
  }
  return out;
}
