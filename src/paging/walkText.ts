import type { PhysMem } from '../memory/physMem';
import { hex } from '../util/numbers';
import { walkNoteLine } from './format';
import type { PagingSpec } from './spec';
import type { WalkNote } from './tableWalk';
import { noteLines, RangeLines } from './walkFold';
import { WalkFormat } from './walkFormat';
import { runWalk, type WalkRunOptions, type WalkStats } from './walkRun';

/** Where walk text goes, line by line (the CLI's stdout, the Debug Console's reply). */
export interface LineSink {
  line(text: string): void;
}

export interface TextStats extends WalkStats {
  /** Ranges printed inside repeat lines rather than on lines of their own. */
  folded: number;
}

/**
 * The body of `walk`'s text as the walk goes: the column heads and one line per range (or per
 * page with `leaves`), then the notes (self-maps, shared tables, faults, unreadable tables). In
 * the default layout, runs of like ranges and of shared tables fold into one line each.
 */
export async function walkTextBody(spec: PagingSpec, mem: PhysMem, run: WalkRunOptions, leaves: boolean, out: LineSink): Promise<TextStats> {
  const fmt = new WalkFormat(spec.mode);
  const splitPa = run.splitPa === true;
  const notes: WalkNote[] = [];
  if (!leaves) out.line(fmt.rangeHeader(splitPa));
  const line = (t: string): void => out.line(t);
  const ranges = leaves || splitPa ? undefined : new RangeLines(fmt, line);
  const stats = await runWalk(spec, mem, run, {
    leaf: leaves ? (l) => out.line(fmt.leafLine(l, splitPa)) : undefined,
    range: leaves ? () => undefined : ranges ? (r) => ranges.push(r) : (r) => out.line(fmt.rangeLine(r, true)),
    note: (n) => notes.push(n),
  });
  ranges?.flush();
  if (splitPa) {
    for (const n of notes) {
      const text = walkNoteLine(n, spec.mode);
      if (text) out.line(text);
    }
  } else noteLines(notes, spec.mode, line);
  return { ...stats, folded: ranges?.folded ?? 0 };
}

/** "long4, root 0x100000: 36 pages in 8 ranges". */
export function walkSummary(spec: PagingSpec, stats: WalkStats & { folded?: number }): string {
  const folded = stats.folded ? ` (${stats.folded} of them in repeat lines)` : '';
  const unwalked = stats.sharedNotWalked ? `; ${stats.sharedNotWalked} shared subtrees not walked again, their pages not counted (the 'shared … not walked again' lines; --expand-shared walks them all)` : '';
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  return `${spec.mode}, root ${hex(spec.root)}: ${count(stats.leaves, 'page')} in ${count(stats.ranges, 'range')}${folded}${unwalked}`;
}
