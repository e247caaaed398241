import type { BreakpointKind, Target } from '../target/target';

interface Insertion {
  kind: BreakpointKind;
  address: bigint;
  bytes: number;
  users: number;
}

const key = (kind: BreakpointKind, address: bigint, bytes: number): string => `${kind}:${address}:${bytes}`;

/**
 * What is inserted in the stub, counted: a user breakpoint and a temporary one (step over, step
 * out) at the same address share one `Z`, and the `z` goes out only when the last one leaves.
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

  /** True when a code breakpoint (any user) sits at `address`: a vCPU there must step off it first. */
  hasCodeAt(address: bigint): boolean {
    for (const i of this.live.values()) {
      if ((i.kind === 'software' || i.kind === 'hardware') && i.address === address) return true;
    }
    return false;
  }

  /** Takes everything out (end of session); tries all, ignores refusals. */
  async clear(): Promise<void> {
    const all = [...this.live.values()];
    this.live.clear();
    for (const i of all) await this.target.removeBreakpoint(i.kind, i.address, i.bytes).catch(() => undefined);
  }
}
