import { ATTR_FLAGS } from './entryRules';
import type { LeafRecord } from './tableWalk';

/**
 * A run of leaves merged into one range, in page numbers (see LeafRecord). By default leaves
 * merge when they are contiguous in VA with the same rights, G and memory type, as QEMU's
 * `info mem` merges; `splitPa` also requires contiguous PA and one page size (the rule of old).
 * A range whose PA is not one run says so in `paRuns`.
 */
export interface RangeRecord {
  /** First page (VA >> 12, as the walk indexes tables). */
  vpn: number;
  /** Size in 4 KiB pages. */
  pages: number;
  /** Frame of the first page. */
  pfn: number;
  attrs: number;
  /** Size of the first page, in 4 KiB pages. */
  firstPages: number;
  /** Leaves merged, and how many of them are 4 KiB, 2/4 MiB and 1 GiB pages (levels 1, 2, 3). */
  leaves: number;
  leaves1: number;
  leaves2: number;
  leaves3: number;
  /** Runs of contiguous PA (1 when the whole range is contiguous in PA). */
  paRuns: number;
  /** Frame right after the last page: where a PA-contiguous next page would start. */
  nextPfn: number;
}

/** A fresh record, or `r` copied. */
export function rangeRecord(r?: RangeRecord): RangeRecord {
  return r
    ? { ...r }
    : { vpn: 0, pages: 0, pfn: 0, attrs: 0, firstPages: 0, leaves: 0, leaves1: 0, leaves2: 0, leaves3: 0, paRuns: 0, nextPfn: 0 };
}

/**
 * Merges leaves, in VA order, into ranges. A range is handed to `emit` when the next leaf does not
 * join it; the record is reused afterwards (a walk may close tens of thousands of ranges): copy
 * what you keep (`rangeRecord(r)`).
 */
export class RangeMerger {
  private open = false;
  private readonly cur = rangeRecord();

  /**
   * `breakVpn`: a page number no range may run into (the first page of the upper canonical half:
   * ranges never cross the non-canonical hole); -1 when the mode has none.
   */
  constructor(
    private readonly splitPa: boolean,
    private readonly breakVpn: number,
    private readonly emit: (r: RangeRecord) => void,
  ) {}

  push(l: LeafRecord): void {
    const c = this.cur;
    if (this.open && l.vpn === c.vpn + c.pages && l.vpn !== this.breakVpn) {
      const joins = this.splitPa
        ? l.pfn === c.nextPfn && l.pages === c.firstPages && (l.attrs & ATTR_FLAGS) === (c.attrs & ATTR_FLAGS)
        : l.attrs === c.attrs;
      if (joins) {
        if (l.pfn !== c.nextPfn) c.paRuns++;
        c.pages += l.pages;
        c.nextPfn = l.pfn + l.pages;
        c.leaves++;
        if (l.level === 1) c.leaves1++;
        else if (l.level === 2) c.leaves2++;
        else c.leaves3++;
        return;
      }
    }
    if (this.open) this.emit(c);
    this.open = true;
    c.vpn = l.vpn;
    c.pages = l.pages;
    c.pfn = l.pfn;
    c.attrs = l.attrs;
    c.firstPages = l.pages;
    c.leaves = 1;
    c.leaves1 = l.level === 1 ? 1 : 0;
    c.leaves2 = l.level === 2 ? 1 : 0;
    c.leaves3 = l.level >= 3 ? 1 : 0;
    c.paRuns = 1;
    c.nextPfn = l.pfn + l.pages;
  }

  /** Emits the range still open. */
  finish(): void {
    if (this.open) this.emit(this.cur);
    this.open = false;
  }
}
