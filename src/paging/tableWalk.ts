import type { PhysMem } from '../memory/physMem';
import { decodeEntry } from './entry';
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
  type EntryRules,
  isBad,
  isLeaf,
  leafAttributes,
  leafPfn,
  tableAddress,
} from './entryRules';
import { canonicalize, type PagingMode } from './modes';
import { type PagingSpec, type ResolvedSpec, resolveSpec } from './spec';
import { TableReader, type TableRead } from './tableReader';
import type { DecodedEntry } from './types';
import type { BadEntryEvent, SelfMapEvent, SharedTableEvent, UnreadableEvent } from './walkEvents';

/**
 * One leaf as the walk meets it, in plain numbers: VAs and PAs as 4 KiB page numbers (a 57-bit VA
 * is a 45-bit page number, a 52-bit PA a 40-bit frame number: both exact in a double). The walk
 * hands out the same object for every leaf: read it inside the callback, copy what you keep.
 */
export interface LeafRecord {
  /** VA >> 12 as the tables index it, before sign extension (see `canonicalVa`). */
  vpn: number;
  /** PA >> 12 of the page. */
  pfn: number;
  /** Page size in 4 KiB pages (1, 512, 262144; 1024 for a 32-bit 4 MiB page). */
  pages: number;
  level: number;
  /** The entry: bits 31:0 and 63:32 (0 for 32-bit entries). */
  lo: number;
  hi: number;
  /** Where the entry sits: its table's PA and its index there. */
  tablePa: number;
  index: number;
  /** Effective rights, G and memory type (ATTR_* in entryRules.ts). */
  attrs: number;
}

/** What a walk reports besides leaves. */
export type WalkNote = SelfMapEvent | SharedTableEvent | BadEntryEvent | UnreadableEvent;

export interface WalkSink {
  /** A leaf (the record is reused afterwards). Return false to end the walk here. */
  leaf(l: LeafRecord): boolean | void;
  note(n: WalkNote): void;
}

export interface WalkWindow {
  /** Only entries overlapping [from, to) are visited (VAs as the mode writes them, canonical). */
  from?: bigint;
  to?: bigint;
}

export interface TableWalkOptions extends WalkWindow {
  /** IA32_PAT, for the memory type of leaves (default: its reset value). */
  pat?: bigint;
  /**
   * Entries the walk may visit again in shared subtrees (default SHARED_REWALK_BUDGET; Infinity
   * walks every one). Past it, a table reached again is reported (`shared` with `notWalked`) but
   * not walked: a walk then costs the distinct tables plus this budget, however the tables fan in.
   */
  sharedRewalkBudget?: number;
}

/**
 * Linux's espfix walks ~65k entries again; tables made to fan in (every entry of every level on
 * one table) would walk 512^4 leaves, an hour and a half. 2^24 entries is a second or two.
 */
export const SHARED_REWALK_BUDGET = 1 << 24;

/** One table on the walk's path. */
interface Frame {
  tablePa: number;
  level: number;
  words: Uint32Array;
  /** Indices of the present entries, in order (most tables are mostly empty). */
  present: Uint16Array;
  baseVpn: number;
  rights: number;
  underShared: boolean;
  /** Next position in `present`. */
  next: number;
  /** Tables this one points at that the walk will descend into, read together in one batch. */
  wanted: number[];
  /** The first page number each of them covers (for reading ahead inside the VA window). */
  wantedVpn: number[];
  children: Map<number, TableRead> | undefined;
}

/** The children of a page table: none (shared, never written). */
const NONE: number[] = [];

/** A VA as the walk indexes tables, clamped into the mode's space (long modes: the hole goes to the upper half). */
function rawVa(mode: PagingMode, vaBits: number, va: bigint): bigint {
  if (mode !== 'long4' && mode !== 'long5') return va;
  const half = 1n << BigInt(vaBits - 1);
  if (va < half) return va;
  const upper = (1n << 64n) - half;
  return va >= upper ? va - ((1n << 64n) - (1n << BigInt(vaBits))) : half;
}

/**
 * A depth-first walk of every present entry in VA order. A table's child tables are read
 * together, in one batch, when the walk opens it (one round trip for a level's worth of tables
 * on a stub that pipelines), and the walk then runs synchronously over the bytes in hand. Only
 * the tables on the current path and their read-ahead children are held: memory stays flat
 * however many leaves the space has.
 *
 * Drive it with `step(sink)` until it returns false: each call runs until the walk needs the
 * next batch of tables, reads it, and returns.
 */
export class TableWalk {
  readonly spec: ResolvedSpec;
  readonly rules: EntryRules;
  /** Entries visited again in shared subtrees, and the subtrees left unwalked once the budget was spent. */
  rewalkedEntries = 0;
  sharedNotWalked = 0;
  private readonly rewalkBudget: number;
  private readonly stack: Frame[] = [];
  /** Every paging-structure frame seen so far (by PA), with the level it serves at. */
  private readonly frameLevel = new Map<number, number>();
  /** Tables already descended into (PA + level), with the page number of the first visit. */
  private readonly visited = new Map<number, number>();
  private readonly reader: TableReader;
  private readonly fromVpn: number;
  private readonly toVpn: number;
  private readonly leaf: LeafRecord = { vpn: 0, pfn: 0, pages: 0, level: 0, lo: 0, hi: 0, tablePa: 0, index: 0, attrs: 0 };
  private started = false;
  private finished = false;
  private toLoad: Frame | undefined;

  constructor(
    spec: PagingSpec,
    mem: PhysMem,
    opts: TableWalkOptions = {},
  ) {
    this.spec = resolveSpec(spec);
    const s = this.spec;
    this.rules = entryRules(s.mode, s.ctx, s.eptLevels, opts.pat);
    this.rewalkBudget = opts.sharedRewalkBudget ?? SHARED_REWALK_BUDGET;
    const vaBits = s.geo.vaBits;
    this.fromVpn = opts.from === undefined ? -1 : this.vpnOf(opts.from);
    this.toVpn = opts.to === undefined ? Infinity : Number((rawVa(s.mode, vaBits, opts.to) + 0xfffn) >> 12n);
    this.reader = new TableReader(mem, s.mode, this.rules, { fromVpn: this.fromVpn, toVpn: this.toVpn }, this.frameLevel);
  }

  /** Tables read from the source, and their bytes. */
  get tablesRead(): number {
    return this.reader.tablesRead;
  }

  get bytesRead(): number {
    return this.reader.bytesRead;
  }

  /** Runs until the next batch of tables is needed (and reads it), or to the end: false then. */
  async step(sink: WalkSink): Promise<boolean> {
    if (this.finished) return false;
    if (!this.started) {
      this.started = true;
      const s = this.spec;
      const root = Number(s.root);
      this.frameLevel.set(root, s.geo.topLevel);
      const table = await this.reader.readRoot(s.root, s.geo.topLevel);
      this.stack.push(this.open(root, s.geo.topLevel, table, 0, ATTR_RIGHTS, false));
      this.toLoad = this.stack[0];
    }
    if (this.toLoad) {
      await this.load(this.toLoad);
      this.toLoad = undefined;
    }
    this.run(sink);
    return !this.finished;
  }

  /**
   * Walks to the end (or until the sink says stop). `between` runs after each batch of tables: a
   * writer that must wait for its reader waits there.
   */
  async all(sink: WalkSink, between?: () => Promise<void> | undefined): Promise<void> {
    while (await this.step(sink)) await between?.();
  }

  /** The page number this walk gives a canonical VA (a VA in the non-canonical hole goes to the upper half). */
  vpnOf(va: bigint): number {
    return Number(rawVa(this.spec.mode, this.spec.geo.vaBits, va) >> 12n);
  }

  /** First page number of the upper canonical half, which no range runs into; -1 outside the long modes. */
  get breakVpn(): number {
    const { mode, geo } = this.spec;
    return mode === 'long4' || mode === 'long5' ? 2 ** (geo.vaBits - 13) : -1;
  }

  /** The canonical VA of a leaf (or of any page number of this walk). */
  canonicalVa(vpn: number): bigint {
    return canonicalize(this.spec.mode, BigInt(vpn) << 12n);
  }

  /** A table the walk enters: registers the frames it points at and picks the children to read. */
  private open(tablePa: number, level: number, w: Uint32Array, baseVpn: number, rights: number, underShared: boolean): Frame {
    const r = this.rules;
    const present = this.reader.presentOf(w, level);
    // A page table points at pages only: nothing to register or read.
    if (level === 1) return { tablePa, level, words: w, present, baseVpn, rights, underShared, next: 0, wanted: NONE, wantedVpn: NONE, children: undefined };
    const wanted: number[] = [];
    const wantedVpn: number[] = [];
    const seen = new Set<number>();
    const cover = r.coverPages[level];
    for (let k = 0; k < present.length; k++) {
      const i = present[k];
      const lo = r.entryBytes === 8 ? w[i * 2] : w[i];
      if (isLeaf(r, level, lo)) continue;
      const hi = r.entryBytes === 8 ? w[i * 2 + 1] : 0;
      const child = tableAddress(r, lo, hi);
      // Register before descending anywhere, so that an entry pointing at a sibling table (PAE
      // linear page tables) is recognised as a self-map.
      if (!this.frameLevel.has(child)) this.frameLevel.set(child, level - 1);
      const vpn = baseVpn + i * cover;
      if (vpn + cover <= this.fromVpn || vpn >= this.toVpn || isBad(r, level, false, lo, hi)) continue;
      if (this.frameLevel.get(child) !== level - 1 || seen.has(child)) continue;
      seen.add(child);
      wanted.push(child);
      wantedVpn.push(vpn);
    }
    return { tablePa, level, words: w, present, baseVpn, rights, underShared, next: 0, wanted, wantedVpn, children: undefined };
  }

  /** Reads a frame's children together (and the tables after them, ahead of the walk). */
  private async load(f: Frame): Promise<void> {
    f.children = await this.reader.readChildren(f.level - 1, f.wanted, f.wantedVpn);
  }

  /**
   * The hot loop: every entry of every table in hand, in plain 32-bit arithmetic, with the rules
   * of the table's level hoisted out of the loop (entryRules.ts says what each test means).
   * Leaves go to the sink in one reused record; everything rarer leaves the loop for a method.
   */
  private run(sink: WalkSink): void {
    const r = this.rules;
    const stack = this.stack;
    const eight = r.entryBytes === 8;
    const ept = r.mode === 'ept';
    const legacy = r.mode === 'legacy32';
    const fromVpn = this.fromVpn;
    const toVpn = this.toVpn;
    const leaf = this.leaf;
    descend: while (stack.length > 0) {
      const f = stack[stack.length - 1];
      const w = f.words;
      const level = f.level;
      const cover = r.coverPages[level];
      const large = r.largeAt[level];
      const tableLo = r.tableRsvLo[level];
      const tableHi = r.tableRsvHi[level];
      const leafLo = r.leafRsvLo[level];
      const leafHi = r.leafRsvHi[level];
      // Rights in the common case (not EPT, not a PAE PDPTE, which grants everything).
      const plain = !ept && !(r.mode === 'pae' && level === 3);
      const nxe = r.nxe;
      const pfnMask = ~(cover - 1);
      const hiMask = r.hiAddrMask;
      const patTypes = r.patTypes;
      const base = f.baseVpn;
      const upper = f.rights;
      const present = f.present;
      for (let k = f.next; k < present.length; k++) {
        const i = present[k];
        const lo = eight ? w[i << 1] : w[i];
        const vpn = base + i * cover;
        if (vpn + cover <= fromVpn || vpn >= toVpn) continue;
        const hi = eight ? w[(i << 1) + 1] : 0;
        const isPage = level === 1 || (large && (lo & 0x80) !== 0);
        const rsv = isPage ? (lo & leafLo) | (hi & leafHi) : (lo & tableLo) | (hi & tableHi);
        if (rsv !== 0 || (ept && isBad(r, level, isPage, lo, hi))) {
          sink.note(this.badNote(f, i, vpn, lo, hi));
          continue;
        }
        const rights = plain ? upper & (ATTR_R | (lo & 2 ? ATTR_W : 0) | (lo & 4 ? ATTR_U : 0) | (nxe && hi >>> 31 ? 0 : ATTR_X)) : upper & entryRights(r, level, lo, hi);
        if (isPage) {
          leaf.vpn = vpn;
          leaf.pfn = legacy ? leafPfn(r, level, lo, hi) : (hi & hiMask) * 0x100000 + ((lo >>> 12) & pfnMask);
          leaf.pages = cover;
          leaf.level = level;
          leaf.lo = lo;
          leaf.hi = hi;
          leaf.tablePa = f.tablePa;
          leaf.index = i;
          leaf.attrs = ept
            ? rights | leafAttributes(r, level, lo)
            : rights | (lo & 0x100 ? ATTR_G : 0) | (patTypes[((level === 1 ? (lo >>> 7) & 1 : (lo >>> 12) & 1) << 2) | ((lo >>> 3) & 3)] << ATTR_TYPE_SHIFT);
          if (sink.leaf(leaf) === false) {
            this.finish();
            return;
          }
          continue;
        }
        const next = this.enter(f, i, vpn, lo, hi, rights, sink);
        if (next === undefined) continue;
        f.next = k + 1;
        stack.push(next);
        if (next.wanted.length > 0) {
          this.toLoad = next;
          return;
        }
        continue descend;
      }
      stack.pop();
    }
    this.finish();
  }

  /**
   * A present table entry: the frame to descend into, or undefined after the note that says why
   * not (a self-map, a table that could not be read). A table reached again is noted as shared
   * (at the top of the shared subtree only) and descended again, while the budget for walking
   * shared tables again lasts; past it, noted and not descended.
   */
  private enter(f: Frame, i: number, vpn: number, lo: number, hi: number, rights: number, sink: WalkSink): Frame | undefined {
    const level = f.level;
    const cover = this.rules.coverPages[level];
    const child = tableAddress(this.rules, lo, hi);
    const targetLevel = this.frameLevel.get(child)!;
    if (targetLevel !== level - 1) {
      const entry = this.decode(lo, hi, level);
      sink.note({ kind: 'selfMap', va: this.canonicalVa(vpn), size: BigInt(cover) << 12n, level, entryPa: this.entryPa(f, i), entry, targetPa: BigInt(child), targetLevel });
      return undefined;
    }
    const key = child + (level - 1); // table PAs are 4 KiB aligned: the level fits below bit 12
    const first = this.visited.get(key);
    if (first !== undefined && this.rewalkedEntries >= this.rewalkBudget) {
      this.sharedNotWalked++;
      const size = BigInt(cover) << 12n;
      sink.note({ kind: 'shared', va: this.canonicalVa(vpn), level: level - 1, tablePa: BigInt(child), firstVa: this.canonicalVa(first), notWalked: size });
      return undefined;
    }
    // Only the top of a shared subtree is news; the tables below it are shared by consequence.
    if (first !== undefined && !f.underShared) {
      sink.note({ kind: 'shared', va: this.canonicalVa(vpn), level: level - 1, tablePa: BigInt(child), firstVa: this.canonicalVa(first) });
    }
    if (first === undefined) this.visited.set(key, vpn);
    const data = f.children?.get(child);
    if (data === undefined || data instanceof Error) {
      // One unreadable table (a frame missing from a dump) should not hide the rest of the walk.
      const message = data instanceof Error ? data.message : 'not read';
      sink.note({ kind: 'unreadable', va: this.canonicalVa(vpn), size: BigInt(cover) << 12n, level: level - 1, tablePa: BigInt(child), message });
      return undefined;
    }
    const frame = this.open(child, level - 1, data, vpn, rights, f.underShared || first !== undefined);
    if (first !== undefined) this.rewalkedEntries += frame.present.length;
    return frame;
  }

  private finish(): void {
    this.finished = true;
    this.stack.length = 0;
  }

  private entryPa(f: Frame, index: number): bigint {
    return BigInt(f.tablePa + index * this.rules.entryBytes);
  }

  private decode(lo: number, hi: number, level: number): DecodedEntry {
    const s = this.spec;
    return decodeEntry((BigInt(hi) << 32n) | BigInt(lo), s.mode, level, s.ctx);
  }

  private badNote(f: Frame, i: number, vpn: number, lo: number, hi: number): BadEntryEvent {
    const e = this.decode(lo, hi, f.level);
    const message = e.reserved ? `reserved bits 0x${e.reserved.toString(16)} set: an access here faults (RSVD)` : e.problems.join('; ');
    return { kind: 'bad', va: this.canonicalVa(vpn), size: BigInt(this.rules.coverPages[f.level]) << 12n, level: f.level, entryPa: this.entryPa(f, i), entry: e, message };
  }
}
