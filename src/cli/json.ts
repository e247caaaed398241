import type { DecodedEntry } from '../paging/types';
import type { MappedRange, WalkEvent } from '../paging/mappings';
import { permsText } from '../paging/format';
import type { Translation } from '../paging/translate';
import { hex } from '../util/numbers';

/**
 * The CLI's JSON schemas (documented in docs/cli-json.md). 64-bit values are `0x…` strings,
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

export function translationJson(t: Translation, mode: string, root: bigint): Record<string, unknown> {
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
    ...(t.fault ? { fault: t.fault } : {}),
  };
}

export function leafJson(e: WalkEvent & { kind: 'leaf' }): Record<string, unknown> {
  return { va: hex(e.va), pa: hex(e.pa), size: Number(e.size), entry: hex(e.entry.raw), level: e.level, flags: permsText(e.perms, e.entry.fields.G === 1) };
}

export function rangeJson(r: MappedRange): Record<string, unknown> {
  return { va: hex(r.va), pa: hex(r.pa), size: Number(r.size), pageSize: Number(r.pageSize), pages: r.pages, flags: permsText(r.perms, r.global) };
}
