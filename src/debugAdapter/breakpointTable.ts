/**
 * The session's breakpoints as the client set them (instruction, function, data), what each one
 * put into the stub, and the per-breakpoint state a stop is judged by: condition, hit condition,
 * hit count. Each `set…` call replaces its whole category, as DAP defines; a breakpoint that is
 * unchanged keeps its id and hit count. The breakpoints of each disassembly listing (set in its
 * gutter) are instruction breakpoints of a category of their own, one per listing.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SymbolTable } from '../symbols';
import type { BreakpointKind } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex, parseNumber } from '../util/numbers';
import { parseHitCondition, type HitPredicate } from './hitCondition';
import type { Insertions } from './insertions';
import { parseDataId, virtualAddressOf } from './dataBreakpointInfo';

/** Evaluates a breakpoint condition on a vCPU (true: stop). */
export type ConditionCheck = (expression: string, vcpu: number) => Promise<boolean>;

export const BREAKPOINT_MODES: DebugProtocol.BreakpointMode[] = [
  { mode: 'software', label: 'Software', description: 'Z0: the stub patches or traps the instruction (default)', appliesTo: ['instruction', 'source'] },
  { mode: 'hardware', label: 'Hardware', description: 'Z1: a debug register (QEMU under TCG treats it like software)', appliesTo: ['instruction', 'source'] },
];

export const NO_LINE_INFO = 'no line information: use function or instruction breakpoints';

interface Entry {
  id: number;
  kind: BreakpointKind;
  address: bigint;
  bytes: number;
  condition?: string;
  hitText?: string;
  hit?: HitPredicate;
  hits: number;
  /** How the user named it, for messages ("spin_func", "0x100c05"). */
  label: string;
}

/** What the user asked for, resolved to an address (or the reason it could not be). */
type Spec = { kind: BreakpointKind; address: bigint; bytes: number; label: string; condition?: string; hitCondition?: string } | { error: string };

/** `listing:N`: the breakpoints set in the gutter of frame listing N. */
type Category = 'instruction' | 'function' | 'data' | `listing:${number}`;

export interface StopVerdict {
  /** Breakpoints that want this stop reported (empty: resume silently). */
  ids: number[];
  /** Things the user should read (a condition that failed to evaluate). */
  notes: string[];
}

export class BreakpointTable {
  private readonly entries = new Map<Category, Entry[]>();
  private nextId = 1;

  constructor(
    private readonly insertions: Insertions,
    private readonly symbols: SymbolTable,
    private readonly checkCondition: ConditionCheck,
  ) {}

  setInstructionBreakpoints(bps: readonly DebugProtocol.InstructionBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    return this.replace(
      'instruction',
      bps.map((bp) => this.codeSpec(() => this.instructionAddress(bp), bp.instructionReference, bp)),
    );
  }

  /** The breakpoints of one listing: each line resolved to its instruction's address (or the reason not). */
  setListingBreakpoints(
    listing: number,
    bps: readonly { resolve: () => bigint; label: string; condition?: string; hitCondition?: string; mode?: string }[],
  ): Promise<DebugProtocol.Breakpoint[]> {
    return this.replace(
      `listing:${listing}`,
      bps.map((bp) => this.codeSpec(bp.resolve, bp.label, bp)),
    );
  }

  setFunctionBreakpoints(bps: readonly DebugProtocol.FunctionBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    // FunctionBreakpoint has no `mode` in DAP; a client may still send one.
    return this.replace(
      'function',
      bps.map((bp) => this.codeSpec(() => this.functionAddress(bp.name), bp.name, bp as DebugProtocol.FunctionBreakpoint & { mode?: string })),
    );
  }

  setDataBreakpoints(bps: readonly DebugProtocol.DataBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    const kinds: Record<DebugProtocol.DataBreakpointAccessType, BreakpointKind> = { write: 'write', read: 'read', readWrite: 'access' };
    return this.replace(
      'data',
      bps.map((bp): Spec => {
        try {
          const { address, bytes } = parseDataId(bp.dataId);
          const kind = kinds[bp.accessType ?? 'write'];
          if (!kind) return { error: `unknown access type '${bp.accessType}': expected write, read or readWrite` };
          return { kind, address, bytes, label: `${bytes} bytes at ${hex(address)}`, condition: bp.condition, hitCondition: bp.hitCondition };
        } catch (e) {
          return { error: (e as Error).message };
        }
      }),
    );
  }

  /** Enabled code breakpoints at `pc`. */
  codeAt(pc: bigint): Entry[] {
    return [...this.entries].flatMap(([cat, list]) => (cat === 'data' ? [] : list.filter((e) => e.address === pc)));
  }

  /** Enabled data breakpoints whose range holds `address` (QEMU reports the watched address). */
  dataAt(address: bigint): Entry[] {
    return (this.entries.get('data') ?? []).filter((e) => address >= e.address && address < e.address + BigInt(e.bytes));
  }

  /** Applies conditions and hit counts of the breakpoints a vCPU just hit. */
  async judge(hit: readonly Entry[], vcpu: number): Promise<StopVerdict> {
    const verdict: StopVerdict = { ids: [], notes: [] };
    for (const e of hit) {
      if (e.condition) {
        let holds: boolean;
        try {
          holds = await this.checkCondition(e.condition, vcpu);
        } catch (err) {
          // Stopping is the safe answer: the user sees why and can fix the expression.
          verdict.notes.push(`breakpoint ${e.label}: cannot evaluate condition '${e.condition}': ${(err as Error).message}`);
          verdict.ids.push(e.id);
          continue;
        }
        if (!holds) continue;
      }
      e.hits++;
      if (e.hit && !e.hit(e.hits)) continue;
      verdict.ids.push(e.id);
    }
    return verdict;
  }

  /** Everything out of the stub (end of session). */
  async clear(): Promise<void> {
    this.entries.clear();
    await this.insertions.clear();
  }

  // ---- resolving what the user named ----

  private codeSpec(resolve: () => bigint, label: string, bp: { condition?: string; hitCondition?: string; mode?: string }): Spec {
    const mode = bp.mode ?? 'software';
    if (mode !== 'software' && mode !== 'hardware') return { error: `unknown breakpoint mode '${mode}': expected software or hardware` };
    try {
      return { kind: mode, address: resolve(), bytes: 1, label, condition: bp.condition, hitCondition: bp.hitCondition };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  private instructionAddress(bp: DebugProtocol.InstructionBreakpoint): bigint {
    const ref = bp.instructionReference.trim();
    let base: bigint;
    if (/^((p|v\d+):)?(0x[0-9a-f_`]+|\d+)$/i.test(ref)) base = virtualAddressOf(ref);
    else base = this.functionAddress(ref);
    return BigInt.asUintN(64, base + BigInt(bp.offset ?? 0));
  }

  /** `name`, `name+0x10` or an address. */
  private functionAddress(text: string): bigint {
    const t = text.trim();
    if (/^(0x[0-9a-f_`]+|\d+)$/i.test(t)) return parseNumber(t, 'address');
    const m = /^(.+?)\s*\+\s*(0x[0-9a-f]+|\d+)$/i.exec(t);
    const name = m ? m[1] : t;
    const sym = this.symbols.lookup(name);
    if (!sym) {
      throw new HyperFrameError(
        'BAD_ARGUMENT',
        this.symbols.size === 0
          ? `no symbol '${name}': no symbols are loaded (list ELF files in 'symbols')`
          : `no symbol '${name}' among the ${this.symbols.size} loaded`,
      );
    }
    return sym.va + (m ? parseNumber(m[2], 'offset') : 0n);
  }

  // ---- replacing a category ----

  private async replace(cat: Category, specs: Spec[]): Promise<DebugProtocol.Breakpoint[]> {
    const old = this.entries.get(cat) ?? [];
    const reused = new Set<Entry>();
    const kept: Entry[] = [];
    const out: DebugProtocol.Breakpoint[] = [];
    for (const spec of specs) {
      if ('error' in spec) {
        out.push({ id: this.nextId++, verified: false, message: spec.error });
        continue;
      }
      let hit: HitPredicate | undefined;
      try {
        hit = spec.hitCondition?.trim() ? parseHitCondition(spec.hitCondition) : undefined;
      } catch (e) {
        out.push({ id: this.nextId++, verified: false, message: (e as Error).message });
        continue;
      }
      const same = old.find(
        (e) =>
          !reused.has(e) &&
          e.kind === spec.kind &&
          e.address === spec.address &&
          e.bytes === spec.bytes &&
          e.condition === (spec.condition || undefined) &&
          e.hitText === (spec.hitCondition?.trim() || undefined),
      );
      let entry = same;
      if (entry) reused.add(entry);
      else {
        entry = {
          id: this.nextId++,
          kind: spec.kind,
          address: spec.address,
          bytes: spec.bytes,
          condition: spec.condition || undefined,
          hitText: spec.hitCondition?.trim() || undefined,
          hit,
          hits: 0,
          label: spec.label,
        };
        try {
          await this.insertions.add(entry.kind, entry.address, entry.bytes);
        } catch (e) {
          out.push({ id: entry.id, verified: false, message: (e as Error).message, instructionReference: hex(entry.address) });
          continue;
        }
      }
      kept.push(entry);
      out.push({ id: entry.id, verified: true, instructionReference: cat === 'data' ? undefined : hex(entry.address) });
    }
    if (kept.length) this.entries.set(cat, kept);
    else this.entries.delete(cat);
    // Removed only now, so that an address kept under a new id never leaves the stub meanwhile.
    for (const e of old) if (!reused.has(e)) await this.insertions.remove(e.kind, e.address, e.bytes).catch(() => undefined);
    return out;
  }
}
