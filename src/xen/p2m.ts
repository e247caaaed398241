import { HyperFrameError } from '../util/errors';
import { decodeP2mValue, frameBits, identityFrame, type P2mValue } from './frameBits';
import { type P2mRange, RangeMerger } from './p2mRanges';
import { type BitsPerLong, checkBits, longBytes, longsOf, type MemReader, PAGE_SIZE, readOrExplain } from './reader';

export type { P2mRange } from './p2mRanges';

/**
 * Linux's PV P2M as a three-level tree (arch/x86/xen/p2m.c before Linux 3.19 switched to a
 * virtually mapped list, see p2mLinear.ts):
 * p2m_top[P2M_TOP_PER_PAGE] → p2m_mid[P2M_MID_PER_PAGE] → leaf pages of P2M_PER_PAGE = PAGE_SIZE /
 * sizeof(unsigned long) values; top index = pfn / (MID_PER_PAGE * PER_PAGE), mid index = (pfn /
 * PER_PAGE) % MID_PER_PAGE, leaf index = pfn % PER_PAGE. Holes point at shared pages: top entries at
 * p2m_mid_missing (whose entries all point at p2m_missing), mid entries at p2m_missing (all
 * INVALID_P2M_ENTRY) or p2m_identity (also all INVALID_P2M_ENTRY: get_phys_to_machine() recognises
 * the page by its address and returns IDENTITY_FRAME(pfn)). Pfns past P2M_TOP_PER_PAGE *
 * P2M_MID_PER_PAGE * P2M_PER_PAGE are INVALID_P2M_ENTRY.
 */
export interface P2mTreeOptions {
  bitsPerLong: BitsPerLong;
  /** Value of `p2m_top`: VA of the top page. */
  top: bigint;
  /** Values of the shared placeholder pages (from the kernel's symbols, or read from memory). */
  midMissing: bigint;
  missing: bigint;
  identity: bigint;
  /**
   * Optional: a shared mid page standing for a whole identity top entry (all its entries
   * p2m_identity), for a kernel that keeps one. That patch's kernel has none.
   */
  midIdentity?: bigint;
}

/** How a lookup ended. */
export type P2mVia =
  | 'leaf' // the value stored in a leaf page
  | 'identity-page' // the mid entry points at p2m_identity
  | 'missing-page' // the mid entry points at p2m_missing
  | 'mid-identity' // the top entry points at the optional shared identity mid page
  | 'mid-missing' // the top entry points at p2m_mid_missing
  | 'null' // a NULL (or ~0) pointer where a page should be: treated as missing
  | 'beyond-tree'; // pfn past what the tree can hold

export interface P2mLookup extends P2mValue {
  pfn: bigint;
  via: P2mVia;
  topIndex: number;
  midIndex: number;
  index: number;
  /** VA of the mid page, of the leaf page and of the entry, as far as the walk went. */
  midPage?: bigint;
  leafPage?: bigint;
  entryVa?: bigint;
}

export interface TreeGeometry {
  perPage: bigint; // P2M_PER_PAGE
  midPerPage: bigint; // P2M_MID_PER_PAGE
  topPerPage: bigint; // P2M_TOP_PER_PAGE
  maxPfn: bigint; // MAX_P2M_PFN
}

/** The tree's fan-out: 512 per level for 64-bit kernels, 1024 for 32-bit (arch/x86/xen/p2m.c). */
export function treeGeometry(bitsPerLong: BitsPerLong): TreeGeometry {
  const per = BigInt(PAGE_SIZE / longBytes(bitsPerLong)); // PAGE_SIZE / sizeof(unsigned long), p2m.c
  return { perPage: per, midPerPage: per, topPerPage: per, maxPfn: per * per * per };
}

export class P2mTree {
  readonly geometry: TreeGeometry;
  /** Pages read from memory so far (top and mid pages are kept; leaves are not). */
  pagesRead = 0;
  private readonly pages = new Map<bigint, Promise<bigint[]>>();
  private readonly invalid: bigint;

  constructor(
    private readonly mem: MemReader,
    readonly opts: P2mTreeOptions,
  ) {
    checkBits(opts.bitsPerLong);
    this.geometry = treeGeometry(opts.bitsPerLong);
    this.invalid = frameBits(opts.bitsPerLong).invalid;
  }

  async pfnToMfn(pfn: bigint): Promise<P2mLookup> {
    const g = this.geometry;
    if (pfn < 0n) throw new HyperFrameError('BAD_ARGUMENT', `pfn ${pfn} is negative`);
    const topIndex = Number(pfn / (g.midPerPage * g.perPage));
    const midIndex = Number((pfn / g.perPage) % g.midPerPage);
    const index = Number(pfn % g.perPage);
    const base = { pfn, topIndex, midIndex, index };
    if (pfn >= g.maxPfn) return { ...base, ...this.missing(), via: 'beyond-tree' };
    const mid = (await this.page(this.opts.top, 'p2m_top'))[topIndex];
    const midSpecial = this.classifyTop(mid);
    if (midSpecial) return { ...base, ...this.special(midSpecial, pfn), via: midSpecial };
    const leaf = (await this.page(mid, `p2m_top[${topIndex}]`))[midIndex];
    const leafSpecial = this.classifyMid(leaf);
    if (leafSpecial) return { ...base, ...this.special(leafSpecial, pfn), via: leafSpecial, midPage: mid };
    const entryVa = leaf + BigInt(index * longBytes(this.opts.bitsPerLong));
    const buf = await this.read(entryVa, longBytes(this.opts.bitsPerLong), `p2m[${topIndex}][${midIndex}][${index}]`);
    const raw = longsOf(buf, this.opts.bitsPerLong)[0];
    return { ...base, ...decodeP2mValue(raw, this.opts.bitsPerLong), via: 'leaf', midPage: mid, leafPage: leaf, entryVa };
  }

  /**
   * Runs of [startPfn, endPfn) (default: the whole tree), merged. Reads the top page, each mid
   * page and each leaf page it needs once; placeholder pages are recognised by address and never read.
   */
  async *ranges(startPfn = 0n, endPfn?: bigint): AsyncGenerator<P2mRange> {
    const g = this.geometry;
    const end = endPfn === undefined || endPfn > g.maxPfn ? g.maxPfn : endPfn;
    const merger = new RangeMerger();
    const topSpan = g.midPerPage * g.perPage;
    let pfn = startPfn < 0n ? 0n : startPfn;
    while (pfn < end) {
      const topIndex = Number(pfn / topSpan);
      const topEnd = min((BigInt(topIndex) + 1n) * topSpan, end);
      const mid = (await this.page(this.opts.top, 'p2m_top'))[topIndex];
      const midSpecial = this.classifyTop(mid);
      if (midSpecial) {
        const done = merger.add(pfn, topEnd - pfn, this.special(midSpecial, pfn));
        if (done) yield done;
        pfn = topEnd;
        continue;
      }
      const mids = await this.page(mid, `p2m_top[${topIndex}]`);
      while (pfn < topEnd) {
        const midIndex = Number((pfn / g.perPage) % g.midPerPage);
        const leafEnd = min((pfn / g.perPage + 1n) * g.perPage, topEnd);
        const leaf = mids[midIndex];
        const leafSpecial = this.classifyMid(leaf);
        if (leafSpecial) {
          const done = merger.add(pfn, leafEnd - pfn, this.special(leafSpecial, pfn));
          if (done) yield done;
          pfn = leafEnd;
          continue;
        }
        const values = longsOf(await this.read(leaf, PAGE_SIZE, `p2m[${topIndex}][${midIndex}]`), this.opts.bitsPerLong);
        for (; pfn < leafEnd; pfn++) {
          const v = decodeP2mValue(values[Number(pfn % g.perPage)], this.opts.bitsPerLong);
          const done = merger.add(pfn, 1n, v);
          if (done) yield done;
        }
      }
    }
    const last = merger.finish();
    if (last) yield last;
  }

  private classifyTop(p: bigint): P2mVia | undefined {
    if (p === this.opts.midMissing) return 'mid-missing';
    if (this.opts.midIdentity !== undefined && p === this.opts.midIdentity) return 'mid-identity';
    if (p === 0n || p === this.invalid) return 'null';
    return undefined;
  }

  private classifyMid(p: bigint): P2mVia | undefined {
    if (p === this.opts.identity) return 'identity-page';
    if (p === this.opts.missing) return 'missing-page';
    if (p === 0n || p === this.invalid) return 'null';
    return undefined;
  }

  /** What a placeholder stands for at `pfn`: IDENTITY_FRAME(pfn) (as get_phys_to_machine returns), or missing. */
  private special(via: P2mVia, pfn: bigint): P2mValue {
    if (via === 'identity-page' || via === 'mid-identity') return decodeP2mValue(identityFrame(pfn, this.opts.bitsPerLong), this.opts.bitsPerLong);
    return this.missing();
  }

  private missing(): P2mValue {
    return { kind: 'missing', raw: this.invalid };
  }

  private page(va: bigint, what: string): Promise<bigint[]> {
    let p = this.pages.get(va);
    if (!p) {
      p = this.read(va, PAGE_SIZE, what).then((b) => longsOf(b, this.opts.bitsPerLong));
      this.pages.set(va, p);
      p.catch(() => this.pages.delete(va));
    }
    return p;
  }

  private read(va: bigint, bytes: number, what: string): Promise<Uint8Array> {
    if (bytes === PAGE_SIZE) this.pagesRead++;
    return readOrExplain(this.mem, va, bytes, what);
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
