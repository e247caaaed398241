import { type Dump, openDump, PageCache } from '../memory';
import { HyperFrameError } from '../util/errors';
import type { ControlRegs } from '../paging/modes';
import type { Target } from './target';

/** A Target over a dump file: an ELF core (with vCPU registers) or a raw image (without). */
export class DumpTarget implements Target {
  readonly phys: PageCache;
  readonly description: string;

  private constructor(private readonly dump: Dump) {
    this.phys = new PageCache(dump);
    this.description = dump.description;
  }

  static async open(path: string, opts: { raw?: boolean; base?: bigint } = {}): Promise<DumpTarget> {
    return new DumpTarget(await openDump(path, opts));
  }

  async vcpuCount(): Promise<number> {
    return this.dump.kind === 'elf-core' ? this.dump.vcpus.length : 0;
  }

  async controlRegs(vcpu: number): Promise<ControlRegs & { notes: string[] }> {
    if (this.dump.kind !== 'elf-core') {
      throw new HyperFrameError('BAD_ARGUMENT', 'a raw image holds no registers: give --root and --mode');
    }
    const cpus = this.dump.vcpus;
    const cpu = cpus[vcpu];
    if (!cpu) {
      throw new HyperFrameError('BAD_ARGUMENT', `vCPU ${vcpu} is not in this core (it has ${cpus.length}: 0..${cpus.length - 1})`);
    }
    const r = cpu.regs;
    const need = ['cr0', 'cr3', 'cr4'].filter((n) => !r.has(n));
    if (need.length) {
      throw new HyperFrameError('BAD_FILE', `the core has no ${need.join('/')} for vCPU ${vcpu} (no QEMU CPU note): give --root and --mode`);
    }
    return { cr0: r.get('cr0')!, cr3: r.get('cr3')!, cr4: r.get('cr4')!, efer: r.get('efer') ?? 0n, notes: [...cpu.inferred] };
  }

  async close(): Promise<void> {
    await this.dump.close();
  }
}
