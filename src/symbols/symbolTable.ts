import { hex } from '../util/numbers';
import type { Sym, SymBinding, Symbolized, SymType } from './types';

/** How far past a symbol without a containing range an address may still be named after it. */
export const DEFAULT_NEAREST_BOUND_BYTES = 1n << 20n;
/**
 * How many earlier symbols `symbolize` inspects looking for one whose range contains the address.
 * Sized symbols rarely overlap, so the answer is almost always the first; the cap keeps a single
 * huge symbol early in the table from turning every later miss into a linear scan.
 */
const CONTAINING_SCAN_LIMIT = 1024;

const BINDING_RANK: Record<SymBinding, number> = { global: 2, weak: 1, local: 0 };
const TYPE_RANK: Record<SymType, number> = { func: 2, object: 1, notype: 0 };

interface NameIndex {
  /** Each name's symbols, preferred first. */
  byName: Map<string, Sym[]>;
  /** Sorted distinct names of breakpoint-able symbols (code and untyped labels). */
  codeNames: string[];
  modules: Set<string>;
}

/** One file's contribution to a merged table. */
export interface MergePart {
  table: SymbolTable;
  /** Added to every address of `table` (wrapping at 2^64): a relocated kernel's load offset. */
  bias?: bigint;
  /** Overrides the module name recorded on the part's symbols. */
  module?: string;
}

/**
 * The end of a range moved by `bias` (which wraps like addresses do: a negative bias is a large
 * one). A range may end exactly at 2^64; only a start that wrapped makes the end wrap.
 */
export function biasedEnd(end: bigint, bias: bigint): bigint {
  const moved = end + bias;
  return moved > 1n << 64n ? BigInt.asUintN(64, moved) : moved;
}

/** Which of two symbols at the same address names it best: sized, then code, then global. */
function addressPreference(a: Sym, b: Sym): number {
  return (
    Number(a.sizeBytes > 0n) - Number(b.sizeBytes > 0n) ||
    TYPE_RANK[a.type] - TYPE_RANK[b.type] ||
    BINDING_RANK[a.binding] - BINDING_RANK[b.binding] ||
    (a.name < b.name ? 1 : a.name > b.name ? -1 : 0)
  );
}

/** Which of two symbols with one name a lookup means: global, then code, then the lower address. */
function namePreference(a: Sym, b: Sym): number {
  return (
    BINDING_RANK[b.binding] - BINDING_RANK[a.binding] ||
    TYPE_RANK[b.type] - TYPE_RANK[a.type] ||
    (a.va < b.va ? -1 : a.va > b.va ? 1 : 0)
  );
}

/**
 * An immutable, searchable set of symbols: by name (exact or `module:name`), by address (nearest
 * at or below, preferring a containing range), and by prefix (breakpoint completion).
 */
export class SymbolTable {
  /** Sorted by address; among equal addresses the preferred symbol comes last. */
  private readonly byVa: Sym[];
  /** maxEnd[i] = the highest va + size over byVa[0..i]; bounds the containing-range scan. */
  private readonly maxEnd: bigint[];
  /** Name indexes, built on first use: disassembly only ever needs addresses. */
  private names?: NameIndex;

  private constructor(syms: Sym[]) {
    this.byVa = sortByAddress(syms);
    this.maxEnd = new Array<bigint>(this.byVa.length);
    let maxEnd = 0n;
    this.byVa.forEach((s, i) => {
      const end = s.va + s.sizeBytes;
      if (end > maxEnd) maxEnd = end;
      this.maxEnd[i] = maxEnd;
    });
  }

  private nameIndex(): NameIndex {
    if (this.names) return this.names;
    const byName = new Map<string, Sym[]>();
    const codeNames = new Set<string>();
    const modules = new Set<string>();
    for (const s of this.byVa) {
      let list = byName.get(s.name);
      if (!list) byName.set(s.name, (list = []));
      list.push(s);
      if (s.type !== 'object') codeNames.add(s.name);
      if (s.module !== undefined) modules.add(s.module);
    }
    for (const list of byName.values()) if (list.length > 1) list.sort(namePreference);
    this.names = { byName, codeNames: [...codeNames].sort(), modules };
    return this.names;
  }

  static from(syms: Iterable<Sym>): SymbolTable {
    return new SymbolTable([...syms]);
  }

  static empty(): SymbolTable {
    return new SymbolTable([]);
  }

  /** One table over several images (hypervisor + dom0 kernel + modules), each with its own bias. */
  static merge(parts: ReadonlyArray<SymbolTable | MergePart>): SymbolTable {
    const all: Sym[] = [];
    for (const part of parts) {
      const { table, bias = 0n, module } = part instanceof SymbolTable ? { table: part } : part;
      for (const s of table.byVa) {
        const moved: Sym = { ...s, va: BigInt.asUintN(64, s.va + bias), module: module ?? s.module };
        if (s.sectionEndVa !== undefined) moved.sectionEndVa = biasedEnd(s.sectionEndVa, bias);
        all.push(moved);
      }
    }
    return new SymbolTable(all);
  }

  /** Number of symbols. */
  get size(): number {
    return this.byVa.length;
  }

  /** All symbols in address order. */
  symbols(): readonly Sym[] {
    return this.byVa;
  }

  /**
   * The symbol a name means: exact name first, then `module:name` when the prefix is a module of
   * this table. Among duplicates (static functions share names) a global function wins.
   */
  lookup(name: string): Sym | undefined {
    return this.lookupAll(name)[0];
  }

  /** Every symbol with this name (or `module:name`), preferred first. */
  lookupAll(name: string): readonly Sym[] {
    const { byName, modules } = this.nameIndex();
    const exact = byName.get(name);
    if (exact) return exact;
    const colon = name.indexOf(':');
    if (colon > 0 && modules.has(name.slice(0, colon))) {
      const module = name.slice(0, colon);
      return (byName.get(name.slice(colon + 1)) ?? []).filter((s) => s.module === module);
    }
    return [];
  }

  /**
   * The symbol an address falls in, or undefined when none names it:
   * - the closest symbol at or below it whose [va, va + size) contains it;
   * - else the label without a size nearest below it, which reaches up to the next symbol but not
   *   past the end of its section, nor past a sized symbol it lies in, nor `boundBytes`; an
   *   absolute label (a constant) names its own address only.
   * Past a sized symbol's end nothing names the address: what follows a function is padding or
   * code the symbols do not describe (as gdb, which shows the bare address there).
   */
  symbolize(addr: bigint, boundBytes: bigint = DEFAULT_NEAREST_BOUND_BYTES): Symbolized | undefined {
    const i = this.lastAtOrBelow(addr);
    if (i < 0) return undefined;
    const containing = this.containingSized(addr, i);
    if (containing) return { sym: containing, offset: addr - containing.va };
    const label = this.labelAt(i);
    if (!label) return undefined; // a sized symbol there ended below addr
    const offset = addr - label.va;
    if (offset === 0n) return { sym: label, offset };
    if (offset >= boundBytes || label.absolute) return undefined;
    if (label.sectionEndVa !== undefined && addr >= label.sectionEndVa) return undefined;
    // A label inside a sized symbol (a loop head in a function) ends with it.
    if (this.containingSized(label.va, i)) return undefined;
    return { sym: label, offset };
  }

  /** `name` or `name+0x1a` for an address, or undefined when no symbol is near. */
  label(addr: bigint): string | undefined {
    const hit = this.symbolize(addr);
    if (!hit) return undefined;
    return hit.offset === 0n ? hit.sym.name : `${hit.sym.name}+${hex(hit.offset)}`;
  }

  /** `name+0x1a`, or the address in hex when no symbol is near. */
  formatAddress(addr: bigint): string {
    return this.label(addr) ?? hex(addr);
  }

  /**
   * Up to `limit` code symbols whose names start with `prefix`, in name order (one per name,
   * the one `lookup` would pick): completions for a function breakpoint.
   */
  complete(prefix: string, limit = 100): Sym[] {
    const { byName, codeNames } = this.nameIndex();
    const out: Sym[] = [];
    for (let i = lowerBound(codeNames, prefix); i < codeNames.length && out.length < limit; i++) {
      const name = codeNames[i];
      if (!name.startsWith(prefix)) break;
      const best = byName.get(name)?.find((s) => s.type !== 'object');
      if (best) out.push(best);
    }
    return out;
  }

  /** The closest sized symbol at or below index `i` whose range holds `addr`. */
  private containingSized(addr: bigint, i: number): Sym | undefined {
    for (let j = i, n = 0; j >= 0 && this.maxEnd[j] > addr && n < CONTAINING_SCAN_LIMIT; j--, n++) {
      const s = this.byVa[j];
      if (s.sizeBytes > 0n && addr < s.va + s.sizeBytes) return s;
    }
    return undefined;
  }

  /** The preferred symbol without a size at index `i`'s address (preferred ones sort last). */
  private labelAt(i: number): Sym | undefined {
    const va = this.byVa[i].va;
    for (let j = i; j >= 0 && this.byVa[j].va === va; j--) {
      if (this.byVa[j].sizeBytes === 0n) return this.byVa[j];
    }
    return undefined;
  }

  /** Index of the last symbol with va <= addr, or -1. */
  private lastAtOrBelow(addr: bigint): number {
    let lo = 0;
    let hi = this.byVa.length; // first index with va > addr lies in [lo, hi]
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.byVa[mid].va <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

/**
 * Sorts by address, the preferred symbol last among equals. Comparing 32-bit halves held in
 * typed arrays is several times faster than comparing bigints, which matters for a vmlinux's
 * few hundred thousand symbols.
 */
function sortByAddress(syms: readonly Sym[]): Sym[] {
  const hi = new Float64Array(syms.length);
  const lo = new Float64Array(syms.length);
  syms.forEach((s, i) => {
    hi[i] = Number(s.va >> 32n);
    lo[i] = Number(s.va & 0xffff_ffffn);
  });
  const order = Array.from(syms.keys());
  order.sort((a, b) => hi[a] - hi[b] || lo[a] - lo[b] || addressPreference(syms[a], syms[b]));
  return order.map((i) => syms[i]);
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
