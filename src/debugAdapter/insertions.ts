import type { BreakpointKind, Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';

interface Insertion {
  kind: BreakpointKind;
  address: bigint;
  bytes: number;
  users: number;
}

const key = (kind: BreakpointKind, address: bigint, bytes: number): string => `${kind}:${address}:${bytes}`;

/** Both kinds of code breakpoint: a step over one takes out whichever sits at pc. */
export const CODE_KINDS: readonly BreakpointKind[] = ['software', 'hardware'];

/**
 * What is inserted in the stub, counted: a user breakpoint and a temporary one (step over, step
 * out) at the same address share one `Z`, and the `z` goes out only when the last one leaves.
 *
 * A stub may implement a software breakpoint by writing int3 into guest memory (QEMU under KVM
 * does), so that memory reads show 0xcc and a step from it traps on it again. As gdb does, a step
 * from a breakpoint and a read of code take our breakpoints there out for that moment (`lift`).
 */
export class Insertions {
  private readonly live = new Map<string, Insertion>();

  constructor(private readonly target: Target) {}

  async add(kind: BreakpointKind, address: bigint, bytes = 1): Promise<void> {
    const k = key(kind, address, bytes);
    const have = this.live.get(k);
    if (have) {
      have.users++;
      return;
    }
    await this.target.insertBreakpoint(kind, address, bytes);
    this.live.set(k, { kind, address, bytes, users: 1 });
  }

  async remove(kind: BreakpointKind, address: bigint, bytes = 1): Promise<void> {
    const k = key(kind, address, bytes);
    const have = this.live.get(k);
    if (!have) return;
    if (--have.users > 0) return;
    this.live.delete(k);
    await this.target.removeBreakpoint(kind, address, bytes);
  }

  /** True when any code breakpoint is inserted (else nothing needs the pc to decide on a step). */
  hasCode(): boolean {
    for (const i of this.live.values()) if (CODE_KINDS.includes(i.kind)) return true;
    return false;
  }

  /** True when a code breakpoint (any user) sits at `address`: a vCPU there must step off it first. */
  hasCodeAt(address: bigint): boolean {
    for (const i of this.live.values()) {
      if (CODE_KINDS.includes(i.kind) && i.address === address) return true;
    }
    return false;
  }

  /**
   * Takes our breakpoints of `kinds` in [address, address + bytes) out of the stub and returns
   * what puts them back. A breakpoint that cannot be put back is forgotten (it is not in the stub)
   * and the failure rethrown, naming it.
   */
  async lift(kinds: readonly BreakpointKind[], address: bigint, bytes = 1): Promise<() => Promise<void>> {
    const end = address + BigInt(bytes);
    const out: Insertion[] = [];
    try {
      for (const i of this.live.values()) {
        if (!kinds.includes(i.kind) || i.address < address || i.address >= end) continue;
        await this.target.removeBreakpoint(i.kind, i.address, i.bytes);
        out.push(i);
      }
    } catch (e) {
      await this.restore(out).catch(() => undefined);
      throw e;
    }
    return () => this.restore(out);
  }

  /** Runs `fn` with the breakpoints of `kinds` in [address, address + bytes) out of the stub. */
  async withLifted<T>(kinds: readonly BreakpointKind[], address: bigint, bytes: number, fn: () => Promise<T>): Promise<T> {
    const restore = await this.lift(kinds, address, bytes);
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      await restore().catch(() => undefined); // the caller's own error says more
      throw e;
    }
    await restore();
    return result;
  }

  /** Code bytes as the program has them, without the int3 of our software breakpoints. */
  readCode(vcpu: number, address: bigint, bytes: number): Promise<Uint8Array> {
    return this.withLifted(['software'], address, bytes, () => this.target.readVirtual(vcpu, address, bytes));
  }

  private async restore(list: readonly Insertion[]): Promise<void> {
    let first: unknown;
    for (const i of list) {
      try {
        await this.target.insertBreakpoint(i.kind, i.address, i.bytes);
      } catch (e) {
        this.live.delete(key(i.kind, i.address, i.bytes));
        first ??= new HyperFrameError('TARGET', `the ${i.kind} breakpoint at ${hex(i.address)} could not be put back and is gone: ${(e as Error).message}`);
      }
    }
    if (first) throw first;
  }

  /** Takes everything out (end of session); tries all, ignores refusals. */
  async clear(): Promise<void> {
    const all = [...this.live.values()];
    this.live.clear();
    for (const i of all) await this.target.removeBreakpoint(i.kind, i.address, i.bytes).catch(() => undefined);
  }
}
