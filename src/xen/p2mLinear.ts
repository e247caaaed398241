import { HyperFrameError } from '../util/errors';
import { decodeP2mValue, frameBits, identityFrame, type P2mValue } from './frameBits';
import { type P2mRange, RangeMerger } from './p2mRanges';
import { type BitsPerLong, checkBits, longBytes, longsOf, type MemReader, PAGE_SIZE, readOrExplain } from './reader';

/**
 * Linux's PV P2M since 3.19 (arch/x86/xen/p2m.c): one virtually contiguous array of longs at
 * `xen_p2m_addr`, `xen_p2m_size` entries long. Holes are not absent: their page-table entries map
 * the shared read-only pages p2m_missing or p2m_identity, both full of INVALID_P2M_ENTRY, and
 * get_phys_to_machine() tells them apart by the frame the PTE points at (pte_pfn(*ptep) ==
 * PFN_DOWN(__pa(p2m_identity)) → IDENTITY_FRAME(pfn)). Pfns at or past xen_p2m_size are
 * IDENTITY_FRAME(pfn), except those in the kernel's xen_extra_mem regions (missing, for the balloon).
 */
export interface P2mLinearOptions {
  bitsPerLong: BitsPerLong;
  /** Value of `xen_p2m_addr`. */
  p2mAddr: bigint;
  /** Value of `xen_p2m_size` (entries). */
  p2mSize: bigint;
  /**
   * The frame backing a VA of the array (e.g. from a page walk of the kernel's tables): lets the
   * reader recognise pages mapped to p2m_identity / p2m_missing and skip reading them. Without it,
   * identity pages read as missing (their contents are INVALID_P2M_ENTRY).
   */
  frameOf?: (va: bigint) => Promise<bigint | undefined>;
  /** Frame numbers (PFN_DOWN(__pa(...)), as frameOf returns them) of p2m_identity and p2m_missing. */
  identityFrame?: bigint;
  missingFrame?: bigint;
  /** xen_extra_mem regions, [start, end) pfns: beyond xen_p2m_size these are missing, not identity. */
  extraMem?: ReadonlyArray<readonly [bigint, bigint]>;
}

export type P2mLinearVia = 'array' | 'identity-page' | 'missing-page' | 'beyond-array';

export interface P2mLinearLookup extends P2mValue {
  pfn: bigint;
  via: P2mLinearVia;
  entryVa?: bigint;
}

export class P2mLinear {
  pagesRead = 0;
  private readonly entryBytes: 4 | 8;
  private readonly perPage: bigint;

  constructor(
    private readonly mem: MemReader,
    readonly opts: P2mLinearOptions,
  ) {
    checkBits(opts.bitsPerLong);
    this.entryBytes = longBytes(opts.bitsPerLong);
    this.perPage = BigInt(PAGE_SIZE / this.entryBytes);
    if (opts.p2mAddr % BigInt(PAGE_SIZE) !== 0n) throw new HyperFrameError('BAD_ARGUMENT', `xen_p2m_addr 0x${opts.p2mAddr.toString(16)} is not page-aligned`);
  }

  entryVa(pfn: bigint): bigint {
    return this.opts.p2mAddr + pfn * BigInt(this.entryBytes);
  }

  async pfnToMfn(pfn: bigint): Promise<P2mLinearLookup> {
    if (pfn < 0n) throw new HyperFrameError('BAD_ARGUMENT', `pfn ${pfn} is negative`);
    if (pfn >= this.opts.p2mSize) return { pfn, ...this.beyond(pfn), via: 'beyond-array' };
    const entryVa = this.entryVa(pfn);
    const raw = longsOf(await readOrExplain(this.mem, entryVa, this.entryBytes, `xen_p2m_addr[0x${pfn.toString(16)}]`), this.opts.bitsPerLong)[0];
    const v = decodeP2mValue(raw, this.opts.bitsPerLong);
    if (v.kind === 'missing') {
      const shared = await this.sharedPage(entryVa);
      if (shared === 'identity-page') return { pfn, ...this.identity(pfn), via: shared, entryVa };
      if (shared) return { pfn, ...v, via: shared, entryVa };
    }
    return { pfn, ...v, via: 'array', entryVa };
  }

  /** Runs of [startPfn, endPfn) (default: the array), reading each page of the array at most once. */
  async *ranges(startPfn = 0n, endPfn = this.opts.p2mSize): AsyncGenerator<P2mRange> {
    const merger = new RangeMerger();
    let pfn = startPfn < 0n ? 0n : startPfn;
    const arrayEnd = endPfn < this.opts.p2mSize ? endPfn : this.opts.p2mSize;
    while (pfn < arrayEnd) {
      const pageEnd = (pfn / this.perPage + 1n) * this.perPage;
      const stop = pageEnd < arrayEnd ? pageEnd : arrayEnd;
      const pageVa = this.entryVa(pfn - (pfn % this.perPage));
      const shared = await this.sharedPage(pageVa);
      if (shared) {
        const done = merger.add(pfn, stop - pfn, shared === 'identity-page' ? this.identity(pfn) : this.missingValue());
        if (done) yield done;
        pfn = stop;
        continue;
      }
      this.pagesRead++;
      const values = longsOf(await readOrExplain(this.mem, pageVa, PAGE_SIZE, `xen_p2m_addr page of pfn 0x${pfn.toString(16)}`), this.opts.bitsPerLong);
      for (; pfn < stop; pfn++) {
        const done = merger.add(pfn, 1n, decodeP2mValue(values[Number(pfn % this.perPage)], this.opts.bitsPerLong));
        if (done) yield done;
      }
    }
    // Past the array: identity, with the extra-memory regions missing.
    while (pfn < endPfn) {
      const v = this.beyond(pfn);
      let stop = endPfn;
      for (const [s, e] of this.opts.extraMem ?? []) {
        if (pfn >= s && pfn < e) stop = e < stop ? e : stop;
        else if (s > pfn && s < stop) stop = s;
      }
      const done = merger.add(pfn, stop - pfn, v);
      if (done) yield done;
      pfn = stop;
    }
    const last = merger.finish();
    if (last) yield last;
  }

  private async sharedPage(va: bigint): Promise<'identity-page' | 'missing-page' | undefined> {
    const { frameOf, identityFrame: idf, missingFrame: mf } = this.opts;
    if (!frameOf || (idf === undefined && mf === undefined)) return undefined;
    const frame = await frameOf(va - (va % BigInt(PAGE_SIZE)));
    if (frame === undefined) return undefined;
    if (frame === idf) return 'identity-page';
    if (frame === mf) return 'missing-page';
    return undefined;
  }

  private beyond(pfn: bigint): P2mValue {
    const inExtra = (this.opts.extraMem ?? []).some(([s, e]) => pfn >= s && pfn < e);
    return inExtra ? this.missingValue() : this.identity(pfn);
  }

  private identity(pfn: bigint): P2mValue {
    return decodeP2mValue(identityFrame(pfn, this.opts.bitsPerLong), this.opts.bitsPerLong);
  }

  private missingValue(): P2mValue {
    return { kind: 'missing', raw: frameBits(this.opts.bitsPerLong).invalid };
  }
}
