import { HyperFrameError } from '../util/errors';
import { entryVaThroughLinear, type LinearPageTable } from '../paging/linear';
import { canonicalize, geometry, levelShift } from '../paging/modes';
import { directMapOffsetToMaddr, maddrToDirectMapOffset, NO_PDX_COMPRESSION, type PdxParams, pdxToPfn } from './pdx';
import { pml4SlotOf, type XenLayout, type XenRegion } from './layouts';

export * from './layouts';
export * from './layouts32';

/** Where a VA falls in Xen's layout, with what that region lets us compute about it. */
export interface RegionHit {
  va: bigint;
  region: XenRegion;
  /** x86_64 layouts: the PML4 slot of `va`. */
  pml4Slot?: number;
  /** Offset of `va` in the region. */
  offset: bigint;
  /** In the (shadow) linear page table: which entry this VA is, for which VA range. */
  linear?: LinearEntry & { table: LinearPageTable };
  /** In the direct map: the machine address it shows. */
  directMap?: { maddr: bigint };
  /** In an M2P: the mfn whose entry this byte belongs to. */
  m2p?: { mfn: bigint; entryBytes: 4 | 8 };
  /** In the frame table: which struct page_info, which field. */
  frameTable?: { pdx: bigint; mfn: bigint; byteInEntry: number };
}

/** An entry of a linear page table: the level-`level` entry covering VAs from `mapsVa`. */
export interface LinearEntry {
  level: number;
  mapsVa: bigint;
  /** Bytes of address space the entry covers. */
  covers: bigint;
}

export interface RegionOptions {
  /** PDX compression parameters, for direct-map and frame-table VAs (default: none). */
  pdx?: PdxParams;
}

/** The region of `layout` holding `va`, with what it means there. */
export function regionOf(va: bigint, layout: XenLayout, opts: RegionOptions = {}): RegionHit | undefined {
  const region = layout.regions.find((r) => va >= r.start && va < r.end);
  if (!region) return undefined;
  const hit: RegionHit = { va, region, offset: va - region.start };
  if (layout.mode === 'long4') hit.pml4Slot = pml4SlotOf(va);
  switch (region.kind) {
    case 'linear-pt':
    case 'shadow-linear-pt': {
      const table = region.kind === 'linear-pt' ? layout.linearPageTable : layout.shadowLinearPageTable;
      if (table) hit.linear = { ...linearEntryOf(va, table), table };
      break;
    }
    case 'direct-map':
      hit.directMap = { maddr: directMapOffsetToMaddr(hit.offset, opts.pdx ?? NO_PDX_COMPRESSION) };
      break;
    case 'm2p-ro':
    case 'm2p-rw':
    case 'm2p-compat': {
      const entryBytes = region.kind === 'm2p-compat' ? 4 : layout.m2p.entryBytes;
      hit.m2p = { mfn: hit.offset / BigInt(entryBytes), entryBytes };
      break;
    }
    case 'frame-table': {
      const size = layout.frameTable?.entryBytes;
      if (size) {
        const pdx = hit.offset / BigInt(size);
        hit.frameTable = { pdx, mfn: pdxToPfn(pdx, opts.pdx ?? NO_PDX_COMPRESSION), byteInEntry: Number(hit.offset % BigInt(size)) };
      }
      break;
    }
    default:
      break;
  }
  return hit;
}

/**
 * Reads a VA inside a linear page table backwards: the entry there is the level-1 entry of the
 * page at ((va - base) / entry size) << 12, unless that page is itself inside the window, in which
 * case it is the level-2 entry of the VA that page maps, and so on up to the root.
 */
export function linearEntryOf(va: bigint, table: LinearPageTable): LinearEntry {
  if (table.mode === 'ept') throw new HyperFrameError('BAD_ARGUMENT', 'EPT tables are not mapped through themselves');
  const { entryBytes, topLevel: rootLevel } = geometry(table.mode);
  // The window is one root slot, except PAE's: four page-directory slots (8 MiB), as Xen's.
  const topLevel = table.mode === 'pae' ? 2 : rootLevel;
  const size = table.mode === 'pae' ? 8n << 20n : 1n << BigInt(levelShift(table.mode, topLevel));
  const inWindow = (v: bigint) => v >= table.base && v < table.base + size;
  if (!inWindow(va)) throw new HyperFrameError('BAD_ARGUMENT', `0x${va.toString(16)} is not in the linear page table at 0x${table.base.toString(16)}`);
  let v = va;
  let level = 1;
  for (;;) {
    const covered = canonicalize(table.mode, ((v - table.base) / BigInt(entryBytes)) << 12n);
    if (inWindow(covered) && level < topLevel) {
      v = covered;
      level++;
      continue;
    }
    const covers = 1n << BigInt(levelShift(table.mode, level));
    return { level, mapsVa: covered & ~(covers - 1n), covers };
  }
}

/** VA of the entry mapping `va` at `level` (1 = PTE), through the layout's linear page table. */
export function pteVa(va: bigint, layout: XenLayout, level = 1): bigint {
  if (!layout.linearPageTable) throw new HyperFrameError('BAD_ARGUMENT', `${layout.name} has no linear page table`);
  if (layout.mode === 'pae' && level > 2) throw new HyperFrameError('BAD_ARGUMENT', 'the PAE linear page table maps page tables and directories (levels 1-2) only');
  return entryVaThroughLinear(layout.linearPageTable, va, level);
}

function needDirectMap(layout: XenLayout): { start: bigint; end: bigint } {
  if (!layout.directMap) throw new HyperFrameError('BAD_ARGUMENT', `${layout.name} has no direct map`);
  return layout.directMap;
}

/** Xen VA of machine address `maddr` in the direct map (__maddr_to_virt). */
export function directMapVa(maddr: bigint, layout: XenLayout, pdx: PdxParams = NO_PDX_COMPRESSION): bigint {
  const dm = needDirectMap(layout);
  const va = dm.start + maddrToDirectMapOffset(maddr, pdx);
  if (va >= dm.end) throw new HyperFrameError('OUT_OF_RANGE', `machine address 0x${maddr.toString(16)} is beyond ${layout.name}'s direct map`);
  return va;
}

/** Machine address shown at direct-map VA `va` (__virt_to_maddr). */
export function directMapMaddr(va: bigint, layout: XenLayout, pdx: PdxParams = NO_PDX_COMPRESSION): bigint {
  const dm = needDirectMap(layout);
  if (va < dm.start || va >= dm.end) throw new HyperFrameError('BAD_ARGUMENT', `0x${va.toString(16)} is not in ${layout.name}'s direct map`);
  return directMapOffsetToMaddr(va - dm.start, pdx);
}

export type M2pView = 'read-only' | 'writable' | 'compat';

/** VA of machine_to_phys_mapping[mfn] in one of the layout's M2P views (default: the guest-readable one). */
export function m2pEntryVa(mfn: bigint, layout: XenLayout, view: M2pView = 'read-only'): bigint {
  const { base, entryBytes } = m2pView(layout, view);
  return base + mfn * BigInt(entryBytes);
}

export function m2pView(layout: XenLayout, view: M2pView): { base: bigint; entryBytes: 4 | 8 } {
  const base = view === 'read-only' ? layout.m2p.readOnly : view === 'writable' ? layout.m2p.writable : layout.m2p.compat;
  if (base === undefined) throw new HyperFrameError('BAD_ARGUMENT', `${layout.name} has no ${view} M2P`);
  return { base, entryBytes: view === 'compat' ? 4 : layout.m2p.entryBytes };
}
