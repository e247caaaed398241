/**
 * CR3 as each paging mode reads it, against the SDM vol. 3A tables written out by hand:
 * 4-3 (32-bit paging), 4-7 (PAE paging), 4-12 and 4-13 (4- and 5-level paging).
 */
import { describe, expect, it } from 'vitest';
import { decodeCr3, modeFromRegs, rootOfCr3, translate } from '../../src/paging';
import { mask } from '../../src/util/numbers';
import { controlRegisterText } from '../../src/x86/registers';
import { SparseMem } from '../helpers/sparseMem';

const PAE = 1n << 5n;
const PCIDE = 1n << 17n;
const LMA_LME = (1n << 10n) | (1n << 8n);
const PG_PE = 0x8000_0011n;

const fields = (cr3: bigint, cr4: bigint, efer: bigint, maxPhyAddr?: number) =>
  decodeCr3(cr3, cr4, efer, maxPhyAddr).map((b) => [b.name, b.bit, b.width, b.value]);

describe('CR3 by paging mode', () => {
  it('PAE (table 4-7): bits 31:5 are the PDPT, 4:0 and 63:32 ignored, no PWT/PCD', () => {
    // A PDPT 32 bytes into its page, as Linux PAE allocates them from a 32-byte slab.
    expect(fields(0xfb15_3020n, PAE, 0n)).toEqual([['root', 5, 27, 0xfb15_3020n]]);
    expect(fields(0x1_fb15_303fn, PAE, 0n)).toEqual([['root', 5, 27, 0xfb15_3020n]]);
    expect(rootOfCr3('pae', 0xfb15_30ffn)).toBe(0xfb15_30e0n);
  });

  it('32-bit paging (table 4-3): bits 31:12, PWT bit 3, PCD bit 4', () => {
    expect(fields(0x0011_0018n, 0n, 0n)).toEqual([
      ['root', 12, 20, 0x11_0000n],
      ['PWT', 3, 1, 1n],
      ['PCD', 4, 1, 1n],
    ]);
  });

  it('4-level paging (tables 4-12, 4-13): bits M-1:12; PWT/PCD, or PCID and NOFLUSH with CR4.PCIDE', () => {
    expect(fields(0x1_2345_6008n, PAE, LMA_LME, 36)).toEqual([
      ['root', 12, 24, 0x1_2345_6000n],
      ['PWT', 3, 1, 1n],
      ['PCD', 4, 1, 0n],
    ]);
    // Bits at and above MAXPHYADDR are not part of the address.
    expect(rootOfCr3('long4', 0x10_0000_1000n, 36)).toBe(0x1000n);
    expect(fields(0x8000_0000_0011_0005n, PAE | PCIDE, LMA_LME)).toEqual([
      ['root', 12, 40, 0x11_0000n],
      ['PCID', 0, 12, 5n],
      ['NOFLUSH', 63, 1, 1n],
    ]);
  });

  it('modeFromRegs and the text views agree on a 32-byte-aligned PDPT', () => {
    const m = modeFromRegs({ cr0: PG_PE, cr3: 0xfb15_3020n, cr4: PAE, efer: 0n });
    expect([m.mode, m.root]).toEqual(['pae', 0xfb15_3020n]);
    const regs = new Map([
      ['cr3', 0xfb15_3020n],
      ['cr4', PAE],
    ]);
    expect(controlRegisterText('cr3', regs)).toBe('root=0xfb153020');
  });

  it('a walk from a PDPT 32 bytes into its page reads that PDPT, not the one at the page start', async () => {
    const mem = new SparseMem();
    mem.u64(0x1000n, 0x4001n); // another address space's PDPT: PD at 0x4000
    mem.u64(0x1020n, 0x2001n); // ours: PD at 0x2000
    mem.u64(0x2000n + 2n * 8n, 0x3003n); // PD[2] (VA 0x400000): PT at 0x3000
    mem.u64(0x3000n, 0x5003n); // PT[0]: page 0x5000
    mem.u64(0x4000n + 2n * 8n, 0x0060_0083n); // the other space: a 2 MiB page at 0x600000
    const m = modeFromRegs({ cr0: PG_PE, cr3: 0x1020n, cr4: PAE, efer: 0n });
    const t = await translate(0x40_0123n, { mode: 'pae', root: m.root }, mem);
    expect(t.pa).toBe(0x5123n);
  });
});

describe('mask', () => {
  it('names a reversed or out-of-range bit range instead of failing on undefined', () => {
    expect(mask(35, 12)).toBe(0xf_ffff_f000n);
    expect(() => mask(7, 12)).toThrow(new RangeError('mask(7, 12): bit range must satisfy 63 >= hi >= lo >= 0'));
    expect(() => mask(64, 0)).toThrow(RangeError);
  });
});
