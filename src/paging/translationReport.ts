import type { PhysMem } from '../memory/physMem';
import { entryVaThroughLinear, type LinearPageTable, linearFromSlot } from './linear';
import { memoryType, type MemoryType, PAT_AT_RESET, patIndex } from './memoryType';
import { canonicalize, entryCoverage, geometry, indexAt, type PagingMode } from './modes';
import { type PagingSpec, resolveSpec } from './spec';
import { allEntries, TableReader } from './tables';
import { translate, type Translation } from './translate';
import { decodeEntry } from './entry';

/** A root-table entry that points back at the root: the window of a linear page table. */
export interface RecursiveSlot {
  /** Index in the root table. */
  slot: number;
  /** First VA of the window the slot opens, and its size. */
  windowVa: bigint;
  windowBytes: bigint;
  lpt: LinearPageTable;
}

/** What a VA inside a recursive slot's window names: a paging-structure entry, not data. */
export interface SelfMapReference {
  slot: RecursiveSlot;
  /** Level of the entry it names (1 = PTE …): one more for each further index equal to the slot. */
  level: number;
}

/** A translation and what else the tables say about it, for `translate` in every front end. */
export interface TranslationReport {
  translation: Translation;
  /** Number of the 4 KiB frame that holds the PA (pa >> 12), when the walk reached a page. */
  pfn?: bigint;
  /** IA32_PAT entry the leaf selects (PAT·4 + PCD·2 + PWT) and its memory type under `patSource`'s PAT. */
  patIndex?: number;
  memoryType?: MemoryType;
  /** Whose IA32_PAT: its value at reset unless the caller knows the guest's (no stub or core reports it). */
  patSource: 'reset' | 'guest';
  /**
   * Where the walk's last entry (the leaf, or the entry that stopped the walk) can be read through
   * the hierarchy's first recursive slot, when it has one.
   */
  entryVa?: bigint;
  entryVaSlot?: RecursiveSlot;
  /** Set when the VA lies inside a recursive slot's window. */
  insideSelfMap?: SelfMapReference;
}

/**
 * The recursive slots of a hierarchy: present entries of the root table that point at the root
 * itself, so that the root serves again one level down (Windows' PML4 self-reference, Xen's linear
 * page table, 32-bit kernels' page-directory self-map). PAE's 4-entry PDPT cannot hold one (its
 * linear windows are made by page-directory entries) and EPT tables are not mapped through
 * themselves: none there.
 */
export async function recursiveSlots(spec: PagingSpec, mem: PhysMem | TableReader): Promise<RecursiveSlot[]> {
  const s = resolveSpec(spec);
  if (s.mode === 'pae' || s.mode === 'ept') return [];
  const reader = mem instanceof TableReader ? mem : new TableReader(mem, s.mode);
  const top = s.geo.topLevel;
  const raws = allEntries(await reader.table(s.root, top), s.mode);
  const out: RecursiveSlot[] = [];
  raws.forEach((raw, slot) => {
    const e = decodeEntry(raw, s.mode, top, s.ctx);
    if (e.kind !== 'table' || e.address !== s.root || e.reserved) return;
    const lpt = linearFromSlot(s.mode, slot);
    out.push({ slot, windowVa: lpt.base, windowBytes: entryCoverage(s.mode, top), lpt });
  });
  return out;
}

/** The recursive slot whose window holds `va`, and which level of entry `va` names there. */
export function selfMapReference(slots: readonly RecursiveSlot[], mode: PagingMode, va: bigint): SelfMapReference | undefined {
  if (!slots.length) return undefined;
  const top = geometry(mode).topLevel;
  const slot = slots.find((s) => s.slot === indexAt(mode, top, va));
  if (!slot) return undefined;
  // Each further index equal to the slot goes round the root once more: one level up.
  let level = 1;
  for (let l = top - 1; l >= 1 && indexAt(mode, l, va) === slot.slot; l--) level++;
  return { slot, level };
}

/**
 * Walks `va` and gathers what `translate` reports besides the steps: the frame number, the memory
 * type the leaf asks for, where its entry can be read through a self-map, and whether `va` itself
 * lies in one. One table reader serves the walk and the root's slots: the root is read once.
 */
export async function translateReport(va: bigint, spec: PagingSpec, mem: PhysMem, opts: { pat?: bigint } = {}): Promise<TranslationReport> {
  const reader = new TableReader(mem, spec.mode);
  const translation = await translate(va, spec, reader);
  const report: TranslationReport = { translation, patSource: opts.pat === undefined ? 'reset' : 'guest' };
  const leaf = translation.steps.at(-1);
  if (translation.pa !== undefined && leaf) {
    report.pfn = translation.pa >> 12n;
    report.patIndex = leaf.entry.mode === 'ept' ? undefined : patIndex(leaf.entry.fields);
    report.memoryType = memoryType(leaf.entry.fields, opts.pat ?? PAT_AT_RESET);
  }
  // The root must be readable for the walk to have a first step; without one there is nothing to add.
  if (!translation.steps.length) return report;
  const slots = await recursiveSlots(spec, reader).catch(() => []);
  const first = slots[0];
  if (first && leaf) {
    report.entryVa = entryVaThroughLinear(first.lpt, va, leaf.level);
    report.entryVaSlot = first;
  }
  report.insideSelfMap = selfMapReference(slots, spec.mode, va);
  return report;
}

/** Last VA of a recursive slot's window, as the mode writes VAs. */
export function windowEnd(slot: RecursiveSlot, mode: PagingMode): bigint {
  return canonicalize(mode, slot.windowVa + slot.windowBytes - 1n);
}
