/**
 * Run control for the session: continue, pause, step one instruction, step over a call, step out.
 * Every stop passes through `judge`, which reports it or resumes silently: a breakpoint whose
 * condition is false or whose hit count is not reached, the temporary breakpoint of a step over
 * hit by another vCPU or by a deeper recursion of the same one (QEMU has no per-vCPU breakpoints),
 * an interrupt the adapter made to change breakpoints while running, the step that takes a vCPU
 * off a breakpoint before a continue (judged too: it may hit a watchpoint or land on a breakpoint).
 *
 * All target access is serialised through one queue: a request never interleaves its packets
 * with those of a stop being judged. While the target runs, work that needs it stopped (new
 * breakpoints) is queued, the target interrupted, the work done, and the run goes on.
 */
import type { StopEvent, Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { BreakpointTable } from './breakpointTable';
import { cpuView, decodeAt, type CpuView } from './cpuView';
import type { StackWalker } from './stack/stackWalker';
import { CODE_KINDS, type Insertions } from './insertions';
import type { StopState } from './registersCache';
import { SerialQueue } from './serialQueue';

export interface ReportedStop {
  reason: 'entry' | 'pause' | 'step' | 'breakpoint' | 'data breakpoint' | 'exception' | 'exited';
  vcpu: number;
  hitBreakpointIds?: number[];
  description?: string;
  /** Shown next to the stop, and logged. */
  text?: string;
}

export interface ExecutionHost {
  readonly target: Target;
  /** Registers and segment state of the current stop (invalidated by onAnyStop). */
  readonly stopState: StopState;
  readonly breakpoints: BreakpointTable;
  readonly insertions: Insertions;
  readonly stackWalker: StackWalker;
  /** After every stop, reported or not: what was read before is stale. */
  onAnyStop(): void;
  report(stop: ReportedStop): void;
  /** A run the user asked for starts (continue, a step): the views show the target as running. */
  resumed(vcpu: number): void;
  log(text: string): void;
  /** Details of silent resumes, when the configuration asks for them. */
  trace(text: string): void;
}

type Goal =
  | { kind: 'continue' }
  | { kind: 'step'; vcpu: number }
  /** Run until `vcpu` reaches `address` with sp >= `sp` (back in the caller's frame). */
  | { kind: 'until'; vcpu: number; address: bigint; sp: bigint; what: string };

interface Waited {
  ev: StopEvent;
  timedOut: boolean;
}

/** One leg of a run: the target started, what puts lifted breakpoints back, whether it is a step and whether it steps off a breakpoint. */
interface Leg {
  running: Promise<Waited>;
  restore?: () => Promise<void>;
  step: boolean;
  stepOff?: boolean;
}

export class Execution {
  private readonly queue = new SerialQueue();
  private running = false;
  private pauseWanted = false;
  private closing = false;
  private work: (() => Promise<void>)[] = [];
  private loop: Promise<void> | undefined;
  private lastVcpu: number;
  /**
   * QEMU (TCG) reports a watchpoint hit inside a single step with the step, and keeps a debug
   * interrupt pending on that vCPU besides: the vCPU stops again, at the same pc and before any
   * instruction, as soon as it next runs. That stop is expected here and never shown.
   */
  private latent: { vcpu: number; pc: bigint } | undefined;

  constructor(
    private readonly host: ExecutionHost,
    /** How long one instruction may take before the vCPU is taken for halted. */
    private readonly stepTimeoutMs = 2000,
  ) {
    this.lastVcpu = host.target.lastStop?.vcpu ?? 0;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Runs `fn` in turn with everything else that touches the target, running or not. */
  serialized<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn);
  }

  /** Runs `fn` on the stopped target, in turn with everything else; refuses while it runs. */
  stopped<T>(fn: () => Promise<T>, what: string): Promise<T> {
    if (this.running) return Promise.reject(new HyperFrameError('RUNNING', `cannot ${what} while the target runs: pause it first`));
    return this.queue.run(fn);
  }

  /** Runs `fn` with the target stopped: now if it is, else at an interrupt, after which the run goes on. */
  whileStopped<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job = async (): Promise<void> => {
        try {
          resolve(await fn());
        } catch (e) {
          reject(e);
        }
      };
      if (!this.running) {
        void this.queue.run(job);
        return;
      }
      this.work.push(job);
      this.interrupt();
    });
  }

  continue(): Promise<void> {
    return this.start(async () => ({ kind: 'continue' }));
  }

  stepInstruction(vcpu: number): Promise<void> {
    return this.start(async () => ({ kind: 'step', vcpu }));
  }

  /** Steps over a call (to the instruction after it, in this frame); any other instruction is stepped. */
  next(vcpu: number): Promise<void> {
    return this.start(async () => {
      const cpu = await this.cpu(vcpu);
      const readCode = (v: number, a: bigint, n: number): Promise<Uint8Array> => this.host.insertions.readCode(v, a, n);
      const insn = await decodeAt(readCode, vcpu, cpu.pc, cpu.bitness).catch(() => undefined);
      if (!insn?.isCall) return { kind: 'step', vcpu };
      return { kind: 'until', vcpu, address: cpu.pc + BigInt(insn.length), sp: cpu.sp, what: 'step over' };
    });
  }

  /** Runs to the return address of the current function (frame pointer when detected, else [sp]). */
  stepOut(vcpu: number): Promise<void> {
    return this.start(async () => {
      const cpu = await this.cpu(vcpu);
      const site = await this.host.stackWalker.returnSite(vcpu, cpu);
      if (!site.honest) {
        this.host.log(
          `step out: no frame pointer found at ${hex(cpu.pc)}; returning to the address at [sp] (${hex(site.ret)}), ` +
            `which is right only at a function's first instruction or in code that pushed nothing since: it may stop late or not at all`,
        );
      }
      return { kind: 'until', vcpu, address: site.ret, sp: site.sp, what: 'step out' };
    });
  }

  /** Asks a running target to stop; the stop is reported as 'pause'. False when it was not running. */
  pause(): boolean {
    if (!this.running) return false;
    this.pauseWanted = true;
    this.interrupt();
    return true;
  }

  /**
   * Before a detach that lets the machine run: takes QEMU's pending debug stop (see `latent`) with
   * one step of that vCPU, or the machine would stop again at once, with no debugger to resume it.
   */
  async settleForDetach(): Promise<void> {
    const l = this.latent;
    if (!l || this.running || this.host.target.running) return;
    this.latent = undefined;
    await this.queue.run(async () => void (await this.waitStop(() => this.host.target.step(l.vcpu), true)));
  }

  /** Ends run control: interrupts a run (without reporting it) and waits for the loop to finish. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.interrupt();
    const loop = this.loop;
    if (loop) await Promise.race([loop, new Promise((r) => setTimeout(r, this.stepTimeoutMs + 1000))]);
    await this.queue.run(async () => undefined);
  }

  // ---- the run loop ----

  private async start(plan: () => Promise<Goal>): Promise<void> {
    if (!this.host.target.capabilities.runControl) throw new HyperFrameError('TARGET', 'a dump is a snapshot: it cannot run, step or pause');
    if (this.closing) throw new HyperFrameError('DISCONNECTED', 'the session is ending');
    if (this.running) throw new HyperFrameError('TARGET', 'the target is already running');
    this.running = true;
    this.pauseWanted = false;
    let goal: Goal;
    try {
      goal = await this.queue.run(plan);
    } catch (e) {
      this.running = false;
      void this.queue.run(() => this.drainWork());
      throw e;
    }
    this.host.resumed(goal.kind === 'continue' ? this.lastVcpu : goal.vcpu);
    this.loop = this.run(goal);
  }

  private async run(goal: Goal): Promise<void> {
    let report: ReportedStop | undefined;
    let temp = false;
    try {
      if (goal.kind === 'until') {
        await this.queue.run(() => this.host.insertions.add('software', goal.address));
        temp = true;
      }
      report = await this.runUntilReported(goal);
    } catch (e) {
      const lost = e instanceof HyperFrameError && e.code === 'DISCONNECTED';
      if (!lost && !this.closing) {
        report = { reason: 'exception', vcpu: this.lastVcpu, description: 'run control failed', text: (e as Error).message };
      }
    } finally {
      await this.queue.run(async () => {
        if (temp && goal.kind === 'until') await this.host.insertions.remove('software', goal.address).catch(() => undefined);
        this.running = false;
        this.pauseWanted = false;
        await this.drainWork();
      });
      this.loop = undefined;
    }
    if (report && !this.closing) {
      this.lastVcpu = report.vcpu;
      this.host.report(report);
    }
  }

  private async runUntilReported(goal: Goal): Promise<ReportedStop | undefined> {
    let stepOffTimedOut = false;
    for (;;) {
      // A leg is started inside the queue but waited for outside it, so that requests that
      // need no stopped target (threads) are answered while it runs.
      const started = await this.queue.run(() => this.startLeg(goal, stepOffTimedOut));
      if (started === undefined) return undefined;
      if ('report' in started) return started.report;
      const restore = started.restore;
      const { ev, timedOut } = await started.running.finally(() => (restore ? this.queue.run(restore) : undefined));
      if (this.closing) return undefined;
      // A vCPU that did not step off in time (halted) is not stepped again: the rest run.
      stepOffTimedOut = started.stepOff === true && timedOut;
      const verdict = await this.queue.run(async () => {
        this.host.onAnyStop();
        if (ev.vcpu !== undefined) this.lastVcpu = ev.vcpu;
        await this.drainWork();
        if (await this.latentStop(ev)) return undefined; // nothing ran: run (or step) again
        if (started.step && ev.reason === 'data breakpoint' && ev.vcpu !== undefined) this.latent = { vcpu: ev.vcpu, pc: (await this.cpu(ev.vcpu)).pc };
        return this.judge(ev, goal, timedOut, started.stepOff === true);
      });
      if (verdict) return verdict;
    }
  }

  /**
   * Starts one leg, after the queued work, unless the session ends or a pause is wanted (checked
   * again before every leg, the step off a breakpoint included): a step of the goal's vCPU, the
   * step of the vCPU that stopped at a breakpoint off it, or a continue.
   */
  private async startLeg(goal: Goal, stepOffTimedOut: boolean): Promise<Leg | { report: ReportedStop } | undefined> {
    await this.drainWork();
    if (this.closing) return undefined;
    if (this.pauseWanted) return { report: { reason: 'pause', vcpu: this.lastVcpu } };
    if (goal.kind === 'step') return this.stepLeg(goal.vcpu, false);
    if (!stepOffTimedOut) {
      const off = await this.stepLeg(this.lastVcpu, true);
      if (off) return off;
    }
    return { running: this.waitStop(() => this.host.target.resume(), false), step: false };
  }

  /**
   * A step of `vcpu` with our code breakpoints at its pc taken out, as gdb does: QEMU under TCG
   * steps over them anyway, but under KVM the step would trap on the int3 and report the same pc.
   * `offBreakpoint`: only when one sits there (undefined otherwise), to take the vCPU that stopped
   * at it past it before a continue (QEMU would report it again at once).
   */
  private async stepLeg(vcpu: number, offBreakpoint: boolean): Promise<Leg | undefined> {
    const t = this.host.target;
    const at = this.host.insertions.hasCode() ? (await this.cpu(vcpu)).pc : undefined;
    const onBreakpoint = at !== undefined && this.host.insertions.hasCodeAt(at);
    if (offBreakpoint && !onBreakpoint) return undefined;
    const restore = onBreakpoint ? await this.host.insertions.lift(CODE_KINDS, at) : undefined;
    return { running: this.waitStop(() => t.step(vcpu), true), restore, step: true, stepOff: offBreakpoint };
  }

  /** True for the stop QEMU kept pending after a watchpoint hit inside a step (see `latent`). */
  private async latentStop(ev: StopEvent): Promise<boolean> {
    const l = this.latent;
    if (!l || ev.vcpu !== l.vcpu || ev.cause !== 'trap') return false;
    if (ev.reason === 'data breakpoint') {
      this.latent = undefined; // it ran into another one: nothing is pending any more
      return false;
    }
    const pc = (await this.cpu(l.vcpu)).pc;
    this.latent = undefined; // it ran (or stopped for this): nothing is pending any more
    if (pc !== l.pc) return false;
    this.host.trace(`CPU ${l.vcpu} stopped again at ${hex(pc)} without running (QEMU's second stop for a watchpoint hit in a step); ignored`);
    return true;
  }

  /**
   * Starts the target with `go` and resolves at its next stop; rejects when `go` fails (a refused
   * resume, an unparseable stop reply) or the connection is lost, so a run never waits forever. A
   * step (`bounded`) that has not finished after stepTimeoutMs is interrupted: a halted vCPU never
   * executes its instruction.
   */
  private waitStop(go: () => Promise<unknown>, bounded: boolean): Promise<Waited> {
    const t = this.host.target;
    return new Promise<Waited>((resolve, reject) => {
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        offStop();
        offGone();
        if (timer) clearTimeout(timer);
      };
      const offStop = t.onStop((ev) => {
        done();
        resolve({ ev, timedOut });
      });
      const offGone = t.onDisconnect((reason) => {
        done();
        reject(new HyperFrameError('DISCONNECTED', reason));
      });
      if (bounded) {
        timer = setTimeout(() => {
          timedOut = true;
          this.interrupt();
        }, this.stepTimeoutMs);
      }
      let running: Promise<unknown>;
      try {
        running = go(); // synchronously: the target counts as running from here on
      } catch (e) {
        running = Promise.reject(e);
      }
      running.catch((e: unknown) => {
        done();
        reject(e);
      });
    });
  }

  /** Interrupts a running target; a stub that does not stop in time is said so (pause again, or disconnect). */
  private interrupt(): void {
    const t = this.host.target;
    if (!t.running) return;
    t.pause().catch((e: unknown) => {
      if (t.running) this.host.log(`the target did not stop: ${(e as Error).message}`);
    });
  }

  private cpu(vcpu: number): Promise<CpuView> {
    return cpuView(this.host.stopState, vcpu);
  }

  /** `stepOff`: the stop of the step off a breakpoint, which nobody sees unless it hit something. */
  private async judge(ev: StopEvent, goal: Goal, timedOut: boolean, stepOff: boolean): Promise<ReportedStop | undefined> {
    const vcpu = ev.vcpu ?? this.lastVcpu;
    if (ev.reason === 'exited') return { reason: 'exited', vcpu, text: `the target exited (${ev.detail ?? 'no detail'})` };

    if (goal.kind === 'step') {
      if (ev.cause === 'trap' || ev.reason === 'data breakpoint') return { reason: 'step', vcpu: goal.vcpu };
      if (this.pauseWanted) return { reason: 'pause', vcpu: goal.vcpu };
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
      return this.pauseWanted ? { reason: 'pause', vcpu } : undefined;
    }

    if (ev.cause === 'trap') {
      const cpu = await this.cpu(vcpu);
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
      return this.pauseWanted ? { reason: 'pause', vcpu } : undefined;
    }

    if (ev.cause === 'interrupt' || ev.cause === undefined) {
      // An interrupt: the user's pause, or ours to change breakpoints (then run on).
      if (stepOff && timedOut) this.host.trace(`CPU ${vcpu} did not step off the breakpoint within ${this.stepTimeoutMs} ms (halted?); the others run`);
      if (this.pauseWanted) return { reason: 'pause', vcpu };
      this.host.trace(`CPU ${vcpu} stopped by an interrupt (${ev.detail ?? 'no detail'}); resumed`);
      return undefined;
    }
    return { reason: 'exception', vcpu, description: `signal ${ev.signal}`, text: `CPU ${vcpu} stopped with signal ${ev.signal} (${ev.detail ?? ''})` };
  }

  private async drainWork(): Promise<void> {
    while (this.work.length) {
      const job = this.work.shift();
      if (job) await job();
    }
  }
}
