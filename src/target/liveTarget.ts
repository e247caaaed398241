import { GdbClient, type GdbClientOptions, resumeAfterLoss } from '../gdbstub/client';
import { MemoryWriteError } from '../gdbstub/memory';
import type { StopReply, ThreadId } from '../gdbstub/replies';
import { PageCache } from '../memory/pageCache';
import type { ControlRegs } from '../paging/modes';
import { HyperFrameError } from '../util/errors';
import type { SegmentRegisters } from '../x86/segments';
import { PartialWriteError } from './errors';
import type { SharedRamFile } from './hostPhysical';
import { choosePhysical, type LivePhysical, type PhysicalMemoryOption, type SymbolLookup } from './livePhysical';
import { segmentsFromMonitor } from './qemuSegments';
import type { BreakpointKind, PhysicalStrategy, StopCause, StopEvent, Target, TargetCapabilities, Unavailable, VcpuInfo } from './target';

export interface AttachOptions extends GdbClientOptions {
  host: string;
  port: number;
  physicalMemory?: PhysicalMemoryOption;
  symbols?: SymbolLookup;
  /** Guest RAM as a shared file, when the one who started QEMU made it so. */
  ramFile?: SharedRamFile;
}

/** A Target over a gdb-remote stub: QEMU's gdbstub first; gdbsx and Xen's own stub too. */
export class LiveTarget implements Target {
  readonly phys: PageCache;
  readonly capabilities: TargetCapabilities;
  readonly description: string;
  private threadIds: ThreadId[] = [];
  private stopListeners = new Set<(e: StopEvent) => void>();
  private pendingResume: Promise<StopEvent> | undefined;
  private last: StopEvent | undefined;
  private expecting: 'step' | 'pause' | undefined;
  private disconnectReason: string | undefined;
  /** How long an interrupt may take to stop the target (the per-request timeout). */
  private readonly interruptMs: number;
  /** Monitor commands in turn, so that `cpu N` and the command it is for are never split. */
  private monitorChain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly client: GdbClient,
    private readonly physical: LivePhysical,
    threads: ThreadId[],
    interruptMs: number,
  ) {
    this.interruptMs = interruptMs;
    this.threadIds = threads;
    this.phys = new PageCache(physical.mem);
    this.capabilities = {
      runControl: true,
      breakpoints: ['software', 'hardware', 'write', 'read', 'access'],
      writeMemory: true,
      monitor: true,
      unavailable: stubLimits(client, physical, threads.length),
    };
    this.description = `gdb-remote stub ${client.connection.peer}; physical memory: ${physical.reason}`;
    const initial = client.lastStop;
    this.last = initial ? this.toEvent(initial, 'entry') : { reason: 'entry', vcpu: 0 };
    client.on('close', (err) => {
      this.disconnectReason = err?.message ?? 'the connection was closed';
    });
  }

  static async attach(opts: AttachOptions): Promise<LiveTarget> {
    const client = await GdbClient.connect(opts.host, opts.port, opts);
    try {
      const threads = (await client.threads(false)).map((t) => t.id);
      const physical = await choosePhysical(client, opts.physicalMemory ?? 'auto', threads[0], opts.symbols, opts.ramFile);
      return new LiveTarget(client, physical, threads, opts.timeoutMs ?? 5000);
    } catch (e) {
      await client.detach().catch(() => undefined);
      throw e;
    }
  }

  get physicalMemory(): string {
    return this.physical.reason;
  }

  get physicalStrategy(): PhysicalStrategy {
    return this.physical.strategy;
  }

  get lastStop(): StopEvent | undefined {
    return this.pendingResume ? undefined : this.last;
  }

  get running(): boolean {
    return this.pendingResume !== undefined;
  }

  private thread(vcpu: number): ThreadId | undefined {
    if (this.threadIds.length === 0) return undefined; // a stub without threads: one CPU
    const t = this.threadIds[vcpu];
    if (!t) throw new HyperFrameError('BAD_ARGUMENT', `there is no vCPU ${vcpu} (this target has ${this.threadIds.length}: 0..${this.threadIds.length - 1})`);
    return t;
  }

  private vcpuOf(id: ThreadId | undefined): number | undefined {
    if (!id) return undefined;
    const i = this.threadIds.findIndex((t) => t.tid === id.tid && (t.pid === undefined || id.pid === undefined || t.pid === id.pid));
    return i >= 0 ? i : undefined;
  }

  private toEvent(stop: StopReply, expected: StopEvent['reason'] | undefined): StopEvent {
    if (stop.kind !== 'signal') return { reason: 'exited', detail: stop.raw };
    const vcpu = this.vcpuOf(stop.thread);
    // gdb's numbers: SIGTRAP for breakpoints, watchpoints and steps, SIGINT for an interrupt.
    const cause: StopCause = stop.signal === 5 ? 'trap' : stop.signal === 2 ? 'interrupt' : 'signal';
    const named = { cause, ...(cause === 'signal' ? { signal: stop.signal } : {}), detail: stop.raw };
    let reason: StopEvent['reason'];
    if (stop.reason?.kind === 'watch' || stop.reason?.kind === 'rwatch' || stop.reason?.kind === 'awatch') {
      return { reason: 'data breakpoint', vcpu, dataAddress: stop.reason.address, ...named };
    } else if (expected) reason = expected;
    else if (cause === 'interrupt') reason = 'pause';
    else if (cause === 'trap') reason = 'breakpoint'; // QEMU reports breakpoints as a bare T05
    else reason = 'signal';
    return { reason, vcpu, ...named };
  }

  private assertStopped(what: string): void {
    if (this.disconnectReason) throw new HyperFrameError('DISCONNECTED', `cannot ${what}: ${this.disconnectReason}`);
    if (this.pendingResume) throw new HyperFrameError('RUNNING', `cannot ${what} while the target runs: pause it first`);
  }

  async vcpuCount(): Promise<number> {
    return Math.max(this.threadIds.length, 1);
  }

  async vcpus(): Promise<VcpuInfo[]> {
    if (!this.pendingResume) {
      const list = await this.client.threads(true);
      this.threadIds = list.map((t) => t.id);
      if (list.length === 0) return [{ id: 0, name: 'CPU 0' }]; // no threads (Xen's own stub): the CPU that stopped
      return list.map((t, id) => {
        const halted = /halted/i.test(t.extraInfo ?? '');
        return { id, name: `CPU ${id}${halted ? ' (halted)' : ''}`, state: halted ? 'halted' : undefined };
      });
    }
    return this.threadIds.map((_, id) => ({ id, name: `CPU ${id}` }));
  }

  async registers(vcpu: number): Promise<Map<string, bigint>> {
    this.assertStopped('read registers');
    return this.client.readRegisters(this.thread(vcpu));
  }

  async writeRegister(vcpu: number, name: string, value: bigint): Promise<void> {
    this.assertStopped('write registers');
    await this.client.writeRegister(name, value, this.thread(vcpu));
    // CR3/CR0/CR4 writes change every translation; keep it simple and drop the cache.
    this.phys.invalidate();
  }

  async controlRegs(vcpu: number): Promise<ControlRegs & { notes: string[] }> {
    const r = await this.registers(vcpu);
    const get = (n: string) => {
      const v = r.get(n);
      if (v === undefined) throw new HyperFrameError('TARGET', noControlRegisters(this.client));
      return v;
    };
    return { cr0: get('cr0'), cr3: get('cr3'), cr4: get('cr4'), efer: get('efer'), notes: [] };
  }

  async readVirtual(vcpu: number, va: bigint, bytes: number): Promise<Uint8Array> {
    this.assertStopped('read memory');
    return this.client.readMemory(va, bytes, this.thread(vcpu));
  }

  async writeVirtual(vcpu: number, va: bigint, data: Uint8Array): Promise<void> {
    this.assertStopped('write memory');
    try {
      await this.client.writeMemory(va, data, this.thread(vcpu)).catch(partialWrite);
    } finally {
      this.phys.invalidate(); // which frames changed is not known without a walk
    }
  }

  async writePhysical(pa: bigint, data: Uint8Array): Promise<void> {
    this.assertStopped('write memory');
    try {
      await this.physical.batch(() => this.physical.mem.write(pa, data)).catch(partialWrite);
    } finally {
      this.phys.invalidateRange(pa, data.length);
    }
  }

  physicalBatch<T>(fn: () => Promise<T>): Promise<T> {
    this.assertStopped('read physical memory');
    return this.physical.batch(fn);
  }

  /** Resolves when the target stops again (the stop also goes to onStop); rejects if the resume fails. */
  async resume(): Promise<void> {
    await this.startResume(undefined, undefined);
  }

  private startResume(thread: ThreadId | undefined, step: 'step' | undefined): Promise<StopEvent> {
    this.assertStopped(step ? 'step' : 'resume');
    this.phys.invalidate();
    this.expecting = step;
    const p = this.client.resume({ step: step === 'step', thread }).then(
      (stop) => {
        const ev = this.toEvent(stop, this.expecting);
        this.pendingResume = undefined;
        this.expecting = undefined;
        this.last = ev;
        for (const l of this.stopListeners) l(ev);
        return ev;
      },
      (e: unknown) => {
        // Refused, an unparseable stop reply, the connection lost: no stop comes. The caller of
        // resume() or step() gets the error; so does a pause() waiting for this run.
        this.pendingResume = undefined;
        this.expecting = undefined;
        throw e;
      },
    );
    p.catch(() => undefined); // not an unhandled rejection while only pendingResume holds it
    this.pendingResume = p;
    return p;
  }

  /**
   * Stops a running target and resolves with the stop; TIMEOUT after `timeoutMs` (the target
   * then still runs and may be paused again).
   */
  async pause(timeoutMs = this.interruptMs): Promise<StopEvent> {
    const pending = this.pendingResume;
    if (!pending) return this.last ?? { reason: 'pause' };
    if (!this.expecting) this.expecting = 'pause';
    await this.client.interruptAndWait(timeoutMs);
    return pending;
  }

  async step(vcpu: number): Promise<StopEvent> {
    return this.startResume(this.thread(vcpu), 'step');
  }

  onStop(listener: (e: StopEvent) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    const h = (err: HyperFrameError | undefined) => listener(err?.message ?? 'the connection was closed');
    this.client.on('close', h);
    return () => this.client.connection.off('close', h);
  }

  async insertBreakpoint(kind: BreakpointKind, address: bigint, bytes = 1): Promise<void> {
    this.assertStopped('insert breakpoints');
    await this.client.insertBreakpoint(kind, address, bytes);
  }

  async removeBreakpoint(kind: BreakpointKind, address: bigint, bytes = 1): Promise<void> {
    this.assertStopped('remove breakpoints');
    await this.client.removeBreakpoint(kind, address, bytes);
  }

  monitor(command: string, vcpu?: number): Promise<string> {
    this.assertStopped('run monitor commands');
    const run = this.monitorChain.then(async () => {
      if (vcpu !== undefined) await this.client.monitor(`cpu ${vcpu}`);
      return this.client.monitor(command);
    });
    this.monitorChain = run.catch(() => undefined);
    return run;
  }

  /** From QEMU's monitor: its `info registers` prints what the stub does not report. */
  segments(vcpu: number): Promise<SegmentRegisters> {
    return segmentsFromMonitor((command, cpu) => this.monitor(command, cpu), vcpu);
  }

  invalidate(): void {
    this.phys.invalidate();
  }

  async close(opts: { leavePaused?: boolean } = {}): Promise<void> {
    this.physical.close?.();
    const conn = this.client.connection;
    if (conn.closed) {
      // Lost midway: QEMU holds the VM stopped, maybe in physical mode; a new connection undoes it.
      await resumeAfterLoss(conn, this.interruptMs, !opts.leavePaused);
      return;
    }
    if (!opts.leavePaused) return this.client.detach();
    try {
      if (this.pendingResume) await this.pause();
    } finally {
      await this.client.close();
    }
  }

  /** Drops the connection at once, without a word to the stub (when a clean end takes too long). */
  abort(reason: string): void {
    this.client.connection.close(reason);
  }

  /** Stub output we cannot use (an unparseable stop reply), for the user to see. */
  onProtocolError(listener: (message: string) => void): () => void {
    const h = (e: HyperFrameError): void => listener(e.message);
    this.client.on('protocolError', h);
    return () => this.client.connection.off('protocolError', h);
  }
}

/** The one line that says the walk needs a root from the user, naming the options that give it. */
function noControlRegisters(client: GdbClient): string {
  return `the stub at ${client.connection.peer} reports no control registers (no CR3 among its ${client.registerLayout.source} registers): give the table root and paging mode (CLI: --root PA --mode MODE; launch configuration: root and pagingMode)`;
}

/** What a stub unlike QEMU's lacks, as seen on attach (breakpoints only show when inserted). */
function stubLimits(client: GdbClient, physical: LivePhysical, threads: number): Unavailable[] {
  const out: Unavailable[] = [];
  if (!client.registerLayout.find('cr3')) out.push({ feature: 'control registers', reason: noControlRegisters(client) });
  if (!client.features.phyMemMode) out.push({ feature: 'physical memory mode', reason: `the stub has no physical-memory mode (QEMU's PhyMemMode): physical memory through ${physical.reason}` });
  if (threads === 0) out.push({ feature: 'threads', reason: 'the stub lists no threads: one vCPU, the one that stopped' });
  return out;
}

/** The stub's refusal part-way through a write, as the target-level error that says how much landed. */
function partialWrite(e: unknown): never {
  if (e instanceof MemoryWriteError) throw new PartialWriteError(e.code, e.bytesWritten, e.message);
  throw e;
}
