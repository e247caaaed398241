import { HyperFrameError } from '../util/errors';
import { canonicalize, geometry, levelShift, type PagingMode } from './modes';

/**
 * A linear page table: the window a recursive entry opens onto the paging structures. Through it,
 * the entry that maps `va` at level 1 sits at `base + (va >> 12) * entryBytes` — the formula of
 * Xen's PAE guests, `((va & 0xFFFFF000) >> 9) + 0xFD800000` — and applying the same map again
 * gives the level-2 entry, and so on.
 */
export interface LinearPageTable {
  mode: PagingMode;
  /** VA at which the linear page table starts. */
  base: bigint;
}

/** The linear page table made by a recursive slot in the root table (32-bit and long modes). */
export function linearFromSlot(mode: PagingMode, slot: number): LinearPageTable {
  if (mode === 'pae' || mode === 'ept') {
    throw new HyperFrameError(
      'BAD_ARGUMENT',
      mode === 'pae'
        ? 'PAE has no single recursive root slot: give the linear page table base (e.g. 0xfd800000, made by four PDEs pointing at the four page directories)'
        : 'EPT tables are not mapped through themselves',
    );
  }
  const top = geometry(mode).topLevel;
  const entries = mode === 'legacy32' ? 1024 : 512;
  if (!Number.isInteger(slot) || slot < 0 || slot >= entries) {
    throw new HyperFrameError('BAD_ARGUMENT', `recursive slot ${slot} is out of range 0..${entries - 1}`);
  }
  return { mode, base: canonicalize(mode, BigInt(slot) << BigInt(levelShift(mode, top))) };
}

/** VA of the entry that maps `va` at `level` (1 = PTE, 2 = PDE, …), seen through the linear table. */
export function entryVaThroughLinear(lpt: LinearPageTable, va: bigint, level: number): bigint {
  const { entryBytes, vaBits, topLevel } = geometry(lpt.mode);
  if (level < 1 || level > topLevel) throw new HyperFrameError('BAD_ARGUMENT', `level ${level} is not in 1..${topLevel} for ${lpt.mode}`);
  const vaMask = (1n << BigInt(vaBits)) - 1n;
  let v = va;
  for (let i = 0; i < level; i++) {
    v = canonicalize(lpt.mode, lpt.base + ((v & vaMask) >> 12n) * BigInt(entryBytes));
  }
  return v;
}
