import { type Dump, openDump, PageCache } from '../memory';
import type { ControlRegs } from '../paging/modes';
import { HyperFrameError } from '../util/errors';
import { tablesFromRegisters, type SegmentRegisters } from '../x86/segments';
import type { BreakpointKind, StopEvent, Target, TargetCapabilities, VcpuInfo } from './target';
import { readVirtualThroughTables } from './virtualThroughTables';

const NOT_LIVE = (what: string) => new HyperFrameError('TARGET', `a dump is a snapshot: it cannot ${what}`);

/** A Target over a dump file: an ELF core (with vCPU registers) or a raw image (without). */
export class DumpTarget implements Target {
  readonly phys: PageCache;
  readonly description: string;
  readonly capabilities: TargetCapabilities;
  readonly lastStop: StopEvent = { reason: 'entry', vcpu: 0 };
  readonly running = false;

  private constructor(private readonly dump: Dump) {
    this.phys = new PageCache(dump);
    this.description = dump.description;
    this.capabilities = { runControl: false, breakpoints: [], writeMemory: false, monitor: false };
  }

  static async open(path: string, opts: { raw?: boolean; base?: bigint } = {}): Promise<DumpTarget> {
    return new DumpTarget(await openDump(path, opts));
  }

  async vcpuCount(): Promise<number> {
    return this.dump.kind === 'elf-core' ? this.dump.vcpus.length : 0;
  }

  async vcpus(): Promise<VcpuInfo[]> {
    const n = await this.vcpuCount();
    return Array.from({ length: n }, (_, id) => ({ id, name: `CPU ${id}` }));
  }

  private vcpu(vcpu: number) {
    if (this.dump.kind !== 'elf-core') {
      throw new HyperFrameError('BAD_ARGUMENT', 'a raw image holds no registers: give the root and mode');
    }
    const cpus = this.dump.vcpus;
    const cpu = cpus[vcpu];
    if (!cpu) {
      throw new HyperFrameError('BAD_ARGUMENT', `vCPU ${vcpu} is not in this core (it has ${cpus.length}: 0..${cpus.length - 1})`);
    }
    return cpu;
  }

  async registers(vcpu: number): Promise<Map<string, bigint>> {
    return new Map(this.vcpu(vcpu).regs);
  }

  async writeRegister(): Promise<void> {
    throw NOT_LIVE('change registers');
  }

  async controlRegs(vcpu: number): Promise<ControlRegs & { notes: string[] }> {
    const cpu = this.vcpu(vcpu);
    const r = cpu.regs;
    const need = ['cr0', 'cr3', 'cr4'].filter((n) => !r.has(n));
    if (need.length) {
      throw new HyperFrameError('BAD_FILE', `the core has no ${need.join('/')} for vCPU ${vcpu} (no QEMU CPU note): give the root and mode`);
    }
    return { cr0: r.get('cr0')!, cr3: r.get('cr3')!, cr4: r.get('cr4')!, efer: r.get('efer') ?? 0n, notes: [...cpu.inferred] };
  }

  async readVirtual(vcpu: number, va: bigint, bytes: number): Promise<Uint8Array> {
    return readVirtualThroughTables(this.phys, await this.controlRegs(vcpu), va, bytes);
  }

  async writeVirtual(): Promise<void> {
    throw NOT_LIVE('be written through virtual addresses');
  }

  async writePhysical(): Promise<void> {
    throw NOT_LIVE('be written');
  }

  physicalBatch<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async resume(): Promise<void> {
    throw NOT_LIVE('run');
  }
  async pause(): Promise<StopEvent> {
    throw NOT_LIVE('run or pause');
  }
  async step(): Promise<StopEvent> {
    throw NOT_LIVE('step');
  }
  onStop(): () => void {
    return () => undefined;
  }
  onDisconnect(): () => void {
    return () => undefined;
  }
  async insertBreakpoint(_kind: BreakpointKind): Promise<void> {
    throw NOT_LIVE('stop at breakpoints');
  }
  async removeBreakpoint(): Promise<void> {
    // Nothing was ever inserted.
  }
  async monitor(): Promise<string> {
    throw NOT_LIVE('run monitor commands');
  }

  /** From the core's QEMU CPU note (descriptor tables, LDTR, TR), when it has one. */
  async segments(vcpu: number): Promise<SegmentRegisters> {
    const fromCore = this.dump.kind === 'elf-core' ? tablesFromRegisters(this.vcpu(vcpu).regs) : undefined;
    if (!fromCore) throw new HyperFrameError('TARGET', 'this target has no monitor');
    return fromCore;
  }

  invalidate(): void {
    this.phys.invalidate();
  }

  async close(): Promise<void> {
    await this.dump.close();
  }

  abort(): void {
    void this.close().catch(() => undefined);
  }
}
