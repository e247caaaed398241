import { HyperFrameError } from '../util/errors';
import { XEN_417_X86_64, type XenLayout } from './layouts';
import { NO_PDX_COMPRESSION, type PdxParams, pfnToPdx } from './pdx';
import { type MemReader, readOrExplain } from './reader';

/**
 * struct page_info on x86_64, Xen 4.17 (xen/arch/x86/include/asm/mm.h). Flags are defined from the
 * top bit down: PG_shift(idx) = BITS_PER_LONG - idx, PG_mask(x, idx) = x << PG_shift(idx).
 *
 * count_info (4.17; 4.18 moved PGC_extra to bit 61 and made the page-table bit shadow-only):
 *   PGC_allocated bit 63, PGC_xen_heap 62, PGC_page_table 61, PGC_broken 60,
 *   PGC_state bits 59:58 (inuse 0, offlining 1, offlined 2, free 3), PGC_extra 57,
 *   PGC_count_mask bits 56:0; PGC_need_scrub is PGC_allocated on a free page.
 * type_info (4.17, with XSA-402's PGT_non_coherent):
 *   type bits 63:61 (none 0, l1 1, l2 2, l3 3, l4 4, seg_desc 5, shared 6, writable 7),
 *   PGT_locked 60, PGT_pinned 59, PGT_validated 58, PGT_pae_xen_l2 57 (CONFIG_PV32),
 *   PGT_partial 56, PGT_non_coherent 55, PGT_count_mask bits 54:0.
 */
export const XEN_417_PAGE_INFO_SOURCE = 'xen/arch/x86/include/asm/mm.h, Xen 4.17';

const bit = (n: number) => 1n << BigInt(n);

export const PGC = {
  allocated: bit(63), // PG_mask(1, 1), asm/mm.h 4.17
  xenHeap: bit(62), // PG_mask(1, 2), asm/mm.h 4.17
  pageTable: bit(61), // PG_mask(1, 3), asm/mm.h 4.17
  broken: bit(60), // PG_mask(1, 4), asm/mm.h 4.17
  stateMask: 3n << 58n, // PG_mask(3, 6), asm/mm.h 4.17
  extra: bit(57), // PG_mask(1, 7), asm/mm.h 4.17
  countMask: bit(57) - 1n, // (1UL << PG_shift(7)) - 1, asm/mm.h 4.17
} as const;

export const PGC_STATES = ['inuse', 'offlining', 'offlined', 'free'] as const; // PGC_state_*, asm/mm.h 4.17
export type PageState = (typeof PGC_STATES)[number];

export const PGT = {
  typeMask: 7n << 61n, // PG_mask(7, 3): "Bits 61-63", asm/mm.h 4.17
  locked: bit(60), // PG_mask(1, 4), asm/mm.h 4.17
  pinned: bit(59), // PG_mask(1, 5), asm/mm.h 4.17
  validated: bit(58), // PG_mask(1, 6), asm/mm.h 4.17
  paeXenL2: bit(57), // PG_mask(1, 7), CONFIG_PV32 only, asm/mm.h 4.17
  partial: bit(56), // PG_mask(1, 8), asm/mm.h 4.17
  nonCoherent: bit(55), // PG_mask(1, 9), XSA-402 (June 2022), asm/mm.h 4.17
  countMask: bit(55) - 1n, // (1UL << PG_shift(9)) - 1, asm/mm.h 4.17
} as const;

/** PGT_* page types by value of bits 63:61 (asm/mm.h 4.17: "MUTUALLY EXCLUSIVE"). */
export const PGT_TYPES = ['none', 'l1_page_table', 'l2_page_table', 'l3_page_table', 'l4_page_table', 'seg_desc_page', 'shared_page', 'writable_page'] as const;
export type PageType = (typeof PGT_TYPES)[number];

export interface CountInfo {
  raw: bigint;
  /** PGC_* names of the flag bits set (PGC_need_scrub for bit 63 on a free page). */
  flags: string[];
  state: PageState;
  /** General reference count. */
  count: bigint;
}

export function decodeCountInfo(raw: bigint): CountInfo {
  const state = PGC_STATES[Number((raw & PGC.stateMask) >> 58n)];
  const flags: string[] = [];
  if (raw & PGC.allocated) flags.push(state === 'free' ? 'PGC_need_scrub' : 'PGC_allocated');
  if (raw & PGC.xenHeap) flags.push('PGC_xen_heap');
  if (raw & PGC.pageTable) flags.push('PGC_page_table');
  if (raw & PGC.broken) flags.push('PGC_broken');
  if (raw & PGC.extra) flags.push('PGC_extra');
  return { raw, flags, state, count: raw & PGC.countMask };
}

export interface TypeInfo {
  raw: bigint;
  type: PageType;
  /** "PGT_l4_page_table" etc. */
  typeName: string;
  flags: string[];
  /** Type reference count. */
  count: bigint;
}

export function decodeTypeInfo(raw: bigint): TypeInfo {
  const type = PGT_TYPES[Number((raw & PGT.typeMask) >> 61n)];
  const flags: string[] = [];
  const names: Array<[bigint, string]> = [
    [PGT.locked, 'PGT_locked'],
    [PGT.pinned, 'PGT_pinned'],
    [PGT.validated, 'PGT_validated'],
    [PGT.paeXenL2, 'PGT_pae_xen_l2'],
    [PGT.partial, 'PGT_partial'],
    [PGT.nonCoherent, 'PGT_non_coherent'],
  ];
  for (const [m, n] of names) if (raw & m) flags.push(n);
  return { raw, type, typeName: `PGT_${type}`, flags, count: raw & PGT.countMask };
}

/**
 * Field offsets of struct page_info, x86_64, Xen 4.17 (asm/mm.h): without CONFIG_BIGMEM __pdx_t is
 * `unsigned int`, so list {next, prev} is 8 bytes, count_info at 8, u (type_info) at 16, v
 * (_domain pdx / free order) at 24, the tlbflush_timestamp union at 28: 32 bytes. With BIGMEM the
 * pdx fields are longs: 48 bytes.
 */
export interface PageInfoLayout {
  size: number;
  countInfo: number;
  typeInfo: number;
  v: number;
  vBytes: 4 | 8;
  tail: number;
  tailBytes: 4 | 8;
}
export const PAGE_INFO_417: PageInfoLayout = { size: 32, countInfo: 8, typeInfo: 16, v: 24, vBytes: 4, tail: 28, tailBytes: 4 };
export const PAGE_INFO_417_BIGMEM: PageInfoLayout = { size: 48, countInfo: 16, typeInfo: 24, v: 32, vBytes: 8, tail: 40, tailBytes: 8 };

export interface PageInfo {
  countInfo: CountInfo;
  /** u.inuse.type_info: meaningful while the page is in use (count > 0). */
  typeInfo: TypeInfo;
  /** v.inuse._domain: pdx of the owning struct domain (0: anonymous), or v.free.order on a free page. */
  v: bigint;
  /** Owner's struct domain VA: pdx_to_virt(_domain) = DIRECTMAP_VIRT_START + (pdx << PAGE_SHIFT) (asm/x86_64/page.h 4.17). */
  ownerDomainVa?: bigint;
  /** tlbflush_timestamp (or the partial-validation / shadow-flags fields sharing it). */
  tail: bigint;
}

export function decodePageInfo(bytes: Uint8Array, layout: XenLayout = XEN_417_X86_64, pageLayout?: PageInfoLayout): PageInfo {
  const pl = pageLayout ?? (layout.frameTable?.entryBytes === 48 ? PAGE_INFO_417_BIGMEM : PAGE_INFO_417);
  if (bytes.length < pl.size) throw new HyperFrameError('BAD_ARGUMENT', `struct page_info is ${pl.size} bytes, got ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (off: number, n: 4 | 8) => (n === 8 ? dv.getBigUint64(off, true) : BigInt(dv.getUint32(off, true)));
  const countInfo = decodeCountInfo(word(pl.countInfo, 8));
  const v = word(pl.v, pl.vBytes);
  const inUse = countInfo.state !== 'free' && countInfo.count > 0n;
  return {
    countInfo,
    typeInfo: decodeTypeInfo(word(pl.typeInfo, 8)),
    v,
    ownerDomainVa: inUse && v !== 0n && layout.directMap ? layout.directMap.start + (v << 12n) : undefined,
    tail: word(pl.tail, pl.tailBytes),
  };
}

/**
 * VA of frame_table[pdx(mfn)]: FRAMETABLE_VIRT_START + pfn_to_pdx(mfn) * sizeof(struct page_info)
 * (mfn_to_page(), asm/mm.h + xen/pdx.h, Xen 4.17). Without PDX compression pdx = mfn; when Xen
 * set a hole up at boot, give `pdx` (pfn_pdx_hole_shift and pfn_pdx_bottom_mask from xen-syms).
 */
export function frameTableEntryVa(mfn: bigint, layout: XenLayout = XEN_417_X86_64, pdx: PdxParams = NO_PDX_COMPRESSION): bigint {
  const ft = layout.frameTable;
  if (!ft?.entryBytes) throw new HyperFrameError('BAD_ARGUMENT', `${layout.name}: struct page_info is not described for this layout`);
  const va = ft.start + pfnToPdx(mfn, pdx) * BigInt(ft.entryBytes);
  if (va + BigInt(ft.entryBytes) > ft.end) throw new HyperFrameError('OUT_OF_RANGE', `mfn 0x${mfn.toString(16)} is beyond the frame table`);
  return va;
}

/** Reads and decodes frame_table[mfn] through a reader of Xen's address space. */
export async function readPageInfo(mem: MemReader, mfn: bigint, layout: XenLayout = XEN_417_X86_64, pdx: PdxParams = NO_PDX_COMPRESSION): Promise<PageInfo> {
  const va = frameTableEntryVa(mfn, layout, pdx);
  return decodePageInfo(await readOrExplain(mem, va, layout.frameTable!.entryBytes!, `struct page_info of mfn 0x${mfn.toString(16)}`), layout);
}
