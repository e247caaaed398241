import { decodeEntry } from '../paging/entry';
import { ENTRY_FIELD_ORDER, setFlags } from '../paging/format';
import { memoryType, patIndex } from '../paging/memoryType';
import { canonicalize, entryCoverage, geometry, type PagingContext, type PagingMode } from '../paging/modes';
import { entryAt } from '../paging/tables';
import type { DecodedEntry } from '../paging/types';
import type { EntryInfo, TableEntry } from './dapRequests';
import { hex } from '../util/numbers';

/** A decoded entry in the one shape every `hyperframe/*` request uses (shared/dapRequests.ts). */
export function entryInfo(e: DecodedEntry): EntryInfo {
  // In the SDM's bit order, as `decode` lists them (the decoder fills them in another order).
  const fields: Record<string, number> = {};
  for (const k of ENTRY_FIELD_ORDER) {
    const v = e.fields[k];
    if (typeof v === 'number') fields[k] = v;
  }
  const page = e.kind === 'page';
  const type = page ? memoryType(e.fields) : undefined;
  return {
    level: e.level,
    raw: hex(e.raw),
    kind: e.kind,
    address: hex(e.address),
    ...(e.pageSize !== undefined ? { pageSize: Number(e.pageSize) } : {}),
    flags: setFlags(e.fields),
    fields,
    reserved: hex(e.reserved),
    ...(e.problems.length ? { problems: e.problems } : {}),
    ...(page && e.mode !== 'ept' ? { patIndex: patIndex(e.fields) } : {}),
    ...(type ? { memoryType: type } : {}),
  };
}

export interface TableDecodeOptions {
  /** Physical address of the table's first byte (entries' own addresses follow from it). */
  table: bigint;
  baseVa: bigint;
  /** The hierarchy's root: an entry pointing at it (or at this table) is a recursive slot. */
  root?: bigint;
  /** Also list zero entries. */
  all: boolean;
  ctx?: Partial<PagingContext>;
}

/** Every entry of a table's bytes (zeros only with `all`), each with its VA, index and own PA. */
export function tableEntries(data: Uint8Array, mode: PagingMode, level: number, opts: TableDecodeOptions): TableEntry[] {
  const { entryBytes } = geometry(mode);
  const n = Math.floor(data.length / entryBytes);
  const cover = entryCoverage(mode, level);
  const out: TableEntry[] = [];
  for (let i = 0; i < n; i++) {
    const raw = entryAt(data, mode, i);
    if (raw === 0n && !opts.all) continue;
    const e = decodeEntry(raw, mode, level, opts.ctx);
    const selfMap = e.kind === 'table' && (e.address === opts.table || e.address === opts.root);
    out.push({
      index: i,
      va: hex(canonicalize(mode, opts.baseVa + BigInt(i) * cover)),
      entryPa: hex(opts.table + BigInt(i * entryBytes)),
      ...entryInfo(e),
      ...(selfMap ? { selfMap: true } : {}),
    });
  }
  return out;
}
