import { HyperFrameError } from '../util/errors';
import { m2pView, type M2pView, type XenLayout } from './layout';
import { type MemReader, PAGE_SIZE, readOrExplain } from './reader';

/**
 * machine_to_phys_mapping: one word per machine frame, written by Xen with the owning guest's
 * pfn. Xen 4.17 xen/arch/x86/include/asm/mm.h: INVALID_M2P_ENTRY is ~0UL, SHARED_M2P_ENTRY is
 * ~0UL - 1 (a page shared through dom_cow), VALID_M2P(e) is "bit BITS_PER_LONG-1 clear". The
 * compat table holds the same values truncated to 32 bits (set_compat_m2p, same header).
 */
export type M2pKind = 'pfn' | 'invalid' | 'shared' | 'not-valid' | 'debug-pattern';

/**
 * Xen 3.x filled the whole M2P with 0x55 bytes at boot, "an obvious debug pattern"
 * (paging_init() in x86_32/mm.c and x86_64/mm.c, until "x86: map M2P table sparsely" in 2009
 * made 4.0 fill it with INVALID_M2P_ENTRY): an entry still holding it was never written since
 * boot, so no guest has owned that frame.
 */
export const M2P_DEBUG_PATTERN_32 = 0x5555_5555n;
export const M2P_DEBUG_PATTERN_64 = 0x5555_5555_5555_5555n;

export interface M2pEntry {
  mfn: bigint;
  raw: bigint;
  kind: M2pKind;
  /** Set for 'pfn': the guest frame the owner maps this machine frame at. */
  pfn?: bigint;
}

/** A run of frames: 'pfn' runs have consecutive pfns; 'unreadable' runs could not be read. */
export interface M2pRange {
  mfnStart: bigint;
  /** Exclusive. */
  mfnEnd: bigint;
  kind: M2pKind | 'unreadable';
  pfnStart?: bigint;
  /** For 'unreadable': what the source said. */
  error?: string;
}

export function decodeM2pEntry(mfn: bigint, raw: bigint, entryBytes: 4 | 8): M2pEntry {
  const all = entryBytes === 8 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
  const v = raw & all;
  if (v === all) return { mfn, raw: v, kind: 'invalid' }; // INVALID_M2P_ENTRY, asm/mm.h Xen 4.17
  if (v === all - 1n) return { mfn, raw: v, kind: 'shared' }; // SHARED_M2P_ENTRY, asm/mm.h Xen 4.17
  if (v === (entryBytes === 8 ? M2P_DEBUG_PATTERN_64 : M2P_DEBUG_PATTERN_32)) return { mfn, raw: v, kind: 'debug-pattern' };
  if (v >> BigInt(entryBytes * 8 - 1)) return { mfn, raw: v, kind: 'not-valid' }; // !VALID_M2P(), asm/mm.h Xen 4.17
  return { mfn, raw: v, kind: 'pfn', pfn: v };
}

export interface M2pOptions {
  /** VA of machine_to_phys_mapping[0]. */
  base: bigint;
  entryBytes: 4 | 8;
}

/** Reads the M2P through a reader of the address space it is mapped in (Xen's or a PV guest's). */
export class M2pReader {
  constructor(
    private readonly mem: MemReader,
    readonly opts: M2pOptions,
  ) {}

  /** The M2P of `layout` (default: the read-only view guests see). */
  static forLayout(mem: MemReader, layout: XenLayout, view: M2pView = 'read-only'): M2pReader {
    return new M2pReader(mem, m2pView(layout, view));
  }

  entryVa(mfn: bigint): bigint {
    return this.opts.base + mfn * BigInt(this.opts.entryBytes);
  }

  async mfnToPfn(mfn: bigint): Promise<M2pEntry> {
    if (mfn < 0n) throw new HyperFrameError('BAD_ARGUMENT', `mfn ${mfn} is negative`);
    const buf = await readOrExplain(this.mem, this.entryVa(mfn), this.opts.entryBytes, `M2P entry of mfn 0x${mfn.toString(16)}`);
    return decodeM2pEntry(mfn, this.word(buf, 0), this.opts.entryBytes);
  }

  /** Entries of mfns [start, end), in reads of at most a page. */
  async read(start: bigint, end: bigint): Promise<M2pEntry[]> {
    const out: M2pEntry[] = [];
    for await (const chunk of this.chunks(start, end)) {
      if ('error' in chunk) throw new HyperFrameError('OUT_OF_RANGE', chunk.error);
      out.push(...chunk.entries);
    }
    return out;
  }

  /**
   * Runs of [start, end), merged: consecutive 'pfn' entries with consecutive pfns, and runs of
   * the same non-pfn kind. Each page of the table is read once; a page the source refuses (the
   * M2P is only mapped as far as Xen's max_page) becomes an 'unreadable' run and the walk goes on
   * (consecutive unreadable pages make one run, with the first page's error).
   */
  async *ranges(start: bigint, end: bigint): AsyncGenerator<M2pRange> {
    let cur: M2pRange | undefined;
    for await (const chunk of this.chunks(start, end)) {
      const pieces: M2pRange[] =
        'error' in chunk
          ? [{ mfnStart: chunk.start, mfnEnd: chunk.end, kind: 'unreadable', error: chunk.error }]
          : chunk.entries.map((e) => ({ mfnStart: e.mfn, mfnEnd: e.mfn + 1n, kind: e.kind, pfnStart: e.pfn }));
      for (const p of pieces) {
        if (cur && extends_(cur, p)) {
          cur.mfnEnd = p.mfnEnd;
          continue;
        }
        if (cur) yield cur;
        cur = p;
      }
    }
    if (cur) yield cur;
  }

  private async *chunks(start: bigint, end: bigint): AsyncGenerator<{ entries: M2pEntry[] } | { start: bigint; end: bigint; error: string }> {
    const eb = BigInt(this.opts.entryBytes);
    const perPage = BigInt(PAGE_SIZE) / eb;
    let mfn = start;
    while (mfn < end) {
      // Up to the end of the page holding this entry.
      const va = this.entryVa(mfn);
      const pageEnd = (va | BigInt(PAGE_SIZE - 1)) + 1n;
      let n = (pageEnd - va) / eb;
      if (n > end - mfn) n = end - mfn;
      if (n > perPage) n = perPage;
      try {
        const buf = await readOrExplain(this.mem, va, Number(n * eb), 'the M2P');
        const entries: M2pEntry[] = [];
        for (let i = 0; i < Number(n); i++) entries.push(decodeM2pEntry(mfn + BigInt(i), this.word(buf, i * this.opts.entryBytes), this.opts.entryBytes));
        yield { entries };
      } catch (e) {
        yield { start: mfn, end: mfn + n, error: e instanceof Error ? e.message : String(e) };
      }
      mfn += n;
    }
  }

  private word(buf: Uint8Array, off: number): bigint {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    return this.opts.entryBytes === 8 ? dv.getBigUint64(off, true) : BigInt(dv.getUint32(off, true));
  }
}

function extends_(cur: M2pRange, next: M2pRange): boolean {
  if (cur.kind !== next.kind || cur.mfnEnd !== next.mfnStart) return false;
  if (cur.kind === 'pfn') return cur.pfnStart! + (cur.mfnEnd - cur.mfnStart) === next.pfnStart;
  return true; // runs of one kind ('unreadable' keeps its first error)
}
