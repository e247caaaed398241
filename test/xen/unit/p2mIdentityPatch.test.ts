import { describe, expect, it } from 'vitest';
import { P2mTree, type P2mRange, type P2mTreeOptions } from '../../../src/xen';
import { FakeMem } from './fakeMem';

/**
 * The example of the 2011 xen-devel P2M identity patch rebuilt in memory: a 64-bit dom0 booted with dom0_mem=max:3GB,1GB on a machine
 * whose E820 has RAM up to 1029 MB, ACPI / reserved / a gap up to 2001 MB, then RAM again. Linux
 * made 263424 (0x40500) .. 512256 (0x7D100) identity:
 *   p2m[0]            → a mid page whose 512 entries point into the domain builder's mfn_list
 *   p2m[1]            → a mid page allocated for the 1 GiB 0x40000..0x80000:
 *     p2m[1][0..1]    → p2m_missing
 *     p2m[1][2]       → a leaf: [0..255] ~0 (missing), [256..511] IDENTITY
 *     p2m[1][3..487]  → p2m_identity
 *     p2m[1][488]     → a leaf: [0..256] IDENTITY, [257..511] ~0
 *     p2m[1][489..]   → p2m_missing
 *   p2m[2..511]       → p2m_mid_missing (whose entries all point at p2m_missing)
 * The patch (and the comment atop p2m.c) say p2m[1][488][0->256], 256 included, though the loop in
 * set_phys_range_identity() stops before pfn_e; the fixture follows the patch.
 */
const BRK = 0xffff_ffff_8200_0000n; // where extend_brk() put the pages
const TOP = BRK;
const MID_MISSING = BRK + 0x1000n;
const MISSING = BRK + 0x2000n;
const IDENTITY = BRK + 0x3000n;
const MID0 = BRK + 0x4000n;
const MID1 = BRK + 0x5000n;
const LEAF_1_2 = BRK + 0x6000n;
const LEAF_1_488 = BRK + 0x7000n;
const MID3_PCI = BRK + 0x8000n;
const MFN_LIST = 0xffff_ffff_8300_0000n; // start_info.mfn_list
const INVALID = 0xffff_ffff_ffff_ffffn;
const ID_BIT = 1n << 62n;
const FOREIGN_BIT = 1n << 63n;

/** The domain builder's mfn_list: the patch's 0x290F, 0x290E, 0x290D, then two ascending runs and one foreign frame. */
function mfnOf(pfn: number): bigint {
  if (pfn < 3) return BigInt(0x290f - pfn);
  if (pfn < 0x20000) return 0x200000n + BigInt(pfn);
  if (pfn === 0x30000) return FOREIGN_BIT | 0x123456n;
  return 0x100000n + BigInt(pfn - 0x20000);
}

function identityPatchExample(withPciHole = false): FakeMem {
  const mem = new FakeMem();
  mem.fill64(TOP, 512, (i) => (i === 0 ? MID0 : i === 1 ? MID1 : i === 3 && withPciHole ? MID3_PCI : MID_MISSING));
  mem.fill64(MID_MISSING, 512, () => MISSING);
  mem.fill64(MISSING, 512, () => INVALID);
  mem.fill64(IDENTITY, 512, () => INVALID); // "All entries in p2m_identity are set to INVALID_P2M_ENTRY"
  mem.fill64(MFN_LIST, 0x40000, mfnOf);
  mem.fill64(MID0, 512, (i) => MFN_LIST + BigInt(i) * 4096n);
  mem.fill64(MID1, 512, (i) => (i === 2 ? LEAF_1_2 : i === 488 ? LEAF_1_488 : i >= 3 && i <= 487 ? IDENTITY : MISSING));
  mem.fill64(LEAF_1_2, 512, (i) => (i < 256 ? INVALID : ID_BIT | (0x40400n + BigInt(i))));
  mem.fill64(LEAF_1_488, 512, (i) => (i <= 256 ? ID_BIT | (0x7d000n + BigInt(i)) : INVALID));
  // The variant: the 3-4 GiB PCI hole made identity too, a whole mid page of p2m_identity.
  if (withPciHole) mem.fill64(MID3_PCI, 512, () => IDENTITY);
  return mem;
}

const OPTS: P2mTreeOptions = { bitsPerLong: 64, top: TOP, midMissing: MID_MISSING, missing: MISSING, identity: IDENTITY };

async function all(gen: AsyncGenerator<P2mRange>): Promise<P2mRange[]> {
  const out: P2mRange[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

describe('the 2011 P2M identity patch: the three-level P2M tree', () => {
  it('indexes 512 x 512 x 512 for 64-bit longs', () => {
    const t = new P2mTree(identityPatchExample(), OPTS);
    expect(t.geometry).toEqual({ perPage: 512n, midPerPage: 512n, topPerPage: 512n, maxPfn: 1n << 27n });
  });

  it('finds the domain builder’s frames: pfn_to_mfn(2) == 0x290D', async () => {
    const t = new P2mTree(identityPatchExample(), OPTS);
    expect(await t.pfnToMfn(2n)).toMatchObject({ kind: 'mfn', mfn: 0x290dn, via: 'leaf', topIndex: 0, midIndex: 0, index: 2, entryVa: MFN_LIST + 16n });
    expect(await t.pfnToMfn(0x30000n)).toMatchObject({ kind: 'foreign', mfn: 0x123456n, raw: FOREIGN_BIT | 0x123456n });
  });

  it('puts the 263424 (0x40500) boundary at p2m[1][2][256]', async () => {
    const t = new P2mTree(identityPatchExample(), OPTS);
    expect(await t.pfnToMfn(263423n)).toMatchObject({ kind: 'missing', raw: INVALID, via: 'leaf', topIndex: 1, midIndex: 2, index: 255, leafPage: LEAF_1_2 });
    expect(await t.pfnToMfn(263424n)).toMatchObject({ kind: 'identity', mfn: 0x40500n, raw: ID_BIT | 0x40500n, via: 'leaf', topIndex: 1, midIndex: 2, index: 256 });
    expect(await t.pfnToMfn(0x40400n)).toMatchObject({ kind: 'missing', via: 'leaf', index: 0 });
    expect(await t.pfnToMfn(0x40000n)).toMatchObject({ kind: 'missing', via: 'missing-page', midIndex: 0, midPage: MID1 });
  });

  it('answers identity from the p2m_identity page without reading it', async () => {
    const mem = identityPatchExample();
    const t = new P2mTree(mem, OPTS);
    // 0x50000 is p2m[1][128]: a p2m_identity mid entry.
    expect(await t.pfnToMfn(0x50000n)).toMatchObject({ kind: 'identity', mfn: 0x50000n, raw: ID_BIT | 0x50000n, via: 'identity-page', midIndex: 128 });
    expect(mem.reads.some((r) => r.addr >= IDENTITY && r.addr < IDENTITY + 4096n)).toBe(false);
  });

  it('puts the 512256 (0x7D100) boundary at p2m[1][488][256] as the patch draws it', async () => {
    const t = new P2mTree(identityPatchExample(), OPTS);
    expect(await t.pfnToMfn(512256n)).toMatchObject({ kind: 'identity', mfn: 0x7d100n, via: 'leaf', topIndex: 1, midIndex: 488, index: 256 });
    expect(await t.pfnToMfn(512257n)).toMatchObject({ kind: 'missing', via: 'leaf', index: 257 });
    expect(await t.pfnToMfn(0x7d200n)).toMatchObject({ kind: 'missing', via: 'missing-page', midIndex: 489 });
  });

  it('pfn_to_mfn(0xc0000): INVALID_P2M_ENTRY while p2m[3] is p2m_mid_missing, 0xc0000 once 1-1 mapped', async () => {
    expect(await new P2mTree(identityPatchExample(), OPTS).pfnToMfn(0xc0000n)).toMatchObject({ kind: 'missing', raw: INVALID, via: 'mid-missing', topIndex: 3 });
    const r = await new P2mTree(identityPatchExample(true), OPTS).pfnToMfn(0xc0000n);
    expect(r).toMatchObject({ kind: 'identity', mfn: 0xc0000n, via: 'identity-page', topIndex: 3, midIndex: 0 });
    expect(r.raw).toBe(0x4000_0000_000c_0000n); // the IDENTITY_FRAME_BIT is in the raw value
  });

  it('treats pfns past MAX_P2M_PFN as missing, as get_phys_to_machine() does', async () => {
    expect(await new P2mTree(identityPatchExample(), OPTS).pfnToMfn(1n << 27n)).toMatchObject({ kind: 'missing', via: 'beyond-tree' });
  });

  it('lists the whole tree as merged runs, reading each page it needs once', async () => {
    const mem = identityPatchExample();
    const t = new P2mTree(mem, OPTS);
    const ranges = await all(t.ranges());
    expect(ranges).toEqual([
      { pfnStart: 0n, pfnEnd: 1n, kind: 'mfn', mfnStart: 0x290fn },
      { pfnStart: 1n, pfnEnd: 2n, kind: 'mfn', mfnStart: 0x290en },
      { pfnStart: 2n, pfnEnd: 3n, kind: 'mfn', mfnStart: 0x290dn },
      { pfnStart: 3n, pfnEnd: 0x20000n, kind: 'mfn', mfnStart: 0x200003n },
      { pfnStart: 0x20000n, pfnEnd: 0x30000n, kind: 'mfn', mfnStart: 0x100000n },
      { pfnStart: 0x30000n, pfnEnd: 0x30001n, kind: 'foreign', mfnStart: 0x123456n },
      { pfnStart: 0x30001n, pfnEnd: 0x40000n, kind: 'mfn', mfnStart: 0x110001n },
      { pfnStart: 0x40000n, pfnEnd: 263424n, kind: 'missing', mfnStart: undefined },
      { pfnStart: 263424n, pfnEnd: 512257n, kind: 'identity', mfnStart: 263424n },
      { pfnStart: 512257n, pfnEnd: 1n << 27n, kind: 'missing', mfnStart: undefined },
    ]);
    // top + two mids + 512 leaves under p2m[0] + the two boundary leaves; never the shared pages.
    expect(t.pagesRead).toBe(517);
    const pages = mem.reads.map((r) => r.addr >> 12n);
    expect(new Set(pages).size).toBe(pages.length);
    for (const shared of [MID_MISSING, MISSING, IDENTITY]) expect(pages).not.toContain(shared >> 12n);
  });

  it('lists a window, and the PCI-hole variant', async () => {
    const t = new P2mTree(identityPatchExample(true), OPTS);
    expect(await all(t.ranges(0x40480n, 0x40520n))).toEqual([
      { pfnStart: 0x40480n, pfnEnd: 0x40500n, kind: 'missing', mfnStart: undefined },
      { pfnStart: 0x40500n, pfnEnd: 0x40520n, kind: 'identity', mfnStart: 0x40500n },
    ]);
    expect(await all(t.ranges(0x7d000n, 0x200000n))).toEqual([
      { pfnStart: 0x7d000n, pfnEnd: 512257n, kind: 'identity', mfnStart: 0x7d000n },
      { pfnStart: 512257n, pfnEnd: 0xc0000n, kind: 'missing', mfnStart: undefined },
      { pfnStart: 0xc0000n, pfnEnd: 0x100000n, kind: 'identity', mfnStart: 0xc0000n },
      { pfnStart: 0x100000n, pfnEnd: 0x200000n, kind: 'missing', mfnStart: undefined },
    ]);
  });

  it('names the page it could not read', async () => {
    const mem = identityPatchExample();
    mem.pages.delete(LEAF_1_488 >> 12n);
    await expect(new P2mTree(mem, OPTS).pfnToMfn(512256n)).rejects.toThrow(/p2m\[1\]\[488\]\[256\] at 0xffffffff82007800/);
  });
});

describe('a 32-bit P2M tree (1024 x 1024 x 1024)', () => {
  const top = 0xc200_0000n;
  const midMissing = top + 0x1000n;
  const missing = top + 0x2000n;
  const identity = top + 0x3000n;
  const mid0 = top + 0x4000n;
  const leaf0 = top + 0x5000n;
  function mem32(): FakeMem {
    const m = new FakeMem();
    m.fill32(top, 1024, (i) => (i === 0 ? mid0 : midMissing));
    m.fill32(midMissing, 1024, () => missing);
    m.fill32(missing, 1024, () => 0xffff_ffffn);
    m.fill32(identity, 1024, () => 0xffff_ffffn);
    m.fill32(mid0, 1024, (i) => (i === 0 ? leaf0 : i === 1 ? identity : missing));
    m.fill32(leaf0, 1024, (i) => (i < 2 ? 0x1000n + BigInt(i) : i === 2 ? 0x8000_0777n : 0xffff_ffffn));
    return m;
  }
  const opts: P2mTreeOptions = { bitsPerLong: 32, top, midMissing, missing, identity };

  it('decodes 32-bit values and places the identity bit at 30', async () => {
    const t = new P2mTree(mem32(), opts);
    expect(t.geometry.maxPfn).toBe(1n << 30n);
    expect(await t.pfnToMfn(1n)).toMatchObject({ kind: 'mfn', mfn: 0x1001n, entryVa: leaf0 + 4n });
    expect(await t.pfnToMfn(2n)).toMatchObject({ kind: 'foreign', mfn: 0x777n });
    expect(await t.pfnToMfn(1024n)).toMatchObject({ kind: 'identity', raw: 0x4000_0400n, via: 'identity-page', midIndex: 1 });
    expect(await t.pfnToMfn(1n << 20n)).toMatchObject({ kind: 'missing', raw: 0xffff_ffffn, via: 'mid-missing', topIndex: 1 });
  });

  it('merges runs', async () => {
    expect(await all(new P2mTree(mem32(), opts).ranges(0n, 1n << 21n))).toEqual([
      { pfnStart: 0n, pfnEnd: 2n, kind: 'mfn', mfnStart: 0x1000n },
      { pfnStart: 2n, pfnEnd: 3n, kind: 'foreign', mfnStart: 0x777n },
      { pfnStart: 3n, pfnEnd: 1024n, kind: 'missing', mfnStart: undefined },
      { pfnStart: 1024n, pfnEnd: 2048n, kind: 'identity', mfnStart: 1024n },
      { pfnStart: 2048n, pfnEnd: 1n << 21n, kind: 'missing', mfnStart: undefined },
    ]);
  });
});
