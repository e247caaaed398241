import { hex } from '../util/numbers';
import { permsText } from './format';
import type { MappedRange, WalkEvent } from './mappings';
import type { Translation } from './translate';
import type { TranslationReport } from './translationReport';
import type { DecodedEntry } from './types';
import type { WalkReport } from './walkReport';

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

export function leafJson(e: WalkEvent & { kind: 'leaf' }): Record<string, unknown> {
  return { va: hex(e.va), pa: hex(e.pa), size: Number(e.size), entry: hex(e.entry.raw), level: e.level, flags: permsText(e.perms, e.entry.fields.G === 1) };
}

export function rangeJson(r: MappedRange): Record<string, unknown> {
  return { va: hex(r.va), pa: hex(r.pa), size: Number(r.size), pageSize: Number(r.pageSize), pages: r.pages, flags: permsText(r.perms, r.global) };
}

/** A whole walk: ranges always, leaves on request, and what the walk did not descend into. */
export function walkJson(mode: string, root: bigint, report: WalkReport, withLeaves: boolean): Record<string, unknown> {
  const { events } = report;
  return {
    mode,
    root: hex(root),
    ...(withLeaves ? { leaves: report.leaves.map(leafJson) } : {}),
    ranges: report.ranges.map(rangeJson),
    selfMaps: events.flatMap((e) => (e.kind === 'selfMap' ? [{ va: hex(e.va), size: Number(e.size), entry: hex(e.entry.raw), level: e.level, target: hex(e.targetPa), targetLevel: e.targetLevel }] : [])),
    sharedTables: events.flatMap((e) => (e.kind === 'shared' ? [{ va: hex(e.va), level: e.level, table: hex(e.tablePa), firstVa: hex(e.firstVa) }] : [])),
    faults: events.flatMap((e) => (e.kind === 'bad' ? [{ va: hex(e.va), size: Number(e.size), level: e.level, entry: hex(e.entry.raw), message: e.message }] : [])),
    unreadable: events.flatMap((e) => (e.kind === 'unreadable' ? [{ va: hex(e.va), size: Number(e.size), level: e.level, table: hex(e.tablePa), message: e.message }] : [])),
  };
}
