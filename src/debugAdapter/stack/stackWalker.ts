/**
 * Call frames from the frame-pointer chain, only where it can be trusted: the function that holds
 * pc (by symbol) must begin with `push rbp; mov rbp, rsp`, and each saved rbp must lie above the
 * last one, inside a stack-sized window. Anywhere else the walk stops: one honest frame beats a
 * plausible invented one. The same reasoning finds where `stepOut` returns to.
 */
import type { SymbolTable } from '../../symbols';
import type { Target } from '../../target/target';
import { type CodeReader, type CpuView, linearOf, readPointer } from '../cpuView';

/** A saved frame pointer more than this far above sp is not believed. */
const STACK_WINDOW = 1n << 20n;
export const MAX_STACK_DEPTH = 64;

/** Where the prologue leaves its marks, as offsets from the function's start. */
interface Prologue {
  /** Offset of `push rbp`. */
  push: number;
  /** Offset just past `mov rbp, rsp`: from here on rbp holds this frame. */
  body: number;
}

const ENDBR64 = [0xf3, 0x0f, 0x1e, 0xfa];
const ENDBR32 = [0xf3, 0x0f, 0x1e, 0xfb];
// push rbp; mov rbp,rsp in both encodings (89 /r and 8b /r), with REX.W in 64-bit code.
const MOV64 = [
  [0x48, 0x89, 0xe5],
  [0x48, 0x8b, 0xec],
];
const MOV32 = [
  [0x89, 0xe5],
  [0x8b, 0xec],
];

const startsWith = (b: Uint8Array, at: number, seq: number[]): boolean => seq.every((v, i) => b[at + i] === v);

export function matchPrologue(bytes: Uint8Array, ptrBytes: 2 | 4 | 8): Prologue | undefined {
  let at = 0;
  if (startsWith(bytes, 0, ptrBytes === 8 ? ENDBR64 : ENDBR32)) at = 4;
  if (bytes[at] !== 0x55) return undefined;
  for (const mov of ptrBytes === 8 ? MOV64 : MOV32) {
    if (startsWith(bytes, at + 1, mov)) return { push: at, body: at + 1 + mov.length };
  }
  return undefined;
}

export interface StackSite {
  pc: bigint;
  /** `name+0x1a`, or the address when no symbol is near. */
  name: string;
}

interface Regs {
  pc: bigint;
  sp: bigint;
  bp: bigint;
}

/** How to reach the caller of the frame at `r`: its return address and its sp and bp. */
interface CallerStep {
  ret: bigint;
  sp: bigint;
  bp: bigint;
  /** True when rbp was used (and so must keep increasing up the chain). */
  viaBp: boolean;
}

export class StackWalker {
  private readonly prologues = new Map<bigint, Prologue | null>();

  constructor(
    private readonly target: Target,
    private readonly symbols: SymbolTable,
    /** How code is read: by default plain memory; the session's shows what our breakpoints cover. */
    private readonly readCode: CodeReader = (vcpu, address, bytes) => target.readVirtual(vcpu, address, bytes),
  ) {}

  /** Forgets what was read from memory (code may have been written). */
  invalidate(): void {
    this.prologues.clear();
  }

  private async prologueOf(vcpu: number, fn: bigint, ptrBytes: 2 | 4 | 8): Promise<Prologue | undefined> {
    if (!this.prologues.has(fn)) {
      let p: Prologue | undefined;
      try {
        p = matchPrologue(await this.readCode(vcpu, fn, 8), ptrBytes);
      } catch {
        p = undefined;
      }
      this.prologues.set(fn, p ?? null);
    }
    return this.prologues.get(fn) ?? undefined;
  }

  /**
   * One step up from the frame at `r`, or undefined when nothing says where the caller is.
   * `top` allows the states only frame 0 can be in: at the function's first instruction, or
   * between `push rbp` and `mov rbp, rsp`.
   */
  private async callerOf(vcpu: number, r: Regs, cpu: CpuView, top: boolean): Promise<CallerStep | undefined> {
    const hit = this.symbols.symbolize(r.pc);
    if (!hit) return undefined;
    const p = await this.prologueOf(vcpu, hit.sym.va, cpu.ptrBytes);
    if (!p) return undefined;
    const w = BigInt(cpu.ptrBytes);
    const off = Number(hit.offset);
    // Stack slots are offsets in SS and return addresses offsets in CS: both made linear.
    const read = (a: bigint): Promise<bigint> => readPointer(this.target, vcpu, linearOf(cpu.stackBase, a, cpu.bitness), cpu.ptrBytes);
    const code = async (a: bigint): Promise<bigint> => linearOf(cpu.codeBase, await read(a), cpu.bitness);
    if (off <= p.push) {
      if (!top) return undefined;
      return { ret: await code(r.sp), sp: r.sp + w, bp: r.bp, viaBp: false };
    }
    if (off < p.body) {
      if (!top) return undefined;
      return { ret: await code(r.sp + w), sp: r.sp + 2n * w, bp: await read(r.sp), viaBp: false };
    }
    const sane = r.bp >= r.sp && r.bp - r.sp < STACK_WINDOW && r.bp % w === 0n;
    if (!sane) return undefined;
    return { ret: await code(r.bp + w), sp: r.bp + 2n * w, bp: await read(r.bp), viaBp: true };
  }

  /** Frame 0 at pc, then callers while the chain can be trusted. */
  async walk(vcpu: number, cpu: CpuView, max = MAX_STACK_DEPTH): Promise<StackSite[]> {
    const site = (pc: bigint): StackSite => ({ pc, name: this.symbols.formatAddress(pc) });
    const frames = [site(cpu.pc)];
    let r: Regs = { pc: cpu.pc, sp: cpu.sp, bp: cpu.bp };
    let lastBp: bigint | undefined;
    while (frames.length < max) {
      let step: CallerStep | undefined;
      try {
        step = await this.callerOf(vcpu, r, cpu, frames.length === 1);
      } catch {
        break; // the stack is not readable: stop here
      }
      if (!step || step.ret === 0n) break;
      if (step.viaBp) {
        if (lastBp !== undefined && r.bp <= lastBp) break; // saved rbp must grow up the stack
        lastBp = r.bp;
      }
      frames.push(site(step.ret));
      r = { pc: step.ret, sp: step.sp, bp: step.bp };
    }
    return frames;
  }

  /**
   * Where a return from the current function lands and the sp it will have there. `honest` is
   * false when no frame pointer was found and [sp] is only a guess.
   */
  async returnSite(vcpu: number, cpu: CpuView): Promise<{ ret: bigint; sp: bigint; honest: boolean }> {
    const step = await this.callerOf(vcpu, cpu, cpu, true).catch(() => undefined);
    if (step) return { ret: step.ret, sp: step.sp, honest: true };
    const ret = await readPointer(this.target, vcpu, linearOf(cpu.stackBase, cpu.sp, cpu.bitness), cpu.ptrBytes);
    return { ret: linearOf(cpu.codeBase, ret, cpu.bitness), sp: cpu.sp + BigInt(cpu.ptrBytes), honest: false };
  }
}
