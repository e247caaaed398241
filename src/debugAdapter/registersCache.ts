import { modeFromRegs, type ControlRegs, type ModeFromRegs } from '../paging/modes';
import type { PagingSpec } from '../paging/spec';
import { hex } from '../util/numbers';
import type { SessionContext } from './context';
import { rawImageNote } from './rawImage';
import { codeBitness, parseMonitorRegisters, tablesFromRegisters, type MonitorRegisters } from './registersMonitor';

/** How a vCPU translates addresses right now. */
export interface VcpuPaging {
  /** Undefined when paging is off (virtual = physical). */
  spec?: PagingSpec;
  /** From the registers (or the launch config's override). */
  regs?: ModeFromRegs;
  /** One line for the user. */
  reason: string;
}

export interface MonitorState {
  regs?: MonitorRegisters;
  /** Why there are none (no monitor, not QEMU's, a failure). */
  unavailable?: string;
}

/**
 * What one stop of the target looks like, read lazily and kept until the next `invalidate()`:
 * each vCPU's registers, its monitor-only registers and its paging. Also the one way to send
 * monitor commands, so that `cpu N` and the command after it are never split by another caller.
 */
export class StopState {
  private readonly regs = new Map<number, Promise<Map<string, bigint>>>();
  private readonly mon = new Map<number, Promise<MonitorState>>();
  private monitorChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: SessionContext) {}

  invalidate(): void {
    this.regs.clear();
    this.mon.clear();
  }

  registers(vcpu: number): Promise<Map<string, bigint>> {
    return this.cached(this.regs, vcpu, () => this.ctx.target.registers(vcpu));
  }

  /** Runs a monitor command with the monitor's current CPU set to `vcpu` first (when given). */
  monitor(command: string, vcpu?: number): Promise<string> {
    const run = this.monitorChain.then(async () => {
      if (vcpu !== undefined) await this.ctx.target.monitor(`cpu ${vcpu}`);
      return this.ctx.target.monitor(command);
    });
    this.monitorChain = run.catch(() => undefined);
    return run;
  }

  /** Descriptor-table registers and hidden segment state: from the monitor, or from a core's notes. */
  monitorRegisters(vcpu: number): Promise<MonitorState> {
    return this.cached(this.mon, vcpu, async () => {
      if (!this.ctx.target.capabilities.monitor) {
        const fromCore = tablesFromRegisters(await this.registers(vcpu).catch(() => new Map<string, bigint>()));
        return fromCore ? { regs: fromCore } : { unavailable: 'this target has no monitor' };
      }
      try {
        const text = await this.monitor('info registers', vcpu);
        const regs = parseMonitorRegisters(text);
        if (!regs.segments.size && !regs.gdtr) return { unavailable: "the monitor's `info registers` shows no segment registers" };
        return { regs };
      } catch (e) {
        return { unavailable: `the monitor's \`info registers\` failed: ${e instanceof Error ? e.message : String(e)}` };
      }
    });
  }

  async controlRegs(vcpu: number): Promise<ControlRegs | undefined> {
    const r = await this.registers(vcpu);
    const cr0 = r.get('cr0');
    const cr3 = r.get('cr3');
    const cr4 = r.get('cr4');
    if (cr0 === undefined || cr3 === undefined || cr4 === undefined) return undefined;
    return { cr0, cr3, cr4, efer: r.get('efer') ?? 0n };
  }

  async paging(vcpu: number): Promise<VcpuPaging> {
    const cr = await this.controlRegs(vcpu).catch(() => undefined);
    const regs = cr ? modeFromRegs(cr) : undefined;
    const o = this.ctx.pagingOverride;
    if (o) {
      return { spec: { mode: o.mode, root: o.root, ctx: regs?.context }, regs, reason: `${o.mode}, root ${hex(o.root)} (from the launch configuration)` };
    }
    if (!regs) {
      if ((await this.ctx.target.vcpuCount()) === 0) return { reason: rawImageNote() };
      return { reason: `vCPU ${vcpu} reports no CR0/CR3/CR4: set pagingMode in the launch configuration` };
    }
    if (regs.mode === 'none') return { regs, reason: regs.reason };
    return { spec: { mode: regs.mode, root: regs.root, ctx: regs.context }, regs, reason: `${regs.reason}, root ${hex(regs.root)}` };
  }

  /** Code size to disassemble with on `vcpu`. */
  async bitness(vcpu: number): Promise<16 | 32 | 64> {
    const cr = await this.controlRegs(vcpu).catch(() => undefined);
    if (!cr) return 64;
    const cs = (await this.monitorRegisters(vcpu)).regs?.segments.get('cs');
    return codeBitness(cr.cr0, cr.efer, cs?.attributes);
  }

  private cached<T>(map: Map<number, Promise<T>>, vcpu: number, load: () => Promise<T>): Promise<T> {
    let p = map.get(vcpu);
    if (!p) {
      p = load();
      map.set(vcpu, p);
      p.catch(() => {
        if (map.get(vcpu) === p) map.delete(vcpu);
      });
    }
    return p;
  }
}
