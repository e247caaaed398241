/**
 * One attached machine and everything the session keeps about it: breakpoints, run control, the
 * call-stack walker, the inspection side, the vCPU in focus, and how to let go of it at the end.
 */
import type { SymbolTable } from '../symbols';
import type { Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { BreakpointTable } from './breakpointTable';
import type { SessionContext } from './context';
import { Execution, type ExecutionHost, type ReportedStop } from './execution';
import { StackWalker } from './stack/stackWalker';
import { Listings } from './stack/listings';
import { Inspection } from './inspection';
import { Insertions } from './insertions';
import type { SessionConfig } from './launchConfig';
import type { OpenedTarget, Output } from './openSession';
import { StopState } from './registersCache';

export interface DebuggeeEvents {
  output: Output;
  /** A stop to show (StoppedEvent), or the target's end ('exited'). */
  stopped(stop: ReportedStop): void;
  /** A run starts (ContinuedEvent). */
  continued(vcpu: number): void;
}

export interface EndOptions {
  /** Quit a QEMU the adapter launched (default for launched QEMU unless false). */
  terminate?: boolean;
  /** Leave the machine paused (default: the configuration's leavePaused). */
  suspend?: boolean;
}

export class Debuggee implements ExecutionHost {
  readonly insertions: Insertions;
  readonly breakpoints: BreakpointTable;
  readonly stackWalker: StackWalker;
  /** The frames' disassembly listings, kept for the stop they show. */
  readonly listings: Listings;
  readonly inspection: Inspection;
  readonly execution: Execution;
  /** Registers and segment state run control and the call stack read, once per stop. */
  readonly stopState: StopState;
  /** The vCPU the user looks at: of the last stop, or of the frame last asked about (scopes, evaluate). */
  current: number;
  private ending: Promise<void> | undefined;

  constructor(
    readonly opened: OpenedTarget,
    readonly config: SessionConfig,
    private readonly events: DebuggeeEvents,
  ) {
    const { target, symbols } = opened;
    this.current = target.lastStop?.vcpu ?? 0;
    this.insertions = new Insertions(target);
    const readCode = (vcpu: number, address: bigint, bytes: number): Promise<Uint8Array> => this.insertions.readCode(vcpu, address, bytes);
    this.stackWalker = new StackWalker(target, symbols, readCode);
    this.listings = new Listings(symbols, readCode);
    const ctx: SessionContext = {
      target,
      symbols,
      xenBuild: opened.xenBuild,
      currentVcpu: () => this.current,
      pagingOverride: opened.pagingOverride,
      log: (text, category = 'console') => events.output(text.endsWith('\n') ? text : `${text}\n`, category),
    };
    this.stopState = new StopState(ctx);
    this.inspection = new Inspection(ctx, this.stopState);
    // Conditions are expressions of the evaluate language, on the vCPU that hit.
    this.breakpoints = new BreakpointTable(this.insertions, symbols, (expression, vcpu) => this.inspection.evaluateCondition(expression, vcpu));
    this.execution = new Execution(this);
  }

  get target(): Target {
    return this.opened.target;
  }

  get symbols(): SymbolTable {
    return this.opened.symbols;
  }

  get ended(): boolean {
    return this.ending !== undefined;
  }

  // ---- ExecutionHost ----

  onAnyStop(): void {
    this.target.invalidate();
    this.inspection.invalidate();
    this.listings.invalidate();
    this.afterWrite();
  }

  /** The user changed registers or memory (or ran a monitor command): run control reads them again. */
  afterWrite(): void {
    this.stopState.invalidate();
    this.stackWalker.invalidate();
  }

  /** What run control read to judge the stop (onAnyStop came before) is what the views show. */
  report(stop: ReportedStop): void {
    this.current = stop.vcpu;
    this.events.stopped(stop);
  }

  resumed(vcpu: number): void {
    this.events.continued(vcpu);
  }

  log(text: string): void {
    this.events.output(`${text}\n`, 'console');
  }

  trace(text: string): void {
    if (this.config.trace) this.log(`[run control] ${text}`);
  }

  // ---- the end ----

  /**
   * Lets go of the machine, once: stops run control, then either quits a launched QEMU or
   * removes every breakpoint, restores virtual mode and detaches, leaving it running unless asked.
   */
  end(opts: EndOptions = {}): Promise<void> {
    this.ending ??= this.doEnd(opts);
    return this.ending;
  }

  /**
   * end(), given up after `ms`: then the connection is dropped without a word and a QEMU the
   * session launched is killed (unless it was to be left running), so that the end is bounded.
   */
  async endWithin(opts: EndOptions, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
    const outcome = await Promise.race([this.end(opts).then(() => 'done' as const), late]).finally(() => clearTimeout(timer));
    if (outcome === 'done') return;
    const { qemu } = this.opened;
    this.opened.target.abort(`letting go of the machine took more than ${ms} ms`);
    if (qemu && opts.terminate !== false) void qemu.terminate(500);
    throw new HyperFrameError('TIMEOUT', `letting go of the machine took more than ${ms} ms: connection dropped${qemu && opts.terminate !== false ? ', QEMU killed' : ''}`);
  }

  private async doEnd(opts: EndOptions): Promise<void> {
    const { target, qemu } = this.opened;
    await this.execution.shutdown().catch(() => undefined);
    if (qemu && opts.terminate !== false) {
      // The socket first, so QEMU does not see a half-finished conversation; then QEMU itself.
      await target.close({ leavePaused: true }).catch(() => undefined);
      await qemu.terminate();
      this.log(`QEMU (pid ${qemu.pid}) ended: ${qemu.exitDescription() ?? 'still running'}`);
      return;
    }
    const leavePaused = opts.suspend ?? this.config.leavePaused;
    let failure: unknown;
    if (!leavePaused) await this.execution.settleForDetach().catch((e: unknown) => (failure = e));
    await this.breakpoints.clear().catch((e: unknown) => (failure ??= e));
    await target.close({ leavePaused }).catch((e: unknown) => (failure ??= e));
    if (failure) this.log(`while detaching: ${(failure as Error).message}`);
    // Asked to leave a launched QEMU running: it must outlive the adapter, whose exit kills
    // the QEMU it still owns, and no longer write into it.
    const kept = qemu?.release();
    if (target.capabilities.runControl) {
      const state = failure ? 'detached, not cleanly (see above)' : `detached; the machine is ${leavePaused ? 'left paused' : 'running'}`;
      this.log(qemu ? `${state}. QEMU (pid ${qemu.pid}) keeps running after this session; its output goes to ${kept}` : state);
    }
  }
}
