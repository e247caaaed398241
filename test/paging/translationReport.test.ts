/**
 * What `translate` says besides the steps: the PFN, the memory type from PAT/PCD/PWT, the leaf
 * entry's VA through a recursive slot, and whether the VA lies in one. The tables are built byte
 * by byte here; every expected VA is worked out by hand from the index split of the SDM, and every
 * memory type from the IA32_PAT layout (SDM vol. 3A 12.12.2: PAT·4 + PCD·2 + PWT selects PAn; at
 * reset PA0..PA7 = WB WT UC- UC WB WT UC- UC).
 */
import { describe, expect, it } from 'vitest';
import { translationLines } from '../../src/paging/format';
import { translationJson } from '../../src/paging/json';
import { recursiveSlots, selfMapReference, translateReport } from '../../src/paging/translationReport';
import { translate } from '../../src/paging/translate';
import { SparseMem } from '../helpers/sparseMem';

const P = 1n;
const RW = 2n;
const PWT = 8n;
const PCD = 0x10n;
const PAT4K = 0x80n;
const PS = 0x80n;

describe('4-level tables with a recursive slot at PML4[0x1ed]', () => {
  const root = 0x10_000n;
  const mem = new SparseMem()
    .u64(root + 0x1edn * 8n, root | P | RW) // the self-map
    .u64(root + 0n * 8n, 0x11_000n | P | RW) // PML4[0] → PDPT
    .u64(0x11_000n + 0n * 8n, 0x12_000n | P | RW) // PDPT[0] → PD
    .u64(0x12_000n + 1n * 8n, 0x13_000n | P | RW) // PD[1] (VA 0x200000) → PT
    .u64(0x13_000n + 3n * 8n, 0x77_000n | P | RW | PWT) // PT[3]: VA 0x203000 → 0x77000, WT at reset
    .u64(0x13_000n + 4n * 8n, 0x78_000n | P | PCD) // PT[4]: UC- at reset
    .u64(0x13_000n + 5n * 8n, 0x79_000n | P | PCD | PWT) // PT[5]: UC
    .u64(0x13_000n + 6n * 8n, 0x7a_000n | P | PAT4K) // PT[6]: PAT entry 4, WB at reset
    .u64(0x12_000n + 2n * 8n, 0x40_0000n | P | RW | PS | PWT); // PD[2]: 2 MiB page at 0x400000
  const spec = { mode: 'long4' as const, root };
  /** By hand: the self-map window starts at sign-extended 0x1ed << 39 = 0xfffff68000000000. */
  const WINDOW = 0xffff_f680_0000_0000n;

  it('finds the slot and its window', async () => {
    const slots = await recursiveSlots(spec, mem);
    expect(slots.map((s) => [s.slot, s.windowVa, s.windowBytes])).toEqual([[0x1ed, WINDOW, 1n << 39n]]);
  });

  it('a 4 KiB leaf: PFN, WT under the reset PAT, its PTE read through the window', async () => {
    const r = await translateReport(0x203abcn, spec, mem);
    expect(r.translation.pa).toBe(0x77abcn);
    expect([r.pfn, r.patIndex, r.memoryType, r.patSource]).toEqual([0x77n, 1, 'WT', 'reset']);
    // By hand: the PTE of VA v sits at WINDOW + (v >> 12) * 8 = WINDOW + 0x203 * 8.
    expect(r.entryVa).toBe(WINDOW + 0x203n * 8n);
    // Walking that VA through the same tables lands on the PTE's own physical address.
    const back = await translate(r.entryVa!, spec, mem);
    expect(back.pa).toBe(r.translation.steps[3].entryPa);
    expect(r.insideSelfMap).toBeUndefined();
  });

  it('memory types of PCD, PCD+PWT and the PAT bit, and under a guest PAT', async () => {
    const types = async (va: bigint, pat?: bigint) => {
      const r = await translateReport(va, spec, mem, { pat });
      return [r.patIndex, r.memoryType, r.patSource];
    };
    expect(await types(0x204000n)).toEqual([2, 'UC-', 'reset']);
    expect(await types(0x205000n)).toEqual([3, 'UC', 'reset']);
    expect(await types(0x206000n)).toEqual([4, 'WB', 'reset']);
    // Linux's PAT (arch/x86/mm/pat): PA0..7 = WB WC UC- UC WB WP UC- WT, i.e. 0x0407050600070106.
    expect(await types(0x203000n, 0x0407050600070106n)).toEqual([1, 'WC', 'guest']);
    expect(await types(0x206000n, 0x0407050600070106n)).toEqual([4, 'WB', 'guest']);
  });

  it('a 2 MiB leaf: its PDE through the window (two rounds through the slot)', async () => {
    const r = await translateReport(0x412345n, spec, mem);
    expect([r.translation.pa, r.pfn, r.memoryType]).toEqual([0x412345n, 0x412n, 'WT']);
    // By hand: the PDE of v sits at WINDOW + (0x1ed << 30) + (v >> 21) * 8.
    expect(r.entryVa).toBe(WINDOW + (0x1edn << 30n) + 2n * 8n);
    expect((await translate(r.entryVa!, spec, mem)).pa).toBe(0x12_000n + 2n * 8n);
  });

  it('a miss still says where the entry that stopped the walk can be written', async () => {
    const r = await translateReport(0x207000n, spec, mem);
    expect(r.translation.fault?.reason).toBe('not-present');
    expect([r.pfn, r.memoryType]).toEqual([undefined, undefined]);
    expect(r.entryVa).toBe(WINDOW + 0x207n * 8n);
  });

  it('a VA inside the window names an entry: a PTE, a PDE once the index repeats, up to the PML4E', async () => {
    const slots = await recursiveSlots(spec, mem);
    const at = (i4: bigint, i3: bigint, i2: bigint, i1: bigint) => 0xffff_0000_0000_0000n | (i4 << 39n) | (i3 << 30n) | (i2 << 21n) | (i1 << 12n);
    expect(selfMapReference(slots, 'long4', at(0x1edn, 0n, 1n, 3n))?.level).toBe(1);
    expect(selfMapReference(slots, 'long4', at(0x1edn, 0x1edn, 0n, 1n))?.level).toBe(2);
    expect(selfMapReference(slots, 'long4', at(0x1edn, 0x1edn, 0x1edn, 0n))?.level).toBe(3);
    expect(selfMapReference(slots, 'long4', at(0x1edn, 0x1edn, 0x1edn, 0x1edn))?.level).toBe(4);
    expect(selfMapReference(slots, 'long4', at(0x1ecn, 0x1edn, 0x1edn, 0x1edn))).toBeUndefined();
    const r = await translateReport(WINDOW + 0x203n * 8n, spec, mem);
    expect(r.insideSelfMap).toMatchObject({ slot: { slot: 0x1ed, windowVa: WINDOW }, level: 1 });
  });

  it('prints and serialises it all', async () => {
    const r = await translateReport(0x203abcn, spec, mem);
    const lines = translationLines(r, 'long4', root);
    expect(lines).toContain('  PFN 0x77; memory type WT (PAT entry 1; IA32_PAT taken at its reset value, the guest\'s is not known; MTRRs may still override)');
    expect(lines).toContain(`  PTE readable at VA 0x${(WINDOW + 0x203n * 8n).toString(16)} through the self-map slot 493 (0x1ed)`);
    const inside = translationLines(await translateReport(WINDOW + 0x203n * 8n, spec, mem), 'long4', root);
    expect(inside.at(-1)).toBe('note: VA lies in the window of self-map slot 493 (0x1ed) (0xfffff68000000000-0xfffff6ffffffffff): it names a PTE, not data');
    expect(translationJson(r, 'long4', root)).toMatchObject({
      pa: '0x77abc',
      pfn: '0x77',
      patIndex: 1,
      memoryType: 'WT',
      patSource: 'reset',
      entryVa: `0x${(WINDOW + 0x203n * 8n).toString(16)}`,
      selfMapSlot: 0x1ed,
    });
    expect(translationJson(await translateReport(WINDOW, spec, mem), 'long4', root).insideSelfMap).toEqual({ slotVa: '0xfffff68000000000', slot: 0x1ed, level: 1 });
  });
});

describe('32-bit paging with the page directory mapped through PD[0x3ff]', () => {
  const root = 0x1000n;
  const mem = new SparseMem()
    .u32(root + 0x3ffn * 4n, Number(root | P | RW))
    .u32(root + 1n * 4n, 0x2000 | 3) // PD[1] → PT at 0x2000
    .u32(0x2000n + 5n * 4n, 0x345000 | 3); // VA 0x405000 → 0x345000
  const spec = { mode: 'legacy32' as const, root };

  it('the classic 0xffc00000 + (va >> 12) * 4', async () => {
    const r = await translateReport(0x405123n, spec, mem);
    expect(r.translation.pa).toBe(0x345123n);
    expect(r.entryVa).toBe(0xffc0_0000n + 0x405n * 4n);
    expect((await translate(r.entryVa!, spec, mem)).pa).toBe(0x2014n);
    // The page directory itself: 0xfffff000 + (va >> 22) * 4, two rounds through the slot.
    expect((await translateReport(0xfffff004n, spec, mem)).insideSelfMap?.level).toBe(2);
  });
});

describe('hierarchies without a root-level self-map', () => {
  it('none in PAE (its PDPT has 4 entries) or EPT, nor where no root entry points back', async () => {
    const mem = new SparseMem().u64(0x1000n, 0x2000n | P).u64(0x2000n, 0x1000n | P | RW);
    expect(await recursiveSlots({ mode: 'pae', root: 0x1000n }, mem)).toEqual([]);
    expect(await recursiveSlots({ mode: 'ept', root: 0x1000n }, mem)).toEqual([]);
    expect(await recursiveSlots({ mode: 'long4', root: 0x1000n }, mem)).toEqual([]);
    const r = await translateReport(0x0n, { mode: 'long4', root: 0x1000n }, mem);
    expect([r.entryVa, r.insideSelfMap]).toEqual([undefined, undefined]);
  });
});
