/**
 * The gdb-remote client as one object: connect and negotiate, then registers, memory (virtual,
 * and physical on QEMU), threads, run control, breakpoints, monitor commands and a clean detach.
 * Each family lives in its own module; this facade wires them and owns the order of teardown.
 */
import { HyperFrameError } from '../util/errors';
import { Breakpoint, BreakpointType, Breakpoints } from './breakpoints';
import { ConnectionCounters, ConnectionEvents, ConnectionOptions, GdbConnection } from './connection';
import { MemoryAccess } from './memory';
import { MonitorOptions, runMonitorCommand } from './monitor';
import { StubFeatures, negotiate } from './negotiation';
import { PhysicalModeGate, StubPhysMem } from './qemu';
import { RegisterAccess, RegisterLayout, fallbackLayout } from './registers';
import { StopReply, ThreadId, classifyReply, expectOk, replyError } from './replies';
import { ResumeOptions, RunControl, interruptHint } from './runControl';
import { fetchTargetDescription } from './targetXml';
import { ThreadInfo, Threads } from './threads';

export interface GdbClientOptions extends ConnectionOptions {
  connectTimeoutMs?: number;
  /** Time a monitor command may go without output (default: the per-request timeout). */
  monitorTimeoutMs?: number;
  /** First `m` size to try; by default half the stub's PacketSize. */
  initialReadChunk?: number;
  /** Memory reads in flight together on QEMU (default 16; 1 turns pipelining off). */
  pipelineDepth?: number;
}

const PIPELINE_DEPTH = 16;

export class GdbClient {
  private readonly memory: MemoryAccess;
  private readonly gate: PhysicalModeGate;
  private readonly regs: RegisterAccess;
  private readonly threadsApi: Threads;
  private readonly run: RunControl;
  private readonly bps: Breakpoints;

  private constructor(
    readonly connection: GdbConnection,
    readonly features: StubFeatures,
    readonly registerLayout: RegisterLayout,
    threads: Threads,
    private readonly options: GdbClientOptions,
  ) {
    this.threadsApi = threads;
    this.memory = new MemoryAccess(connection, { packetSize: features.packetSize, initialReadChunk: options.initialReadChunk });
    this.gate = new PhysicalModeGate(connection, features.phyMemMode);
    this.regs = new RegisterAccess(connection, registerLayout, (t) => threads.select('g', t));
    this.run = new RunControl(connection, threads, () => this.gate.restoreVirtual(), interruptHint(features.raw.size));
    this.bps = new Breakpoints(connection);
  }

  static async connect(host: string, port: number, options: GdbClientOptions = {}): Promise<GdbClient> {
    return GdbClient.open(await GdbConnection.connect(host, port, options), options);
  }

  /** Negotiates over an open connection: features, register layout, current stop. */
  static async open(conn: GdbConnection, options: GdbClientOptions = {}): Promise<GdbClient> {
    try {
      const features = await negotiate(conn);
      const threads = new Threads(conn, features.multiprocess);
      const layout = await GdbClient.loadLayout(conn, features);
      const client = new GdbClient(conn, features, layout, threads, options);
      // QEMU reads packets off its socket in order and answers each in turn: reads may overlap.
      if (features.phyMemMode) conn.pipelineDepth = options.pipelineDepth ?? PIPELINE_DEPTH;
      // QEMU reports a stop on its own when it had to stop a running VM; otherwise ask.
      if (conn.initialStop) client.run.lastStop = conn.initialStop;
      else await client.run.haltReason();
      return client;
    } catch (e) {
      // QEMU paused the VM when we connected: without a D it would stay paused with no debugger.
      if (conn.closed) await resumeAfterLoss(conn, options.timeoutMs);
      else await detachBestEffort(conn, NEGOTIATION_DETACH_MS);
      conn.close('negotiation failed');
      throw e;
    }
  }

  private static async loadLayout(conn: GdbConnection, features: StubFeatures): Promise<RegisterLayout> {
    if (features.targetDescription) {
      // Ask for as much as a packet holds, leaving room for the frame and the 'm'/'l' marker.
      const desc = await fetchTargetDescription(conn, (features.packetSize ?? 0x400) - 5);
      if (desc.registers.length > 0) return new RegisterLayout(desc.registers, desc.annexes.join(' + '), desc.architecture);
    }
    const reply = await conn.request('g');
    const r = classifyReply(reply);
    if (r.kind !== 'data') throw replyError('g', r, 'reading registers (g)');
    return fallbackLayout(reply.length / 2);
  }

  // ---- state ----

  /** The stop reply QEMU sent unasked right after connecting, if it did. */
  get initialStop(): StopReply | undefined {
    return this.connection.initialStop;
  }

  get lastStop(): StopReply | undefined {
    return this.run.lastStop;
  }

  /** True from resume() until the stop, including the packets the resume sends first. */
  get running(): boolean {
    return this.run.resuming || this.connection.running;
  }

  get counters(): Readonly<ConnectionCounters> {
    return this.connection.counters;
  }

  /** Current `m` chunk size, and the cap if one was learned from a refusal. */
  get memoryChunking(): { readChunkBytes: number; learnedCap: number | undefined } {
    return { readChunkBytes: this.memory.readChunkBytes, learnedCap: this.memory.learnedCap };
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): this {
    this.connection.on(event, listener);
    return this;
  }

  // ---- registers ----

  readRegisters(thread?: ThreadId): Promise<Map<string, bigint>> {
    return this.regs.readAll(thread);
  }

  readRegister(name: string, thread?: ThreadId): Promise<bigint> {
    return this.regs.read(name, thread);
  }

  writeRegister(name: string, value: bigint, thread?: ThreadId): Promise<void> {
    return this.regs.write(name, value, thread);
  }

  // ---- memory ----

  /** Reads virtual memory as `thread` (a vCPU: `m` translates through the `Hg` thread) sees it. */
  readMemory(va: bigint, bytes: number, thread?: ThreadId): Promise<Uint8Array> {
    return this.gate.withVirtual(async () => {
      await this.threadsApi.select('g', thread);
      return this.memory.read(va, bytes);
    });
  }

  writeMemory(va: bigint, data: Uint8Array, thread?: ThreadId): Promise<void> {
    return this.gate.withVirtual(async () => {
      await this.threadsApi.select('g', thread);
      await this.memory.write(va, data);
    });
  }

  /** Runs `fn` with the stub in physical mode: one switch on, one off, however many reads. */
  withPhysical<T>(fn: () => Promise<T>): Promise<T> {
    return this.gate.withPhysical(fn);
  }

  readPhysical(pa: bigint, bytes: number): Promise<Uint8Array> {
    return this.gate.withPhysical(() => this.memory.read(pa, bytes));
  }

  writePhysical(pa: bigint, data: Uint8Array): Promise<void> {
    return this.gate.withPhysical(() => this.memory.write(pa, data));
  }

  /** A PhysMem over this stub (QEMU only); its reads join the current withPhysical batch. */
  physMem(): StubPhysMem {
    if (!this.features.phyMemMode) {
      throw new HyperFrameError('TARGET', `the stub at ${this.connection.peer} has no physical-memory mode (QEMU's PhyMemMode)`);
    }
    return new StubPhysMem(this, `QEMU gdbstub ${this.connection.peer}, physical mode`);
  }

  // ---- threads and run control ----

  threads(withExtraInfo = true): Promise<ThreadInfo[]> {
    return this.threadsApi.list(withExtraInfo);
  }

  formatThreadId(id: ThreadId): string {
    return this.threadsApi.format(id);
  }

  haltReason(): Promise<StopReply> {
    return this.run.haltReason();
  }

  /**
   * Resolves with the stop reply once the target stops again (breakpoint, step, interrupt);
   * rejects when the resume fails (refused, an unparseable stop reply, the connection lost).
   */
  resume(options: ResumeOptions = {}): Promise<StopReply> {
    return this.run.resume(options);
  }

  step(thread?: ThreadId): Promise<StopReply> {
    return this.resume({ step: true, thread });
  }

  /** Sends 0x03; the pending resume() then resolves with the stop (T02 on QEMU). */
  interrupt(): boolean {
    return this.run.interrupt();
  }

  /** Stops a running target and waits for its stop, at most `ms` (then TIMEOUT). */
  interruptAndWait(ms: number): Promise<StopReply | undefined> {
    return this.run.interruptAndWait(ms);
  }

  // ---- breakpoints and monitor ----

  insertBreakpoint(type: BreakpointType, address: bigint, kind = 1): Promise<void> {
    return this.bps.insert(type, address, kind);
  }

  removeBreakpoint(type: BreakpointType, address: bigint, kind = 1): Promise<void> {
    return this.bps.remove(type, address, kind);
  }

  breakpoints(): Breakpoint[] {
    return this.bps.list();
  }

  monitor(command: string, options: MonitorOptions = {}): Promise<string> {
    // Silence, not length, times out: each output packet re-arms the timer, so long listings run on.
    return runMonitorCommand(this.connection, command, { timeoutMs: this.options.monitorTimeoutMs ?? this.options.timeoutMs ?? 5000, ...options });
  }

  // ---- teardown ----

  /**
   * Leaves the target as we found it and running: stops it if it runs, restores virtual mode,
   * removes our breakpoints, sends `D` (`D;pid` under multiprocess; QEMU refuses plain `D` then),
   * and closes the socket. Every step is tried; the first failure is rethrown at the end.
   */
  async detach(): Promise<void> {
    if (this.connection.closed) {
      await resumeAfterLoss(this.connection, this.options.timeoutMs);
      return;
    }
    let first: unknown;
    const attempt = async (step: () => Promise<void>): Promise<void> => {
      try {
        await step();
      } catch (e) {
        first ??= e;
      }
    };
    try {
      if (this.running) await attempt(async () => void (await this.interruptAndWait(this.options.timeoutMs ?? 5000)));
      await attempt(() => this.gate.restoreVirtual());
      await attempt(() => this.bps.removeAll());
      const pid = this.lastStop?.kind === 'signal' ? this.lastStop.thread?.pid : undefined;
      const packet = this.features.multiprocess ? `D;${(pid ?? 1).toString(16)}` : 'D';
      await attempt(() => this.sendDetach(packet));
    } finally {
      this.connection.close('detached');
    }
    if (first) throw first;
  }

  /**
   * `D`, answered by `OK`; or by the stub hanging up, which is how gdbsx detaches: it lets the
   * domain run, exits and closes the connection without a reply. A hang-up may also be a link cut
   * before the `D` arrived: a new connection then detaches again (where nothing listens any more,
   * as after gdbsx, that costs one refused connect).
   */
  private async sendDetach(packet: string): Promise<void> {
    let reply: string;
    try {
      reply = await this.connection.request(packet);
    } catch (e) {
      if (!this.connection.hungUp) throw e;
      await resumeAfterLoss(this.connection, this.options.timeoutMs);
      return;
    }
    expectOk(packet, reply, `detaching (${packet})`);
  }

  /** Closes without `D`: the stub keeps the target stopped. Physical mode is still switched off. */
  async close(): Promise<void> {
    if (this.connection.closed) return;
    try {
      if (!this.running) await this.gate.restoreVirtual();
    } finally {
      this.connection.close('closed by the client');
    }
  }
}

/**
 * When a connection was lost (a timeout, a garbled exchange, the stub hanging up), QEMU keeps the
 * VM stopped and its stub in whatever address mode it was: a debugger must not leave it so. A new
 * connection switches physical mode off (a stub without it answers empty) and detaches, which
 * resumes the VM (unless `resume` is false: the user asked to leave it paused). Best effort,
 * bounded: a stub that is gone costs a refused connect.
 */
export async function resumeAfterLoss(lost: GdbConnection, timeoutMs = NEGOTIATION_DETACH_MS, resume = true): Promise<boolean> {
  const at = lost.reconnectAddress;
  if (!lost.lost || !at) return false;
  const ms = Math.min(timeoutMs, NEGOTIATION_DETACH_MS * 2);
  let conn: GdbConnection;
  try {
    conn = await GdbConnection.connect(at.host, at.port, { timeoutMs: ms, connectTimeoutMs: ms });
  } catch {
    return false;
  }
  try {
    // QEMU stops a running VM when a client connects, but later, from its main loop: a `D` before
    // that stop (announced by a stop reply) would resume a VM that then stops. Wait for it.
    await untilGreeted(conn, Math.min(ms, GREETING_MS));
    await conn.request('Qqemu.PhyMemMode:0', { timeoutMs: ms }).catch(() => undefined);
    if (resume) await detachBestEffort(conn, ms);
    return true;
  } finally {
    conn.close('closed after resuming the target');
  }
}

/** How long a new connection waits for QEMU's stop reply (none comes when the VM was stopped already). */
const GREETING_MS = 500;

function untilGreeted(conn: GdbConnection, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (conn.initialStop) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      conn.off('stop', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    conn.on('stop', done);
  });
}

/** Time a best-effort detach after a failed negotiation may take. */
const NEGOTIATION_DETACH_MS = 1000;

/**
 * `D;1` (QEMU takes it with or without multiprocess), then plain `D` for stubs that refuse that
 * form; every failure ignored, and a silent stub costs at most `ms`.
 */
async function detachBestEffort(conn: GdbConnection, ms: number): Promise<void> {
  for (const packet of ['D;1', 'D']) {
    if (conn.closed) return;
    const reply = await conn.request(packet, { timeoutMs: ms }).catch(() => undefined);
    if (reply === undefined || reply === 'OK') return;
  }
}
