/**
 * A source for every frame, served by the adapter: a read-only disassembly listing of the function
 * that holds the frame's pc (from the symbols) or, without one, of a window of instructions around
 * it. Kernels and hypervisors rarely come with line info, and VS Code needs a frame source for two
 * things: it focuses a stopped thread's top frame only when that frame has one, and it asks for
 * hovers only inside the focused frame's document.
 *
 * Listings are made when the call stack is asked for (the frame's line must be known then) and kept
 * until the next stop. Their handles are never reused within a session: VS Code keys a source's text
 * by its handle, so the listing of a new stop must not arrive under an old one. Which instruction
 * each line shows is kept for the whole session (a few bytes a line), so that a breakpoint set in
 * the gutter of a listing still finds its address after the listing's text is gone.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { type Bitness, disassembleAround, type Instruction, type ReadMemory } from '../../disasm';
import type { Sym, SymbolTable } from '../../symbols';
import { HyperFrameError } from '../../util/errors';
import { hex } from '../../util/numbers';
import type { CodeReader } from '../cpuView';

/** A function longer than this is shown in part, around pc. */
export const MAX_FUNCTION_INSTRUCTIONS = 400;
/** Without a function: instructions before and after pc. */
export const WINDOW_BEFORE = 40;
export const WINDOW_AFTER = 60;
/**
 * The listings' language (package.json `contributes.languages`, with `contributes.breakpoints`, so
 * that VS Code takes breakpoints in their gutter; `.dis` names them too): VS Code picks a
 * debug document's language by the mime type of the source request's answer.
 */
export const LISTING_MIME_TYPE = 'text/x-hyperframe-disassembly';
/** Instruction bytes wider than this push their text to the right rather than widen the column. */
const BYTES_COLUMN = 10 * 3 - 1;

/** What a listing of one vCPU's code needs to know about that vCPU at this stop. */
export interface CodeView {
  vcpu: number;
  bitness: Bitness;
  /** How the vCPU translates addresses, in one line (the header says what the addresses mean). */
  paging: string;
}

export interface ListedFrame {
  source: DebugProtocol.Source;
  /** 1-based line of pc in the listing. */
  line: number;
}

interface Listing {
  name: string;
  text: string;
  /** 1-based line of each instruction, by address. */
  lineOf: Map<bigint, number>;
  /** What each instruction line shows: its address, or null for unreadable memory. */
  rowAt: Map<number, bigint | null>;
}

/** What a listing's lines show, kept after its text expires. */
interface LineTable {
  name: string;
  rowAt: Map<number, bigint | null>;
  lines: number;
}

/** What to list and how to describe it. */
interface Plan {
  key: string;
  name: string;
  rows: Instruction[];
  about: string[];
  /** Lines after the instructions. */
  tail?: string[];
  /** An unreadable row at this address is kept apart from its neighbours (it is pc's line). */
  anchor?: bigint;
}

export class Listings {
  private nextHandle = 1;
  private readonly listings = new Map<number, Listing>();
  /** Handle of a listing by what it shows (a function of a vCPU, a window around a pc). */
  private readonly byKey = new Map<string, number>();
  /** Every listing of the session, for breakpoints set in it (never cleared). */
  private readonly tables = new Map<number, LineTable>();
  /** The newest handle of each listing name. */
  private readonly byName = new Map<string, number>();

  constructor(
    private readonly symbols: SymbolTable,
    /** Code as the program has it (without the int3 of our software breakpoints). */
    private readonly readCode: CodeReader,
  ) {}

  /** The target ran: every listing belongs to a stop that is over. */
  invalidate(): void {
    this.listings.clear();
    this.byKey.clear();
  }

  /** The listing that shows `pc` on `view.vcpu`, made now unless this stop already has one. */
  async sourceFor(view: CodeView, pc: bigint): Promise<ListedFrame> {
    const fn = this.functionAt(pc);
    for (const key of [fn && functionKey(view.vcpu, fn), windowKey(view.vcpu, pc)]) {
      const handle = key === undefined ? undefined : this.byKey.get(key);
      const line = handle === undefined ? undefined : this.listings.get(handle)?.lineOf.get(pc);
      if (handle !== undefined && line !== undefined) return this.listedFrame(handle, line);
    }
    const plan = await this.plan(view, pc, fn);
    const listing = render(plan, view, this.symbols);
    const line = listing.lineOf.get(pc);
    if (line === undefined) throw new HyperFrameError('TARGET', `the listing of ${hex(pc)} does not show it`);
    const handle = this.nextHandle++;
    this.listings.set(handle, listing);
    this.byKey.set(plan.key, handle);
    this.tables.set(handle, { name: listing.name, rowAt: listing.rowAt, lines: listing.text.split('\n').length - 1 });
    this.byName.set(listing.name, handle);
    return this.listedFrame(handle, line);
  }

  /** The text of a listing of this stop. */
  text(handle: number | undefined): string {
    const listing = handle === undefined ? undefined : this.listings.get(handle);
    if (!listing) {
      throw new HyperFrameError('BAD_ARGUMENT', `no listing ${handle ?? ''}: listings belong to the stop they were made at, and the target has run since`);
    }
    return listing.text;
  }

  /**
   * The listing a source of setBreakpoints means: its handle (also a stale one), else its name
   * or a path that ends in it. Undefined: not one of ours (a real source file).
   */
  listingOf(source: DebugProtocol.Source): number | undefined {
    const ref = source.sourceReference;
    if (ref !== undefined && ref > 0) return ref;
    for (const text of [source.name, source.path]) {
      if (!text) continue;
      const handle = this.byName.get(text) ?? this.byName.get(text.split(/[\\/]/).pop() ?? '');
      if (handle !== undefined) return handle;
    }
    return undefined;
  }

  /** The address of the instruction on 1-based `line` of listing `handle`. */
  addressAtLine(handle: number, line: number): bigint {
    const table = this.tables.get(handle);
    if (!table) throw new HyperFrameError('BAD_ARGUMENT', `no listing ${handle} in this session`);
    const row = table.rowAt.get(line);
    if (row === null) throw new HyperFrameError('BAD_ARGUMENT', `line ${line} of ${table.name} shows unreadable memory, not an instruction`);
    if (row === undefined) {
      const what = line < 1 || line > table.lines ? `is past the end of ${table.name}` : `of ${table.name} is not an instruction`;
      throw new HyperFrameError('BAD_ARGUMENT', `line ${line} ${what}: set breakpoints on instruction lines (they start with an address)`);
    }
    return row;
  }

  /**
   * The Source of listing `handle`, also once its text is gone. VS Code makes a document's URI
   * from `path || name` but a breakpoint's from the answered source's `path` alone: a source
   * without one gives the breakpoint a URI with an empty path (no name in the Breakpoints view,
   * "." beside it). With this path a gutter breakpoint reads `spin_main (CPU 0).dis  disassembly  6`
   * there (basename, folder, line; checked in code-server 4.139), its message as the hover.
   */
  source(handle: number): DebugProtocol.Source {
    const name = this.tables.get(handle)?.name ?? `listing ${handle}`;
    return { name, path: `disassembly/${name}`, sourceReference: handle, presentationHint: 'normal', origin: 'disassembly' };
  }

  /** `name+0x1a` or the bare address: how a breakpoint at `address` is named. */
  addressName(address: bigint): string {
    return this.symbols.formatAddress(address);
  }

  private listedFrame(handle: number, line: number): ListedFrame {
    return { source: this.source(handle), line };
  }

  /** The sized function symbol whose extent holds pc. */
  private functionAt(pc: bigint): Sym | undefined {
    const hit = this.symbols.symbolize(pc);
    return hit && hit.sym.sizeBytes > 0n && hit.offset < hit.sym.sizeBytes ? hit.sym : undefined;
  }

  private async plan(view: CodeView, pc: bigint, fn: Sym | undefined): Promise<Plan> {
    const read: ReadMemory = (addr, bytes) => this.readCode(view.vcpu, addr, bytes);
    const opts = { syntax: 'intel' as const, symbolize: (addr: bigint) => this.symbols.label(addr) };
    const cpu = `(CPU ${view.vcpu}).dis`;
    let note = `no symbol with a size holds ${hex(pc)}`;
    if (fn) {
      const end = fn.va + fn.sizeBytes;
      const extent = `${fn.name}: ${hex(fn.va)}..${hex(end)} (${fn.sizeBytes} bytes)`;
      // An instruction is at least one byte: the function cannot hold more than its size.
      const count = fn.sizeBytes < BigInt(MAX_FUNCTION_INSTRUCTIONS) ? Number(fn.sizeBytes) : MAX_FUNCTION_INSTRUCTIONS;
      const rows = (await disassembleAround(read, fn.va, 0, count, view.bitness, opts)).filter((r) => r.address < end);
      const last = rows[rows.length - 1];
      const shownEnd = last ? last.address + BigInt(last.length) : fn.va;
      if (rows.some((r) => r.address === pc && !r.unreadable)) {
        const tail = shownEnd < end ? [`; … ${fn.name} goes on to ${hex(end)}: its first ${rows.length} instructions are shown`] : undefined;
        return { key: functionKey(view.vcpu, fn), name: `${fn.name} ${cpu}`, rows, about: [`; ${extent}, disassembled from its start`], tail };
      }
      if (pc >= shownEnd && rows.length === count) {
        const half = MAX_FUNCTION_INSTRUCTIONS / 2;
        const part = (await disassembleAround(read, pc, -half, MAX_FUNCTION_INSTRUCTIONS, view.bitness, opts)).filter((r) => r.address >= fn.va && r.address < end);
        return { key: windowKey(view.vcpu, pc), name: `${this.symbols.formatAddress(pc)} ${cpu}`, rows: part, about: [`; ${extent}: the part around ${hex(pc)}`], anchor: pc };
      }
      note = `decoding ${fn.name} from its start does not reach an instruction at ${hex(pc)}`;
    }
    const rows = await disassembleAround(read, pc, -WINDOW_BEFORE, WINDOW_BEFORE + 1 + WINDOW_AFTER, view.bitness, opts);
    return {
      key: windowKey(view.vcpu, pc),
      // Named by address: a symbol without a size only says what lies somewhere below.
      name: `${hex(pc)} ${cpu}`,
      rows,
      about: [`; ${WINDOW_BEFORE} instructions before ${hex(pc)} and ${WINDOW_AFTER} after it (${note})`],
      anchor: pc,
    };
  }
}

const functionKey = (vcpu: number, fn: Sym): string => `${vcpu}:fn:${fn.va}:${fn.sizeBytes}`;
const windowKey = (vcpu: number, pc: bigint): string => `${vcpu}:pc:${pc}`;

/**
 * One line per instruction: address, `<symbol+offset>`, bytes, text, in aligned columns under a
 * header. Runs of unreadable memory become one line each (but pc's own line stays its own).
 */
function render(plan: Plan, view: CodeView, symbols: SymbolTable): Listing {
  const digits = view.bitness === 64 ? 16 : 8;
  const rows = mergeUnreadable(plan.rows, plan.anchor);
  const labels = rows.map((r) => (r.unreadable ? '' : symbols.label(r.address)));
  const labelWidth = Math.max(0, ...labels.map((l) => (l ? l.length + 2 : 0)));
  const bytesOf = (r: Instruction): string => [...r.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const bytesWidth = Math.min(BYTES_COLUMN, Math.max(0, ...rows.map((r) => bytesOf(r).length)));
  const header = [
    `; vCPU ${view.vcpu}, ${view.bitness}-bit code; ${view.paging}`,
    ...plan.about,
    '; Read-only, as memory was at this stop; the disassembly view (the frame\'s context menu) goes further.',
    '',
  ];
  const lines = [...header];
  const lineOf = new Map<bigint, number>();
  const rowAt = new Map<number, bigint | null>();
  rows.forEach((r, i) => {
    lineOf.set(r.address, lines.length + 1);
    rowAt.set(lines.length + 1, r.unreadable ? null : r.address);
    const label = labelWidth ? `${(labels[i] ? `<${labels[i]}>` : '').padEnd(labelWidth)}  ` : '';
    const text = r.unreadable ? `?? ${r.length} bytes unreadable, up to ${hex(r.address + BigInt(r.length))}` : r.text;
    lines.push(`${hex(r.address, digits)}  ${label}${bytesOf(r).padEnd(bytesWidth)}  ${text}`.trimEnd());
  });
  if (plan.tail) lines.push(...plan.tail);
  return { name: plan.name, text: `${lines.join('\n')}\n`, lineOf, rowAt };
}

/** Joins neighbouring unreadable placeholders (one per page) and drops empty ones (below address 0). */
function mergeUnreadable(rows: Instruction[], anchor: bigint | undefined): Instruction[] {
  const out: Instruction[] = [];
  for (const r of rows) {
    if (r.unreadable && r.length === 0) continue;
    const prev = out[out.length - 1];
    if (r.unreadable && prev?.unreadable && r.address !== anchor && prev.address + BigInt(prev.length) === r.address) {
      out[out.length - 1] = { ...prev, length: prev.length + r.length };
      continue;
    }
    out.push(r);
  }
  return out;
}
