/**
 * What a run is for, decided before it starts: continue, one instruction, or run until a vCPU is
 * back at an address in its caller's frame (step over a call, step out of a function).
 */
import { hex } from '../util/numbers';
import { cpuView, decodeAt } from './cpuView';
import type { Insertions } from './insertions';
import type { StopState } from './registersCache';
import type { StackWalker } from './stack/stackWalker';

export type Goal =
  | { kind: 'continue' }
  | { kind: 'step'; vcpu: number }
  /** Run until `vcpu` reaches `address` with sp >= `sp` (back in the caller's frame). */
  | { kind: 'until'; vcpu: number; address: bigint; sp: bigint; what: string };

/** What planning a goal reads: the vCPU's registers and code, its stack. */
export interface GoalHost {
  readonly stopState: StopState;
  readonly insertions: Insertions;
  readonly stackWalker: StackWalker;
  log(text: string): void;
}

/** Steps over a call (to the instruction after it, in this frame); any other instruction is stepped. */
export async function stepOverGoal(host: GoalHost, vcpu: number): Promise<Goal> {
  const cpu = await cpuView(host.stopState, vcpu);
  const readCode = (v: number, a: bigint, n: number): Promise<Uint8Array> => host.insertions.readCode(v, a, n);
  const insn = await decodeAt(readCode, vcpu, cpu.pc, cpu.bitness).catch(() => undefined);
  if (!insn?.isCall) return { kind: 'step', vcpu };
  return { kind: 'until', vcpu, address: cpu.pc + BigInt(insn.length), sp: cpu.sp, what: 'step over' };
}

/** Runs to the return address of the current function (frame pointer when detected, else [sp]). */
export async function stepOutGoal(host: GoalHost, vcpu: number): Promise<Goal> {
  const cpu = await cpuView(host.stopState, vcpu);
  const site = await host.stackWalker.returnSite(vcpu, cpu);
  if (!site.honest) {
    host.log(
      `step out: no frame pointer found at ${hex(cpu.pc)}; returning to the address at [sp] (${hex(site.ret)}), ` +
        `which is right only at a function's first instruction or in code that pushed nothing since: it may stop late or not at all`,
    );
  }
  return { kind: 'until', vcpu, address: site.ret, sp: site.sp, what: 'step out' };
}
