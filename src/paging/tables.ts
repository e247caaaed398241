import type { PhysMem } from '../memory/physMem';
import { readLE } from '../util/numbers';
import { geometry, type PagingMode, tableBytes } from './modes';

/**
 * Reads paging-structure tables whole, each in one read, and keeps them for the length of one
 * walk: a table shared by several entries (or reached by several translations) costs one read.
 */
export class TableReader {
  private readonly cache = new Map<string, Promise<Uint8Array>>();
  readsIssued = 0;

  constructor(
    private readonly mem: PhysMem,
    private readonly mode: PagingMode,
  ) {}

  table(pa: bigint, level: number): Promise<Uint8Array> {
    const bytes = tableBytes(this.mode, level);
    const key = `${pa}:${bytes}`;
    let t = this.cache.get(key);
    if (!t) {
      this.readsIssued++;
      t = this.mem.read(pa, bytes);
      this.cache.set(key, t);
      // A failed read is not remembered: the next walk may succeed (a live target resumed).
      t.catch(() => this.cache.delete(key));
    }
    return t;
  }

  async entry(tablePa: bigint, level: number, index: number): Promise<bigint> {
    const t = await this.table(tablePa, level);
    return entryAt(t, this.mode, index);
  }
}

export function entryAt(table: Uint8Array, mode: PagingMode, index: number): bigint {
  const { entryBytes } = geometry(mode);
  return readLE(table, index * entryBytes, entryBytes);
}

/** Every entry of a table, read with one DataView (walks read all 512 of each table). */
export function allEntries(table: Uint8Array, mode: PagingMode): bigint[] {
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const out: bigint[] = [];
  if (geometry(mode).entryBytes === 8) for (let o = 0; o + 8 <= table.length; o += 8) out.push(dv.getBigUint64(o, true));
  else for (let o = 0; o + 4 <= table.length; o += 4) out.push(BigInt(dv.getUint32(o, true)));
  return out;
}
