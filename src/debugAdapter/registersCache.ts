import { modeFromRegs, type ControlRegs, type ModeFromRegs } from '../paging/modes';
import type { PagingSpec } from '../paging/spec';
import { hex } from '../util/numbers';
import type { SessionContext } from './context';
import { rawImageNote } from './rawImage';
import { codeBitness, type SegmentRegisters } from '../x86/segments';

/** How a vCPU translates addresses right now. */
export interface VcpuPaging {
  /** Undefined when paging is off (virtual = physical). */
  spec?: PagingSpec;
  /** From the registers (or the launch config's override). */
  regs?: ModeFromRegs;
  /** One line for the user. */
  reason: string;
}

export interface SegmentsState {
  regs?: SegmentRegisters;
  /** Why there are none (no monitor, not QEMU's, a failure). */
  unavailable?: string;
}

/**
 * What one stop of the target looks like, read lazily and kept until the next `invalidate()`:
 * each vCPU's registers, its segment state and its paging. One per debuggee: run control, the
 * call stack and the views read a vCPU's registers once per stop.
 */
export class StopState {
  private readonly regs = new Map<number, Promise<Map<string, bigint>>>();
  private readonly segs = new Map<number, Promise<SegmentsState>>();

  constructor(private readonly ctx: SessionContext) {}

  invalidate(): void {
    this.regs.clear();
    this.segs.clear();
  }

  registers(vcpu: number): Promise<Map<string, bigint>> {
    return this.cached(this.regs, vcpu, () => this.ctx.target.registers(vcpu));
  }

  /** Descriptor-table registers and hidden segment state, as the target tells them (a monitor, a core's notes). */
  segments(vcpu: number): Promise<SegmentsState> {
    return this.cached(this.segs, vcpu, () =>
      this.ctx.target.segments(vcpu).then(
        (regs) => ({ regs }),
        (e: unknown) => ({ unavailable: e instanceof Error ? e.message : String(e) }),
      ),
    );
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
    const cs = (await this.segments(vcpu)).regs?.segments.get('cs');
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
