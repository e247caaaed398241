import { type BitsPerLong, checkBits } from './reader';

/**
 * The values Linux stores in its PV P2M (pfn → mfn) besides plain machine frame numbers.
 *
 * Linux arch/x86/include/asm/xen/page.h (this form since the 2011 xen-devel P2M identity patch,
 * unchanged in current kernels):
 * INVALID_P2M_ENTRY is ~0UL, FOREIGN_FRAME_BIT is 1UL << (BITS_PER_LONG-1), IDENTITY_FRAME_BIT is
 * 1UL << (BITS_PER_LONG-2) — the review of the 2011 xen-devel P2M identity patch ("These need to be BITS_PER_LONG-1 and -2").
 */
export interface FrameBits {
  bitsPerLong: BitsPerLong;
  /** INVALID_P2M_ENTRY: ~0UL, "missing". */
  invalid: bigint;
  /** FOREIGN_FRAME_BIT: a frame granted by another domain. */
  foreign: bigint;
  /** IDENTITY_FRAME_BIT: a 1:1 (pfn == mfn) frame, for non-RAM E820 regions. */
  identity: bigint;
  /** The bits below the two flags: where the frame number lives. */
  frameMask: bigint;
}

function makeBits(bits: BitsPerLong): FrameBits {
  const all = (1n << BigInt(bits)) - 1n;
  const foreign = 1n << BigInt(bits - 1); // FOREIGN_FRAME_BIT, asm/xen/page.h
  const identity = 1n << BigInt(bits - 2); // IDENTITY_FRAME_BIT, asm/xen/page.h
  return { bitsPerLong: bits, invalid: all /* INVALID_P2M_ENTRY (~0UL), asm/xen/page.h */, foreign, identity, frameMask: identity - 1n };
}

/** 64-bit guests: invalid 0xffffffffffffffff, foreign bit 63, identity bit 62. */
export const FRAME_BITS_64: FrameBits = makeBits(64);
/** 32-bit guests: invalid 0xffffffff, foreign bit 31, identity bit 30. */
export const FRAME_BITS_32: FrameBits = makeBits(32);

export function frameBits(bitsPerLong: BitsPerLong): FrameBits {
  return checkBits(bitsPerLong) === 64 ? FRAME_BITS_64 : FRAME_BITS_32;
}

export const INVALID_P2M_ENTRY_64 = FRAME_BITS_64.invalid;
export const FOREIGN_FRAME_BIT_64 = FRAME_BITS_64.foreign;
export const IDENTITY_FRAME_BIT_64 = FRAME_BITS_64.identity;
export const INVALID_P2M_ENTRY_32 = FRAME_BITS_32.invalid;
export const FOREIGN_FRAME_BIT_32 = FRAME_BITS_32.foreign;
export const IDENTITY_FRAME_BIT_32 = FRAME_BITS_32.identity;

export type P2mKind = 'missing' | 'identity' | 'foreign' | 'mfn';

/** One P2M value, decoded. */
export interface P2mValue {
  kind: P2mKind;
  /** The value as stored (or as get_phys_to_machine() returns it), BITS_PER_LONG wide. */
  raw: bigint;
  /** The machine frame: absent for 'missing'; the pfn itself for 'identity'. */
  mfn?: bigint;
}

/**
 * Decodes a P2M value the way Linux's pfn_to_mfn() reads it: ~0 is missing; otherwise the flag bits
 * say what the low bits are, and pfn_to_mfn() masks both off (asm/xen/page.h). The identity bit is
 * tested before the foreign one, as xen_p2m_elem_type() in arch/x86/xen/p2m.c does.
 */
export function decodeP2mValue(value: bigint, bitsPerLong: BitsPerLong): P2mValue {
  const b = frameBits(bitsPerLong);
  const raw = value & b.invalid;
  if (raw === b.invalid) return { kind: 'missing', raw };
  const mfn = raw & b.frameMask;
  if (raw & b.identity) return { kind: 'identity', raw, mfn };
  if (raw & b.foreign) return { kind: 'foreign', raw, mfn };
  return { kind: 'mfn', raw, mfn };
}

/** IDENTITY_FRAME(pfn): pfn | IDENTITY_FRAME_BIT (asm/xen/page.h). */
export function identityFrame(pfn: bigint, bitsPerLong: BitsPerLong): bigint {
  const b = frameBits(bitsPerLong);
  return (pfn & b.frameMask) | b.identity;
}

/** FOREIGN_FRAME(mfn): mfn | FOREIGN_FRAME_BIT (asm/xen/page.h). */
export function foreignFrame(mfn: bigint, bitsPerLong: BitsPerLong): bigint {
  const b = frameBits(bitsPerLong);
  return (mfn & b.frameMask) | b.foreign;
}
