import type { PhysMem } from '../memory/physMem';
import { type EntryRules, isBad, isLeaf, tableAddress } from './entryRules';
import { type PagingMode, tableBytes } from './modes';

/** A table's words, or why it could not be read. */
export type TableRead = Uint32Array | Error;

/** The part of the VA space a walk visits, as 4 KiB page numbers: [fromVpn, toVpn). */
export interface VpnWindow {
  fromVpn: number;
  toVpn: number;
}

/** Tables kept for shared subtrees: 8 MiB of 4 KiB tables. */
const RECENT_TABLES = 2048;

/** Tables read ahead of the walk at most (256 KiB of 4 KiB tables). */
const READ_AHEAD = 64;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A table's bytes as little-endian 32-bit words. */
function words(bytes: Uint8Array): Uint32Array {
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  const out = new Uint32Array(bytes.byteLength >>> 2);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = dv.getUint32(i * 4, true);
  return out;
}

/**
 * Reads paging-structure tables for a walk: a table's children in one batch, the tables the walk
 * will want next read ahead of it, recently read tables kept for shared subtrees, and each
 * table's present entries found once. Counts what it read.
 */
export class TableReader {
  /** Tables read from the source, and their bytes. */
  tablesRead = 0;
  bytesRead = 0;
  /**
   * Recently read tables (PA + level), so that a shared subtree walked again under another VA
   * (Linux espfix, Xen's shared L3s) is not read again; a table that could not be read is kept as
   * its error, or a missing frame under a shared table would be asked for once per visit. Bounded:
   * the oldest go first.
   */
  private readonly recent = new Map<number, TableRead>();
  /** Present entries of each table in hand (by its words), for walking a shared table again. */
  private readonly presentIndex = new WeakMap<Uint32Array, Uint16Array>();
  /** Reads asked for ahead of the walk (PA + level), not yet taken by the frame that wants them. */
  private readonly ahead = new Map<number, Promise<TableRead>>();

  constructor(
    private readonly mem: PhysMem,
    private readonly mode: PagingMode,
    private readonly rules: EntryRules,
    /** The window of the walk: tables wholly outside it are not read ahead. */
    private readonly window: VpnWindow,
    /** Every paging-structure frame the walk has seen (by PA), with the level it serves at. */
    private readonly frameLevel: ReadonlyMap<number, number>,
  ) {}

  /** The top-level table; it must be readable (a walk without it has nothing to say). */
  async readRoot(pa: bigint, level: number): Promise<Uint32Array> {
    const table = await this.mem.read(pa, tableBytes(this.mode, level));
    this.count(table.byteLength);
    return words(table);
  }

  /** The present entries of a table at `level`, found once per table read (shared subtrees are walked again). */
  presentOf(w: Uint32Array, level: number): Uint16Array {
    const known = this.presentIndex.get(w);
    if (known !== undefined) return known;
    const r = this.rules;
    const count = Math.min(r.entries[level], r.entryBytes === 8 ? w.length >>> 1 : w.length);
    const mask = r.mode === 'ept' ? 7 : 1;
    const all = new Uint16Array(count);
    let n = 0;
    for (let i = 0; i < count; i++) if (((r.entryBytes === 8 ? w[i << 1] : w[i]) & mask) !== 0) all[n++] = i;
    const present = all.slice(0, n);
    this.presentIndex.set(w, present);
    return present;
  }

  /**
   * Reads together the child tables (at `level`) of a table the walk opened, `wantedVpn` the first
   * page number each covers; a table that cannot be read is kept as its error. Then reads ahead.
   */
  async readChildren(level: number, wanted: number[], wantedVpn: number[]): Promise<Map<number, TableRead>> {
    const got = await Promise.all(wanted.map((pa) => this.fetch(pa, level)));
    const children = new Map(wanted.map((pa, i) => [pa, got[i]]));
    for (const pa of wanted) this.ahead.delete(pa + level);
    this.readAhead(level, wanted, wantedVpn, children);
    return children;
  }

  private count(bytes: number): void {
    this.tablesRead++;
    this.bytesRead += bytes;
  }

  /** A table's words: kept, already on its way, or read now. */
  private fetch(pa: number, level: number): Promise<TableRead> {
    const key = pa + level;
    const kept = this.recent.get(key);
    if (kept !== undefined) return Promise.resolve(kept);
    let p = this.ahead.get(key);
    if (p === undefined) {
      p = this.mem.read(BigInt(pa), tableBytes(this.mode, level)).then(
        (b) => {
          this.count(b.byteLength);
          const w = words(b);
          this.remember(key, w);
          return w;
        },
        (e: unknown) => {
          const error = e instanceof Error ? e : new Error(String(e));
          this.remember(key, error);
          return error;
        },
      );
      this.ahead.set(key, p);
      if (this.ahead.size > 2 * READ_AHEAD) this.ahead.delete(this.ahead.keys().next().value as number);
    }
    return p;
  }

  /**
   * Asks for the tables the walk will want next (the children of the children just read, in walk
   * order) while it works through what it has: on a stub that pipelines, the wire stays busy while
   * the walk runs. Which of them are really descended is decided when their parent is opened, as
   * always; one read ahead that turns out unneeded (a self-map's target) costs a read, no more.
   */
  private readAhead(childLevel: number, wanted: number[], wantedVpn: number[], children: Map<number, TableRead>): void {
    const r = this.rules;
    const level = childLevel - 1;
    if (level < 1) return;
    const cover = r.coverPages[level + 1];
    const { fromVpn, toVpn } = this.window;
    wanted.forEach((pa, k) => {
      const w = children.get(pa);
      if (!(w instanceof Uint32Array)) return;
      const present = this.presentOf(w, level + 1);
      for (let j = 0; j < present.length && this.ahead.size < READ_AHEAD; j++) {
        const i = present[j];
        const lo = r.entryBytes === 8 ? w[i * 2] : w[i];
        if (isLeaf(r, level + 1, lo)) continue;
        const vpn = wantedVpn[k] + i * cover;
        const hi = r.entryBytes === 8 ? w[i * 2 + 1] : 0;
        if (vpn + cover <= fromVpn || vpn >= toVpn || isBad(r, level + 1, false, lo, hi)) continue;
        const child = tableAddress(r, lo, hi);
        // A frame known to serve at another level is a self-map's target: not descended.
        const known = this.frameLevel.get(child);
        if (known === undefined || known === level) void this.fetch(child, level);
      }
    });
  }

  private remember(key: number, w: TableRead): void {
    this.recent.set(key, w);
    if (this.recent.size > RECENT_TABLES) this.recent.delete(this.recent.keys().next().value as number);
  }
}
