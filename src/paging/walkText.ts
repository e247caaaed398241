import type { PhysMem } from '../memory/physMem';
import { hex } from '../util/numbers';
import { walkNoteLine } from './format';
import type { PagingSpec } from './spec';
import type { WalkNote } from './tableWalk';
import { WalkFormat } from './walkFormat';
import { runWalk, type WalkRunOptions, type WalkStats } from './walkRun';

/** Where walk text goes, line by line (the CLI's stdout, the Debug Console's reply). */
export interface LineSink {
  line(text: string): void;
}

/**
 * The body of `walk`'s text as the walk goes: the column heads and one line per range (or per
 * page with `leaves`), then the notes (self-maps, shared tables, faults, unreadable tables).
 */
export async function walkTextBody(spec: PagingSpec, mem: PhysMem, run: WalkRunOptions, leaves: boolean, out: LineSink): Promise<WalkStats> {
  const fmt = new WalkFormat(spec.mode);
  const splitPa = run.splitPa === true;
  const notes: WalkNote[] = [];
  if (!leaves) out.line(fmt.rangeHeader(splitPa));
  const stats = await runWalk(spec, mem, run, {
    leaf: leaves ? (l) => out.line(fmt.leafLine(l, splitPa)) : undefined,
    range: leaves ? () => undefined : (r) => out.line(fmt.rangeLine(r, splitPa)),
    note: (n) => notes.push(n),
  });
  for (const n of notes) {
    const line = walkNoteLine(n, spec.mode);
    if (line) out.line(line);
  }
  return stats;
}

/** "long4, root 0x100000: 36 pages in 8 ranges". */
export function walkSummary(spec: PagingSpec, stats: WalkStats): string {
  return `${spec.mode}, root ${hex(spec.root)}: ${stats.leaves} pages in ${stats.ranges} ranges`;
}
