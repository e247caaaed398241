import { HyperFrameError } from '../util/errors';

/**
 * PDX ("page index") compression: Xen indexes its frame table, and offsets its direct map, by a
 * pdx rather than the mfn, squeezing out one run of address bits that are zero in every RAM
 * frame. On Xen 4.17 x86 the code is always built in; the hole is set up at boot only when the
 * memory map has a big enough gap, and on most machines pfn_pdx_hole_shift stays 0, so pdx = mfn.
 *
 * Xen 4.17 xen/common/pdx.c (pfn_pdx_hole_setup) derives everything from two numbers:
 *   pfn_pdx_bottom_mask = (1 << bottom_shift) - 1, ma_va_bottom_mask = (PAGE_SIZE << bottom_shift) - 1,
 *   pfn_hole_mask = ((1 << hole_shift) - 1) << bottom_shift,
 *   pfn_top_mask = ~(pfn_pdx_bottom_mask | pfn_hole_mask), ma_top_mask = pfn_top_mask << PAGE_SHIFT.
 * Both inputs are variables in xen-syms: read `pfn_pdx_hole_shift` and `pfn_pdx_bottom_mask`.
 */
export interface PdxParams {
  /** pfn_pdx_hole_shift: how many bits the hole removes (0: no compression). */
  pfnPdxHoleShift: number;
  /** pfn_pdx_bottom_mask: the pfn bits kept below the hole (~0 when there is no hole). */
  pfnPdxBottomMask: bigint;
}

const U64 = (1n << 64n) - 1n;

/** No compression: pdx = pfn, direct-map offset = machine address. */
export const NO_PDX_COMPRESSION: PdxParams = { pfnPdxHoleShift: 0, pfnPdxBottomMask: U64 };

interface Masks {
  hole: bigint;
  bottom: bigint;
  top: bigint;
  maBottom: bigint;
  maTop: bigint;
}

function masks(p: PdxParams): Masks {
  const shift = p.pfnPdxHoleShift;
  if (!Number.isInteger(shift) || shift < 0 || shift > 52) {
    throw new HyperFrameError('BAD_ARGUMENT', `pfn_pdx_hole_shift ${shift} is not in 0..52`);
  }
  const bottom = p.pfnPdxBottomMask & U64;
  if (shift === 0) return { hole: 0n, bottom: U64, top: 0n, maBottom: U64, maTop: 0n };
  if ((bottom & (bottom + 1n)) !== 0n) {
    throw new HyperFrameError('BAD_ARGUMENT', `pfn_pdx_bottom_mask 0x${bottom.toString(16)} is not of the form 2^n - 1`);
  }
  const bottomShift = BigInt(bottom.toString(2).length - (bottom === 0n ? 1 : 0));
  if (bottomShift + BigInt(shift) > 64n) {
    throw new HyperFrameError('BAD_ARGUMENT', `a pdx hole of ${shift} bits above bit ${bottomShift} does not fit in 64 bits`);
  }
  const hole = ((1n << BigInt(shift)) - 1n) << bottomShift; // pfn_hole_mask, xen/common/pdx.c 4.17
  const top = ~(bottom | hole) & U64; // pfn_top_mask, xen/common/pdx.c 4.17
  return { hole, bottom, top, maBottom: (4096n << bottomShift) - 1n, maTop: (top << 12n) & U64 };
}

/** pfn_to_pdx(): (pfn & pfn_pdx_bottom_mask) | ((pfn & pfn_top_mask) >> pfn_pdx_hole_shift) (xen/include/xen/pdx.h 4.17). */
export function pfnToPdx(pfn: bigint, p: PdxParams = NO_PDX_COMPRESSION): bigint {
  const m = masks(p);
  if (pfn & m.hole) throw new HyperFrameError('BAD_ARGUMENT', `mfn 0x${pfn.toString(16)} has bits in the pdx hole: it is not a valid frame (mfn_valid() fails)`);
  return (pfn & m.bottom) | ((pfn & m.top) >> BigInt(p.pfnPdxHoleShift));
}

/** pdx_to_pfn(): (pdx & pfn_pdx_bottom_mask) | ((pdx << pfn_pdx_hole_shift) & pfn_top_mask) (xen/include/xen/pdx.h 4.17). */
export function pdxToPfn(pdx: bigint, p: PdxParams = NO_PDX_COMPRESSION): bigint {
  const m = masks(p);
  return (pdx & m.bottom) | ((pdx << BigInt(p.pfnPdxHoleShift)) & m.top);
}

/** Offset into the direct map of machine address `ma` (x86_64 __maddr_to_virt(), Xen 4.17 asm/x86_64/page.h). */
export function maddrToDirectMapOffset(ma: bigint, p: PdxParams = NO_PDX_COMPRESSION): bigint {
  const m = masks(p);
  return (ma & m.maBottom) | ((ma & m.maTop) >> BigInt(p.pfnPdxHoleShift));
}

/** Machine address at direct-map offset `off` (x86_64 __virt_to_maddr(), Xen 4.17 asm/x86_64/page.h). */
export function directMapOffsetToMaddr(off: bigint, p: PdxParams = NO_PDX_COMPRESSION): bigint {
  const m = masks(p);
  return (off & m.maBottom) | ((off << BigInt(p.pfnPdxHoleShift)) & m.maTop);
}
