/**
 * The walker's 32-bit arithmetic on entries against decodeEntry (entry.ts, ept.ts, tested against
 * the SDM in decode.test.ts and ept.test.ts): for any raw value, at any level, in every mode and
 * context, the same present/leaf/fault answer, the same address, the same rights, G and memory type.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEntry } from '../../src/paging/entry';
import {
  ATTR_G,
  ATTR_R,
  ATTR_RIGHTS,
  ATTR_TYPE_SHIFT,
  ATTR_U,
  ATTR_W,
  ATTR_X,
  entryRights,
  entryRules,
  isBad,
  isLeaf,
  isPresent,
  leafAttributes,
  leafPfn,
  tableAddress,
} from '../../src/paging/entryRules';
import { memoryTypeOfEncoding, memoryType, PAT_AT_RESET } from '../../src/paging/memoryType';
import { geometry, withDefaults, type PagingContext, type PagingMode } from '../../src/paging/modes';
import { combinePerms, FULL_PERMS } from '../../src/paging/translate';

const MODES: PagingMode[] = ['legacy32', 'pae', 'long4', 'long5', 'ept'];

/** Raw values that hit the interesting bits often: P/PS, address bits, the high reserved bits, XD. */
const raw64 = fc
  .tuple(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean())
  .map(([r, low, ps, clearHigh]) => {
    let v = (r & ~3n) | BigInt(low);
    v = ps ? v | 0x80n : v & ~0x80n;
    // Half the time only the bits a sane entry sets (so that not every entry is a fault).
    return clearHigh ? v & ((1n << 63n) | 0x000f_ffff_ffff_ffffn) & ~0x7ff0_0000_0000_0000n : v;
  });

const context: fc.Arbitrary<PagingContext> = fc
  .record({ maxPhyAddr: fc.integer({ min: 36, max: 52 }), pse: fc.boolean(), nxe: fc.boolean(), pke: fc.boolean(), page1G: fc.boolean(), eptAD: fc.boolean() })
  .map((c) => withDefaults(c));

describe.each(MODES)('entry rules agree with decodeEntry (%s)', (mode) => {
  const top = geometry(mode).topLevel;
  it('present, leaf, fault, address, rights, G and memory type', () => {
    fc.assert(
      fc.property(raw64, fc.integer({ min: 1, max: top }), context, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (raw0, level, ctx, pat) => {
        const raw = mode === 'legacy32' ? raw0 & 0xffff_ffffn : raw0;
        const lo = Number(raw & 0xffff_ffffn);
        const hi = Number(raw >> 32n);
        const r = entryRules(mode, ctx, undefined, pat);
        const e = decodeEntry(raw, mode, level, ctx);
        expect(isPresent(r, lo)).toBe(e.kind !== 'not-present');
        if (e.kind === 'not-present') return;
        const leaf = isLeaf(r, level, lo);
        expect(leaf).toBe(e.kind === 'page');
        expect(isBad(r, level, leaf, lo, hi)).toBe(e.reserved !== 0n || e.problems.length > 0);
        if (e.reserved !== 0n || e.problems.length > 0) return;
        const perms = combinePerms(FULL_PERMS, e);
        const rights = entryRights(r, level, lo, hi);
        expect({ read: (rights & ATTR_R) !== 0, write: (rights & ATTR_W) !== 0, user: (rights & ATTR_U) !== 0, exec: (rights & ATTR_X) !== 0 }).toEqual(perms);
        expect(rights & ~ATTR_RIGHTS).toBe(0);
        if (!leaf) {
          expect(BigInt(tableAddress(r, lo, hi))).toBe(e.address);
          return;
        }
        expect(BigInt(leafPfn(r, level, lo, hi)) << 12n).toBe(e.address);
        const attrs = leafAttributes(r, level, lo);
        expect((attrs & ATTR_G) !== 0).toBe(e.fields.G === 1);
        const type = memoryTypeOfEncoding((attrs >>> ATTR_TYPE_SHIFT) & 7);
        expect(type).toBe(memoryType(e.fields, pat));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('entry rules by hand (SDM vol. 3A 4.5, 12.12)', () => {
  it('a 2 MiB PDE with PAT (bit 12) and PCD under the reset PAT is UC- (PAT index 6)', () => {
    const r = entryRules('long4', withDefaults(), undefined, PAT_AT_RESET);
    const lo = 0x0020_1093; // address 0x200000, PAT, PS, PCD, RW, P
    expect(isLeaf(r, 2, lo)).toBe(true);
    expect(leafPfn(r, 2, lo, 0)).toBe(0x200);
    expect(memoryTypeOfEncoding((leafAttributes(r, 2, lo) >>> ATTR_TYPE_SHIFT) & 7)).toBe('UC-');
  });

  it('a 4 MiB PSE-36 page keeps PDE bits 20:13 as address bits 39:32', () => {
    const r = entryRules('legacy32', withDefaults({ maxPhyAddr: 40 }));
    const lo = (0x00c0_0000 | (0x12 << 13) | 0x83) >>> 0;
    expect(leafPfn(r, 2, lo, 0) * 4096).toBe(0x12_00c0_0000);
  });
});
