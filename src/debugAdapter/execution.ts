/**
 * Run control for the session: continue, pause, step one instruction, step over a call, step out.
 * Every stop passes through `judge`, which reports it or resumes silently: a breakpoint whose
 * condition is false or whose hit count is not reached, the temporary breakpoint of a step over
 * hit by another vCPU or by a deeper recursion of the same one (QEMU has no per-vCPU breakpoints),
 * an interrupt the adapter made to change breakpoints while running.
 *
 * All target access is serialised through one queue: a request never interleaves its packets
 * with those of a stop being judged. While the target runs, work that needs it stopped (new
 * breakpoints) is queued, the target interrupted, the work done, and the run goes on.
 */
import type { StopEvent, Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { BreakpointTable } from './breakpointTable';
import { cpuView, decodeAt } from './cpuView';
import type { FrameWalker } from './frames';
import type { Insertions } from './insertions';
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
  readonly breakpoints: BreakpointTable;
  readonly insertions: Insertions;
  readonly frames: FrameWalker;
  /** After every stop, reported or not: what was read before is stale. */
  onAnyStop(): void;
  report(stop: ReportedStop): void;
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

/** The stub's signal number from the stop reply (T05 trap, T02 interrupt), if it said one. */
export function signalOf(ev: StopEvent): number | undefined {
  const m = /^[TS]([0-9a-f]{2})/i.exec(ev.detail ?? '');
  return m ? parseInt(m[1], 16) : undefined;
}

export class Execution {
  private readonly queue = new SerialQueue();
  private running = false;
  private pauseWanted = false;
  private closing = false;
  private work: (() => Promise<void>)[] = [];
  private loop: Promise<void> | undefined;
  private lastVcpu: number;

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
    if (this.running) return Promise.reject(new HyperFrameError('TARGET', `cannot ${what} while the target runs: pause it first`));
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
      if (this.host.target.running) void this.host.target.pause().catch(() => undefined);
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
      const t = this.host.target;
      const cpu = await cpuView(t, vcpu);
      const insn = await decodeAt(t, vcpu, cpu.pc, cpu.bitness).catch(() => undefined);
      if (!insn?.isCall) return { kind: 'step', vcpu };
      return { kind: 'until', vcpu, address: cpu.pc + BigInt(insn.length), sp: cpu.sp, what: 'step over' };
    });
  }

  /** Runs to the return address of the current function (frame pointer when detected, else [sp]). */
  stepOut(vcpu: number): Promise<void> {
    return this.start(async () => {
      const t = this.host.target;
      const cpu = await cpuView(t, vcpu);
      const site = await this.host.frames.returnSite(vcpu, cpu);
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
    if (this.host.target.running) void this.host.target.pause().catch(() => undefined);
    return true;
  }

  /** Ends run control: interrupts a run (without reporting it) and waits for the loop to finish. */
  async shutdown(): Promise<void> {
    this.closing = true;
    if (this.host.target.running) void this.host.target.pause().catch(() => undefined);
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
    for (;;) {
      // Wrapped in an object: a promise returned as such would hold the queue until the stop.
      const started = await this.queue.run(async (): Promise<{ running: Promise<Waited> } | { report: ReportedStop } | undefined> => {
        await this.drainWork();
        if (this.closing) return undefined;
        if (this.pauseWanted) return { report: { reason: 'pause', vcpu: this.lastVcpu } };
        if (goal.kind === 'step') return { running: this.waitStop(() => this.host.target.step(goal.vcpu), true) };
        await this.stepOffBreakpoint(this.lastVcpu);
        return { running: this.waitStop(() => this.host.target.resume(), false) };
      });
      if (started === undefined) return undefined;
      if ('report' in started) return started.report;
      const { ev, timedOut } = await started.running;
      if (this.closing) return undefined;
      const verdict = await this.queue.run(async () => {
        this.host.onAnyStop();
        if (ev.vcpu !== undefined) this.lastVcpu = ev.vcpu;
        await this.drainWork();
        return this.judge(ev, goal, timedOut);
      });
      if (verdict) return verdict;
    }
  }

  /**
   * Starts the target with `go` and resolves at its next stop. A step (`bounded`) that has not
   * finished after stepTimeoutMs is interrupted: a halted vCPU never executes its instruction.
   */
  private waitStop(go: () => Promise<unknown>, bounded: boolean): Promise<Waited> {
    const t = this.host.target;
    return new Promise<Waited>((resolve, reject) => {
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      // An interrupt sent in the instant between asking to resume and the resume going out is
      // lost, so while something waits for a stop (a pause, queued work, the end) ask again.
      const nudge = setInterval(() => {
        if (this.work.length || this.pauseWanted || this.closing) void t.pause().catch(() => undefined);
      }, 50);
      const done = (): void => {
        offStop();
        offGone();
        clearInterval(nudge);
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
          void t.pause().catch(() => undefined);
        }, this.stepTimeoutMs);
      }
      go().catch((e: unknown) => {
        done();
        reject(e);
      });
    });
  }

  /** QEMU re-reports a breakpoint at pc on continue: the vCPU that stopped there steps past it first. */
  private async stepOffBreakpoint(vcpu: number): Promise<void> {
    const t = this.host.target;
    const cpu = await cpuView(t, vcpu);
    if (!this.host.insertions.hasCodeAt(cpu.pc)) return;
    const { timedOut } = await this.waitStop(() => t.step(vcpu), true);
    this.host.onAnyStop();
    if (timedOut) this.host.trace(`CPU ${vcpu} did not step off the breakpoint at ${hex(cpu.pc)} (halted?)`);
  }

  private async judge(ev: StopEvent, goal: Goal, timedOut: boolean): Promise<ReportedStop | undefined> {
    const t = this.host.target;
    const vcpu = ev.vcpu ?? this.lastVcpu;
    const signal = signalOf(ev);
    if (ev.reason === 'exited') return { reason: 'exited', vcpu, text: `the target exited (${ev.detail ?? 'no detail'})` };

    if (goal.kind === 'step') {
      if (signal === 5 || ev.reason === 'data breakpoint') return { reason: 'step', vcpu: goal.vcpu };
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

    if (signal === 5) {
      const cpu = await cpuView(t, vcpu);
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
      } else if (!ours) {
        return {
          reason: 'exception',
          vcpu,
          description: 'trap',
          text: `CPU ${vcpu} stopped with a trap at ${hex(cpu.pc)} where this session has no breakpoint (${ev.detail ?? ''})`,
        };
      }
      return this.pauseWanted ? { reason: 'pause', vcpu } : undefined;
    }

    if (signal === 2 || signal === undefined) {
      // An interrupt: the user's pause, or ours to change breakpoints (then run on).
      return this.pauseWanted ? { reason: 'pause', vcpu } : undefined;
    }
    return { reason: 'exception', vcpu, description: `signal ${signal}`, text: `CPU ${vcpu} stopped with signal ${signal} (${ev.detail ?? ''})` };
  }

  private async drainWork(): Promise<void> {
    while (this.work.length) {
      const job = this.work.shift();
      if (job) await job();
    }
  }
}
