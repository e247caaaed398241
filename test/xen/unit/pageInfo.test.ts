import { describe, expect, it } from 'vitest';
import {
  decodeCountInfo,
  decodeMmuUpdate,
  decodePageInfo,
  decodeTypeInfo,
  frameTableEntryVa,
  MMUEXT_CMDS,
  pdxToPfn,
  pfnToPdx,
  pinLevel,
  readPageInfo,
  xen417X8664,
} from '../../../src/xen';
import { FakeMem } from './fakeMem';

/*
 * Values computed by hand from Xen 4.17's asm/mm.h: PG_shift(idx) = 64 - idx, PG_mask(x, idx) = x << PG_shift(idx).
 *   PGC_allocated = 1 << 63 = 0x8000000000000000, PGC_xen_heap = 1 << 62 = 0x4000000000000000,
 *   PGC_page_table = 1 << 61 = 0x2000000000000000, PGC_broken = 1 << 60 = 0x1000000000000000,
 *   PGC_state = 3 << 58 = 0x0c00000000000000 (offlining 0x0400…, offlined 0x0800…, free 0x0c00…),
 *   PGC_extra = 1 << 57 = 0x0200000000000000, PGC_count_mask = 0x01ffffffffffffff.
 *   PGT types x << 61: l1 0x2000…, l2 0x4000…, l3 0x6000…, l4 0x8000…, seg_desc 0xa000…, shared 0xc000…,
 *   writable 0xe000…; PGT_locked 0x1000…, PGT_pinned 0x0800…, PGT_validated 0x0400…, PGT_pae_xen_l2 0x0200…,
 *   PGT_partial 0x0100…, PGT_non_coherent 0x0080…, PGT_count_mask 0x007fffffffffffff.
 */
describe('struct page_info, Xen 4.17 x86_64', () => {
  it('decodes count_info', () => {
    expect(decodeCountInfo(0x8000_0000_0000_0001n)).toEqual({ raw: 0x8000_0000_0000_0001n, flags: ['PGC_allocated'], state: 'inuse', count: 1n });
    expect(decodeCountInfo(0xc000_0000_0000_0002n)).toMatchObject({ flags: ['PGC_allocated', 'PGC_xen_heap'], count: 2n });
    expect(decodeCountInfo(0xa000_0000_0000_0003n)).toMatchObject({ flags: ['PGC_allocated', 'PGC_page_table'], count: 3n });
    expect(decodeCountInfo(0x1400_0000_0000_0000n)).toMatchObject({ flags: ['PGC_broken'], state: 'offlining', count: 0n });
    expect(decodeCountInfo(0x0800_0000_0000_0000n).state).toBe('offlined');
    expect(decodeCountInfo(0x0200_0000_0000_0001n)).toMatchObject({ flags: ['PGC_extra'], count: 1n });
    expect(decodeCountInfo(0x01ff_ffff_ffff_ffffn).count).toBe((1n << 57n) - 1n);
    // On a free page bit 63 is PGC_need_scrub.
    expect(decodeCountInfo(0x8c00_0000_0000_0000n)).toMatchObject({ flags: ['PGC_need_scrub'], state: 'free', count: 0n });
  });

  it('decodes type_info', () => {
    expect(decodeTypeInfo(0x8c00_0000_0000_0001n)).toEqual({
      raw: 0x8c00_0000_0000_0001n,
      type: 'l4_page_table',
      typeName: 'PGT_l4_page_table',
      flags: ['PGT_pinned', 'PGT_validated'],
      count: 1n,
    });
    expect(decodeTypeInfo(0xe400_0000_0000_0003n)).toMatchObject({ typeName: 'PGT_writable_page', flags: ['PGT_validated'], count: 3n });
    expect(decodeTypeInfo(0x2400_0000_0000_0001n).type).toBe('l1_page_table');
    expect(decodeTypeInfo(0x4600_0000_0000_0001n)).toMatchObject({ type: 'l2_page_table', flags: ['PGT_validated', 'PGT_pae_xen_l2'] });
    expect(decodeTypeInfo(0x6000_0000_0000_0000n).type).toBe('l3_page_table');
    expect(decodeTypeInfo(0xa000_0000_0000_0000n).typeName).toBe('PGT_seg_desc_page');
    expect(decodeTypeInfo(0xc000_0000_0000_0000n).type).toBe('shared_page');
    expect(decodeTypeInfo(0x1180_0000_0000_0000n)).toMatchObject({ type: 'none', flags: ['PGT_locked', 'PGT_partial', 'PGT_non_coherent'] });
    expect(decodeTypeInfo(0x007f_ffff_ffff_ffffn).count).toBe((1n << 55n) - 1n);
  });

  it('places frame_table entries 32 bytes apart from 0xffff82e000000000', () => {
    expect(frameTableEntryVa(0n)).toBe(0xffff_82e0_0000_0000n);
    expect(frameTableEntryVa(0x12345n)).toBe(0xffff_82e0_0024_68a0n); // 0x12345 * 32 = 0x2468a0
    expect(frameTableEntryVa(1n, xen417X8664({ bigmem: true }))).toBe(0xffff_8300_0000_0030n);
    expect(() => frameTableEntryVa(1n << 32n)).toThrow(/beyond the frame table/);
  });

  it('indexes by pdx when Xen compressed a hole (pfn_pdx_hole_shift, pfn_pdx_bottom_mask)', () => {
    const pdx = { pfnPdxHoleShift: 4, pfnPdxBottomMask: 0xfffffn };
    // pfn 0x3000012: bits 20..23 are the hole; pdx = 0x12 | (0x3000000 >> 4) = 0x300012.
    expect(pfnToPdx(0x300_0012n, pdx)).toBe(0x30_0012n);
    expect(pdxToPfn(0x30_0012n, pdx)).toBe(0x300_0012n);
    expect(frameTableEntryVa(0x300_0012n, undefined, pdx)).toBe(0xffff_82e0_0000_0000n + 0x30_0012n * 32n);
    expect(() => pfnToPdx(0x10_0000n, pdx)).toThrow(/pdx hole/);
    expect(pfnToPdx(0x300_0012n)).toBe(0x300_0012n);
  });

  it('decodes a whole entry: owner from the pdx of its struct domain', async () => {
    const b = new Uint8Array(32);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 0x11, true); // list.next (pdx)
    dv.setUint32(4, 0x22, true); // list.prev
    dv.setBigUint64(8, 0x8000_0000_0000_0002n, true); // count_info: allocated, 2 refs
    dv.setBigUint64(16, 0x8c00_0000_0000_0001n, true); // type_info: pinned, validated L4
    dv.setUint32(24, 0x83f2a, true); // v.inuse._domain
    dv.setUint32(28, 0x77, true); // tlbflush_timestamp
    const pi = decodePageInfo(b);
    expect(pi.countInfo.flags).toEqual(['PGC_allocated']);
    expect(pi.typeInfo.type).toBe('l4_page_table');
    expect(pi.v).toBe(0x83f2an);
    expect(pi.ownerDomainVa).toBe(0xffff_8300_83f2_a000n);
    expect(pi.tail).toBe(0x77n);
    const mem = new FakeMem().write(frameTableEntryVa(0x4242n), b);
    expect((await readPageInfo(mem, 0x4242n)).typeInfo.flags).toEqual(['PGT_pinned', 'PGT_validated']);
  });
});

describe('PV MMU operations (public/xen.h)', () => {
  it('names MMUEXT_PIN_L*_TABLE and splits mmu_update requests', () => {
    expect([0, 1, 2, 3, 4].map((c) => MMUEXT_CMDS[c])).toEqual(['MMUEXT_PIN_L1_TABLE', 'MMUEXT_PIN_L2_TABLE', 'MMUEXT_PIN_L3_TABLE', 'MMUEXT_PIN_L4_TABLE', 'MMUEXT_UNPIN_TABLE']);
    expect(pinLevel(1)).toBe(2);
    expect(pinLevel(4)).toBeUndefined();
    expect(decodeMmuUpdate(0xfb14_e001n, 5n)).toEqual({ cmd: 'MMU_MACHPHYS_UPDATE', maddr: 0xfb14_e000n, val: 5n });
    expect(decodeMmuUpdate(0xfb14_e008n, 0xd162_0063n).cmd).toBe('MMU_NORMAL_PT_UPDATE');
  });
});
