import { hex } from '../util/numbers';
import { NOT_WALKED, walkNoteLine, vaDigits } from './format';
import type { PagingMode } from './modes';
import { type RangeRecord, rangeRecord } from './rangeMerge';
import type { WalkNote } from './tableWalk';
import type { SharedTableEvent } from './walkEvents';
import type { WalkFormat } from './walkFormat';

/**
 * Text for people: a run of like lines at a constant VA stride is one line that says how many and
 * how far apart (Linux's espfix maps one page 65,536 times, 64 KiB apart; a PV kernel's image
 * shares each page table with the direct map). Nothing is dropped: the first of the run is shown
 * whole, with the count, the stride, the last VA and how the PA moves. JSON is never folded.
 */

/** Runs shorter than this are printed line by line. */
const MIN_RUN = 3;

interface Run<T> {
  /** The first items (copies), up to MIN_RUN: printed one by one if the run stays short. */
  items: T[];
  /** Differences from one item to the next (VA stride, PA step, third coordinate), set by the second item. */
  steps: [number, number, number] | undefined;
  count: number;
  /** The last item's coordinates. */
  last: [number, number, number];
}

/** Three coordinates of an item: the first (its VA) must grow; all must move by constant steps. */
export type Coords<T> = (t: T, i: 0 | 1 | 2) => number;

/**
 * Folds runs of items that `alike` says are alike and whose coordinates move by constant steps.
 * Items handed in may be reused by their maker: `keep` copies the few the folder holds on to
 * (the first ones of a run), so that a run of 65,536 costs three copies.
 */
export class Folder<T> {
  private run: Run<T> | undefined;

  constructor(
    private readonly alike: (a: T, b: T) => boolean,
    private readonly coord: Coords<T>,
    /** Prints a run: its first item, how many, the steps and the last item's first coordinate. */
    private readonly print: (first: T, count: number, steps: [number, number, number] | undefined, lastCoord: number) => void,
    private readonly keep: (t: T) => T = (t) => t,
  ) {}

  push(t: T): void {
    const r = this.run;
    const c = this.coord;
    if (r !== undefined && this.alike(t, r.items[0])) {
      const s0 = c(t, 0) - r.last[0];
      const s1 = c(t, 1) - r.last[1];
      const s2 = c(t, 2) - r.last[2];
      if (s0 > 0 && (r.steps === undefined || (r.steps[0] === s0 && r.steps[1] === s1 && r.steps[2] === s2))) {
        r.steps ??= [s0, s1, s2];
        r.count++;
        r.last[0] += s0;
        r.last[1] += s1;
        r.last[2] += s2;
        if (r.items.length < MIN_RUN) r.items.push(this.keep(t));
        return;
      }
    }
    this.flush();
    this.run = { items: [this.keep(t)], steps: undefined, count: 1, last: [c(t, 0), c(t, 1), c(t, 2)] };
  }

  flush(): void {
    const r = this.run;
    this.run = undefined;
    if (r === undefined) return;
    if (r.count < MIN_RUN) for (const t of r.items) this.print(t, 1, undefined, this.coord(t, 0));
    else this.print(r.items[0], r.count, r.steps, r.last[0]);
  }
}

/** Ranges as text lines, runs folded. `folded` counts the ranges that went into repeat lines. */
export class RangeLines {
  folded = 0;
  private readonly folder: Folder<RangeRecord>;

  constructor(fmt: WalkFormat, line: (text: string) => void) {
    this.folder = new Folder<RangeRecord>(
      (a, b) => a.pages === b.pages && a.attrs === b.attrs && a.leaves1 === b.leaves1 && a.leaves2 === b.leaves2 && a.leaves3 === b.leaves3 && a.paRuns === b.paRuns,
      (r, i) => (i === 0 ? r.vpn : i === 1 ? r.pfn : 0),
      (first, count, steps, last) => {
        const text = fmt.rangeLine(first, false);
        if (count === 1) return line(text);
        this.folded += count - 1;
        const pa = steps![1] === 0 ? 'same PA' : `PA ${steps![1] > 0 ? '+' : '-'}${hex(BigInt(Math.abs(steps![1])) << 12n)} each`;
        line(`${text}; x${count} every ${hex(BigInt(steps![0]) << 12n)} to ${fmt.va(last, 0, fmt.vaDigits)} (${pa})`);
      },
      rangeRecord,
    );
  }

  push(r: RangeRecord): void {
    this.folder.push(r);
  }

  flush(): void {
    this.folder.flush();
  }
}

/** The notes as text lines, runs of shared tables folded. */
export function noteLines(notes: readonly WalkNote[], mode: PagingMode, line: (text: string) => void): void {
  const d = vaDigits(mode);
  const shared = new Folder<SharedTableEvent>(
    (a, b) => a.level === b.level && (a.notWalked === undefined) === (b.notWalked === undefined),
    (s, i) => Number((i === 0 ? s.va : i === 1 ? s.tablePa : s.firstVa) >> 12n),
    (first, count, steps, last) => {
      if (count === 1) return line(walkNoteLine(first, mode)!);
      const [, tableStep, firstStep] = steps!;
      const tables = tableStep === 0 ? `table ${hex(first.tablePa)}` : `tables ${hex(first.tablePa)}.. (${tableStep > 0 ? '+' : '-'}${hex(BigInt(Math.abs(tableStep)) << 12n)} each)`;
      const from = firstStep === 0 ? hex(first.firstVa, d) : `${hex(first.firstVa, d)}.. (${firstStep > 0 ? '+' : '-'}${hex(BigInt(Math.abs(firstStep)) << 12n)} each)`;
      const skipped = first.notWalked !== undefined ? `; ${NOT_WALKED}` : '';
      line(`shared    ${hex(first.va, d)}; x${count} every ${hex(BigInt(steps![0]) << 12n)} to ${hex(BigInt(last) << 12n, d)}  level-${first.level} ${tables} also reached from ${from}${skipped}`);
    },
  );
  for (const n of notes) {
    if (n.kind === 'shared') {
      shared.push(n);
      continue;
    }
    shared.flush();
    const text = walkNoteLine(n, mode);
    if (text) line(text);
  }
  shared.flush();
}
