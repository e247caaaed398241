/**
 * Run control for the session: continue, pause, step one instruction, step over a call, step out.
 * Every stop passes through the judge (stopVerdict.ts), which reports it or resumes silently: a
 * breakpoint whose condition is false or whose hit count is not reached, the temporary breakpoint
 * of a step over hit by another vCPU or by a deeper recursion of the same one (QEMU has no
 * per-vCPU breakpoints), an interrupt the adapter made to change breakpoints while running, the
 * step that takes a vCPU off a breakpoint before a continue (judged too: it may hit a watchpoint
 * or land on a breakpoint).
 *
 * All target access is serialised through one queue: a request never interleaves its packets
 * with those of a stop being judged. While the target runs, work that needs it stopped (new
 * breakpoints) is queued, the target interrupted, the work done, and the run goes on.
 */
import type { StopEvent, Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { BreakpointTable } from './breakpointTable';
import { cpuView, type CpuView } from './cpuView';
import type { StackWalker } from './stack/stackWalker';
import { CODE_KINDS, type Insertions } from './insertions';
import type { StopState } from './registersCache';
import { type Goal, stepOutGoal, stepOverGoal } from './runGoals';
import { SerialQueue } from './serialQueue';
import { type ReportedStop, StopJudge } from './stopVerdict';

export type { ReportedStop } from './stopVerdict';

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
  private readonly stopJudge: StopJudge;

  constructor(
    private readonly host: ExecutionHost,
    /** How long one instruction may take before the vCPU is taken for halted. */
    private readonly stepTimeoutMs = 2000,
  ) {
    this.lastVcpu = host.target.lastStop?.vcpu ?? 0;
    this.stopJudge = new StopJudge(host, stepTimeoutMs, () => this.pauseWanted);
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
    return this.start(() => stepOverGoal(this.host, vcpu));
  }

  /** Runs to the return address of the current function (frame pointer when detected, else [sp]). */
  stepOut(vcpu: number): Promise<void> {
    return this.start(() => stepOutGoal(this.host, vcpu));
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
        return this.stopJudge.judge(ev, goal, this.lastVcpu, timedOut, started.stepOff === true);
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

  private async drainWork(): Promise<void> {
    while (this.work.length) {
      const job = this.work.shift();
      if (job) await job();
    }
  }
}
