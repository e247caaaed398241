import type { PhysMem } from '../memory/physMem';
import { mappings } from '../paging/mappings';
import type { PagingSpec } from '../paging/spec';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { type MemReader, P2mLinear, type P2mRange, PAGE_SIZE } from '../xen';

/** A page of the linear P2M list that many list pages share: p2m_missing or p2m_identity. */
export interface SharedP2mPage {
  name: 'p2m_missing' | 'p2m_identity' | 'shared';
  mfn: bigint;
  /** List pages mapped to it. */
  pages: number;
}

export interface LinearP2mRead {
  runs: P2mRange[];
  sharedPages: SharedP2mPage[];
  /** List pages read (the others are shared placeholders, recognised by their frame). */
  pagesRead: number;
}

export interface LinearP2mSpec {
  /** The guest's tables, where `address` is mapped. */
  tables: PagingSpec;
  /** VA of the list (xen_p2m_addr / shared_info.arch.p2m_vaddr) and its entries. */
  address: bigint;
  entries: bigint;
  /** Frames of p2m_identity and p2m_missing, when the guest's symbols name them. */
  identityMfn?: bigint;
  missingMfn?: bigint;
}

/** Most pages of a P2M list the reader accepts: 2^28 entries (a 2 GiB list, 1 TiB of pfns). */
const MAX_ENTRIES = 1n << 28n;

/**
 * Reads a 64-bit PV guest's linear P2M (Linux since 3.19) in one walk of the list's mappings: the
 * walk gives the frame behind every page of the list, frames behind more than one page are the
 * shared placeholders (named when the symbols give p2m_missing / p2m_identity), and only the
 * other pages are read, as Linux's get_phys_to_machine() would see them.
 */
export async function readLinearP2m(phys: PhysMem, s: LinearP2mSpec): Promise<LinearP2mRead> {
  if (s.entries > MAX_ENTRIES) throw new HyperFrameError('TARGET', `a P2M list of ${hex(s.entries)} entries is larger than any guest's (at most ${hex(MAX_ENTRIES)}): the size read is not a P2M size`);
  const end = s.address + s.entries * 8n;
  const frameOfPage = new Map<bigint, bigint>();
  for await (const e of mappings(s.tables, phys, { from: s.address, to: end })) {
    if (e.kind !== 'leaf') continue;
    for (let off = 0n; off < e.size; off += 4096n) {
      const va = e.va + off;
      if (va >= s.address && va < end) frameOfPage.set(va, (e.pa + off) >> 12n);
    }
  }
  const counts = new Map<bigint, number>();
  for (const f of frameOfPage.values()) counts.set(f, (counts.get(f) ?? 0) + 1);
  const sharedPages: SharedP2mPage[] = [...counts]
    .filter(([f, n]) => n > 1 || f === s.identityMfn || f === s.missingMfn)
    .map(([mfn, pages]) => ({ name: mfn === s.identityMfn ? 'p2m_identity' : mfn === s.missingMfn ? 'p2m_missing' : 'shared', mfn, pages }));
  // Unnamed shared frames hold INVALID_P2M_ENTRY like both placeholders: read as missing, never page by page.
  const unnamed = new Set(sharedPages.filter((p) => p.name === 'shared').map((p) => p.mfn));
  const missingFrames = new Set([...unnamed, ...(s.missingMfn !== undefined ? [s.missingMfn] : [])]);
  const frameOf = async (va: bigint): Promise<bigint | undefined> => {
    const f = frameOfPage.get(va);
    return f !== undefined && missingFrames.has(f) ? MISSING_SENTINEL : f;
  };
  const viaFrames: MemReader = {
    read: async (va, bytes) => {
      const page = va - (va % BigInt(PAGE_SIZE));
      const f = frameOfPage.get(page);
      if (f === undefined) throw new HyperFrameError('OUT_OF_RANGE', `the P2M list page at ${hex(page)} is not mapped`);
      return phys.read((f << 12n) + (va - page), bytes);
    },
  };
  const list = new P2mLinear(viaFrames, {
    bitsPerLong: 64,
    p2mAddr: s.address,
    p2mSize: s.entries,
    frameOf,
    identityFrame: s.identityMfn,
    missingFrame: MISSING_SENTINEL,
  });
  const runs: P2mRange[] = [];
  for await (const r of list.ranges()) runs.push(r);
  return { runs, sharedPages, pagesRead: list.pagesRead };
}

/** Stands for "a frame read as missing" (p2m_missing or an unnamed placeholder): no real mfn is negative. */
const MISSING_SENTINEL = -1n;
