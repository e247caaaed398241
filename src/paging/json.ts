import { hex } from '../util/numbers';
import { permsText } from './format';
import type { Translation } from './translate';
import type { TranslationReport } from './translationReport';
import type { DecodedEntry } from './types';
import type { WalkNote } from './tableWalk';

/**
 * The JSON shapes of entries, translations and walks, shared by the CLI's --json and the debug
 * adapter's custom requests (documented in docs/cli-json.md). 64-bit values are `0x…` strings,
 * sizes are numbers of bytes, flags are 0/1 under their SDM names.
 */
export function entryJson(e: DecodedEntry): Record<string, unknown> {
  return {
    mode: e.mode,
    level: e.level,
    raw: hex(e.raw),
    kind: e.kind,
    ...e.fields,
    address: hex(e.address),
    ...(e.pageSize !== undefined ? { pageSize: Number(e.pageSize) } : {}),
    reserved: hex(e.reserved),
    problems: e.problems,
  };
}

export function translationJson(r: TranslationReport, mode: string, root: bigint): Record<string, unknown> {
  const t = r.translation;
  return {
    va: hex(t.va),
    mode,
    root: hex(root),
    steps: t.steps.map((s) => ({
      level: s.level,
      table: hex(s.tablePa),
      index: s.index,
      entryAddress: hex(s.entryPa),
      entry: entryJson(s.entry),
    })),
    ...(t.pa !== undefined ? { pa: hex(t.pa), pageSize: Number(t.pageSize), flags: permsText(t.perms!, t.steps.at(-1)?.entry.fields.G === 1) } : {}),
    ...(r.pfn !== undefined ? { pfn: hex(r.pfn) } : {}),
    ...(r.patIndex !== undefined ? { patIndex: r.patIndex } : {}),
    ...(r.memoryType !== undefined ? { memoryType: r.memoryType, patSource: r.patSource } : {}),
    ...(t.fault ? { fault: faultJson(t.fault) } : {}),
    ...(r.entryVa !== undefined && r.entryVaSlot ? { entryVa: hex(r.entryVa), selfMapSlot: r.entryVaSlot.slot } : {}),
    ...(r.insideSelfMap ? { insideSelfMap: { slotVa: hex(r.insideSelfMap.slot.windowVa), slot: r.insideSelfMap.slot.slot, level: r.insideSelfMap.level } } : {}),
  };
}

/** Why a walk stopped, without what the memory source threw (not JSON). */
export function faultJson(f: NonNullable<Translation['fault']>): { reason: string; level?: number; message: string } {
  return { reason: f.reason, ...(f.level !== undefined ? { level: f.level } : {}), message: f.message };
}

/** The walk JSON's arrays of notes, in their order. */
export const NOTE_SECTIONS = ['selfMaps', 'sharedTables', 'faults', 'unreadable'] as const;
export type NoteSection = (typeof NOTE_SECTIONS)[number];

/** A note as its walk JSON array holds it. */
export function noteJson(e: WalkNote): { section: NoteSection; value: Record<string, unknown> } {
  switch (e.kind) {
    case 'selfMap':
      return { section: 'selfMaps', value: { va: hex(e.va), size: Number(e.size), entry: hex(e.entry.raw), level: e.level, target: hex(e.targetPa), targetLevel: e.targetLevel } };
    case 'shared':
      return { section: 'sharedTables', value: { va: hex(e.va), level: e.level, table: hex(e.tablePa), firstVa: hex(e.firstVa), ...(e.notWalked !== undefined ? { notWalked: Number(e.notWalked) } : {}) } };
    case 'bad':
      return { section: 'faults', value: { va: hex(e.va), size: Number(e.size), level: e.level, entry: hex(e.entry.raw), message: e.message } };
    case 'unreadable':
      return { section: 'unreadable', value: { va: hex(e.va), size: Number(e.size), level: e.level, table: hex(e.tablePa), message: e.message } };
  }
}

/** Notes sorted into the walk JSON's arrays (every array present, maybe empty). */
export function notesJson(notes: readonly WalkNote[]): Record<NoteSection, Record<string, unknown>[]> {
  const out: Record<NoteSection, Record<string, unknown>[]> = { selfMaps: [], sharedTables: [], faults: [], unreadable: [] };
  for (const n of notes) {
    const { section, value } = noteJson(n);
    out[section].push(value);
  }
  return out;
}
