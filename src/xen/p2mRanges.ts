import type { P2mKind, P2mValue } from './frameBits';

/** A run of pfns with one meaning: missing, identity, or consecutive (foreign) machine frames. */
export interface P2mRange {
  pfnStart: bigint;
  /** Exclusive. */
  pfnEnd: bigint;
  kind: P2mKind;
  /** Machine frame of `pfnStart` (absent for 'missing'); the run's frames follow on. */
  mfnStart?: bigint;
}

/** Accumulates pfn → value pieces into maximal runs. */
export class RangeMerger {
  private cur: P2mRange | undefined;

  /**
   * Adds `count` pfns from `pfn`: each with value `v` when `v.kind` is 'missing' or the frames run
   * on (identity blocks: mfn = pfn), else one pfn. Returns the run this closes, if any.
   */
  add(pfn: bigint, count: bigint, v: P2mValue): P2mRange | undefined {
    const next: P2mRange = { pfnStart: pfn, pfnEnd: pfn + count, kind: v.kind, mfnStart: v.mfn };
    const cur = this.cur;
    if (cur && cur.kind === next.kind && cur.pfnEnd === next.pfnStart && (cur.kind === 'missing' || cur.mfnStart! + (cur.pfnEnd - cur.pfnStart) === next.mfnStart)) {
      cur.pfnEnd = next.pfnEnd;
      return undefined;
    }
    this.cur = next;
    return cur;
  }

  finish(): P2mRange | undefined {
    const cur = this.cur;
    this.cur = undefined;
    return cur;
  }
}
