import { describe, expect, it } from 'vitest';
import {
  decodeP2mValue,
  FOREIGN_FRAME_BIT_32,
  FOREIGN_FRAME_BIT_64,
  foreignFrame,
  frameBits,
  IDENTITY_FRAME_BIT_32,
  IDENTITY_FRAME_BIT_64,
  identityFrame,
  INVALID_P2M_ENTRY_32,
  INVALID_P2M_ENTRY_64,
} from '../../../src/xen';

describe('P2M frame bits (Linux asm/xen/page.h: BITS_PER_LONG-1 and -2)', () => {
  it('places the bits at 63/62 for 64-bit longs and 31/30 for 32-bit ones', () => {
    expect(INVALID_P2M_ENTRY_64).toBe(0xffff_ffff_ffff_ffffn);
    expect(FOREIGN_FRAME_BIT_64).toBe(0x8000_0000_0000_0000n);
    expect(IDENTITY_FRAME_BIT_64).toBe(0x4000_0000_0000_0000n);
    expect(INVALID_P2M_ENTRY_32).toBe(0xffff_ffffn);
    expect(FOREIGN_FRAME_BIT_32).toBe(0x8000_0000n);
    expect(IDENTITY_FRAME_BIT_32).toBe(0x4000_0000n);
    expect(frameBits(64).frameMask).toBe(0x3fff_ffff_ffff_ffffn);
    expect(frameBits(32).frameMask).toBe(0x3fff_ffffn);
  });

  it('decodes ~0 as missing, not as an mfn with both flags', () => {
    expect(decodeP2mValue(0xffff_ffff_ffff_ffffn, 64)).toEqual({ kind: 'missing', raw: 0xffff_ffff_ffff_ffffn });
    expect(decodeP2mValue(0xffff_ffffn, 32)).toEqual({ kind: 'missing', raw: 0xffff_ffffn });
    // A 64-bit 0xffffffff is a (large) mfn, not the 32-bit INVALID_P2M_ENTRY.
    expect(decodeP2mValue(0xffff_ffffn, 64)).toEqual({ kind: 'mfn', raw: 0xffff_ffffn, mfn: 0xffff_ffffn });
  });

  it('decodes identity values as the pfn in the low bits (IDENTITY is PFN | IDENTITY_BIT)', () => {
    expect(decodeP2mValue(0x4000_0000_000c_0000n, 64)).toEqual({ kind: 'identity', raw: 0x4000_0000_000c_0000n, mfn: 0xc0000n });
    expect(decodeP2mValue(0x400c_0000n, 32)).toEqual({ kind: 'identity', raw: 0x400c_0000n, mfn: 0xc0000n });
    expect(identityFrame(0x40500n, 64)).toBe(0x4000_0000_0004_0500n);
    expect(identityFrame(0x40500n, 32)).toBe(0x4004_0500n);
  });

  it('decodes foreign frames and plain mfns', () => {
    expect(decodeP2mValue(0x8000_0000_0012_3456n, 64)).toEqual({ kind: 'foreign', raw: 0x8000_0000_0012_3456n, mfn: 0x123456n });
    expect(decodeP2mValue(0x8012_3456n, 32)).toEqual({ kind: 'foreign', raw: 0x8012_3456n, mfn: 0x123456n });
    expect(foreignFrame(0x123456n, 32)).toBe(0x8012_3456n);
    expect(decodeP2mValue(0x290dn, 64)).toEqual({ kind: 'mfn', raw: 0x290dn, mfn: 0x290dn });
    // A 32-bit long keeps only 32 bits of what it is handed.
    expect(decodeP2mValue(0x1_0000_290dn, 32)).toEqual({ kind: 'mfn', raw: 0x290dn, mfn: 0x290dn });
  });

  it('refuses a BITS_PER_LONG that is neither 32 nor 64', () => {
    expect(() => frameBits(16 as 32)).toThrow(/32 or 64/);
  });
});
