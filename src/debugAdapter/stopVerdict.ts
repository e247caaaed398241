/**
 * What a stop means for the run it ends: a stop to report (a step done, a breakpoint whose
 * condition holds, a watchpoint, a trap nobody set, a signal, the end), or nothing, and the run
 * goes on (a condition false, a hit count not reached, the temporary breakpoint of a step over
 * reached by another vCPU or a deeper recursion, an interrupt the adapter made itself).
 */
import type { StopEvent } from '../target/target';
import { hex } from '../util/numbers';
import type { BreakpointTable } from './breakpointTable';
import { cpuView } from './cpuView';
import type { StopState } from './registersCache';
import type { Goal } from './runGoals';

export interface ReportedStop {
  reason: 'entry' | 'pause' | 'step' | 'breakpoint' | 'data breakpoint' | 'exception' | 'exited';
  vcpu: number;
  hitBreakpointIds?: number[];
  description?: string;
  /** Shown next to the stop, and logged. */
  text?: string;
}

/** What judging a stop reads and where it says why a stop was not reported. */
export interface JudgeHost {
  readonly stopState: StopState;
  readonly breakpoints: BreakpointTable;
  log(text: string): void;
  /** Details of silent resumes, when the configuration asks for them. */
  trace(text: string): void;
}

export class StopJudge {
  constructor(
    private readonly host: JudgeHost,
    /** How long one instruction may take before the vCPU is taken for halted. */
    private readonly stepTimeoutMs: number,
    /** Read when needed: the user may ask for a pause while a stop is judged. */
    private readonly pauseWanted: () => boolean,
  ) {}

  /** `stepOff`: the stop of the step off a breakpoint, which nobody sees unless it hit something. */
  async judge(ev: StopEvent, goal: Goal, lastVcpu: number, timedOut: boolean, stepOff: boolean): Promise<ReportedStop | undefined> {
    const vcpu = ev.vcpu ?? lastVcpu;
    if (ev.reason === 'exited') return { reason: 'exited', vcpu, text: `the target exited (${ev.detail ?? 'no detail'})` };

    if (goal.kind === 'step') {
      if (ev.cause === 'trap' || ev.reason === 'data breakpoint') return { reason: 'step', vcpu: goal.vcpu };
      if (this.pauseWanted()) return { reason: 'pause', vcpu: goal.vcpu };
      if (timedOut) {
        return {
          reason: 'pause',
          vcpu: goal.vcpu,
          description: 'instruction not executed',
          text: `CPU ${goal.vcpu} executed no instruction within ${this.stepTimeoutMs} ms: it is halted (hlt) or waiting; stopped instead`,
        };
      }
      return undefined; // interrupted to change breakpoints: step again
    }

    if (ev.reason === 'data breakpoint' && ev.dataAddress !== undefined) {
      const hit = this.host.breakpoints.dataAt(ev.dataAddress);
      const verdict = await this.host.breakpoints.judge(hit, vcpu);
      for (const n of verdict.notes) this.host.log(n);
      if (verdict.ids.length) {
        return { reason: 'data breakpoint', vcpu, hitBreakpointIds: verdict.ids, description: `data breakpoint at ${hex(ev.dataAddress)}` };
      }
      this.host.trace(`CPU ${vcpu}: watchpoint at ${hex(ev.dataAddress)} not reported (condition or hit count)`);
      return this.pauseWanted() ? { reason: 'pause', vcpu } : undefined;
    }

    if (ev.cause === 'trap') {
      const cpu = await cpuView(this.host.stopState, vcpu);
      let ours = false;
      if (goal.kind === 'until' && cpu.pc === goal.address) {
        if (vcpu === goal.vcpu && cpu.sp >= goal.sp) return { reason: 'step', vcpu };
        ours = true;
        this.host.trace(`${goal.what}: CPU ${vcpu} reached ${hex(cpu.pc)} with sp ${hex(cpu.sp)} (${vcpu === goal.vcpu ? 'a deeper call' : 'another vCPU'}); resumed`);
      }
      const hit = this.host.breakpoints.codeAt(cpu.pc);
      if (hit.length) {
        const verdict = await this.host.breakpoints.judge(hit, vcpu);
        for (const n of verdict.notes) this.host.log(n);
        if (verdict.ids.length) return { reason: 'breakpoint', vcpu, hitBreakpointIds: verdict.ids };
        this.host.trace(`CPU ${vcpu}: breakpoint at ${hex(cpu.pc)} not reported (condition or hit count)`);
      } else if (!ours && !stepOff) {
        return {
          reason: 'exception',
          vcpu,
          description: 'trap',
          text: `CPU ${vcpu} stopped with a trap at ${hex(cpu.pc)} where this session has no breakpoint (${ev.detail ?? ''})`,
        };
      }
      return this.pauseWanted() ? { reason: 'pause', vcpu } : undefined;
    }

    if (ev.cause === 'interrupt' || ev.cause === undefined) {
      // An interrupt: the user's pause, or ours to change breakpoints (then run on).
      if (stepOff && timedOut) this.host.trace(`CPU ${vcpu} did not step off the breakpoint within ${this.stepTimeoutMs} ms (halted?); the others run`);
      if (this.pauseWanted()) return { reason: 'pause', vcpu };
      this.host.trace(`CPU ${vcpu} stopped by an interrupt (${ev.detail ?? 'no detail'}); resumed`);
      return undefined;
    }
    return { reason: 'exception', vcpu, description: `signal ${ev.signal}`, text: `CPU ${vcpu} stopped with signal ${ev.signal} (${ev.detail ?? ''})` };
  }
}
