/**
 * The machine behind a test server: a real QEMU guest, reached through its own gdbstub. The models
 * of test/stubs turn what the real stub would do into QEMU requests: a vCPU's registers, memory
 * read through a vCPU's own page tables (QEMU's virtual mode: `Hg` then `m`), run control. The
 * client used here is the project's own; what the tests compare against is QEMU's monitor (`info
 * tlb`, `xp`), which this backing never touches.
 */
import { GdbClient } from '../../src/gdbstub/client';
import type { StopReply, ThreadId } from '../../src/gdbstub/replies';

const PAGE = 0x1000n;

export interface PagedRead {
  data: Uint8Array;
  /** False when a page could not be read: `data` holds the bytes before it. */
  complete: boolean;
}

export class QemuBacking {
  private running: Promise<StopReply> | undefined;
  private detached = false;

  private constructor(
    readonly client: GdbClient,
    /** QEMU's thread of each vCPU, vCPU 0 first. */
    readonly threads: ThreadId[],
  ) {}

  /** Connects (QEMU stops the VM: the modelled stub is entered with the machine stopped). */
  static async attach(qemuPort: number): Promise<QemuBacking> {
    const client = await GdbClient.connect('127.0.0.1', qemuPort, { timeoutMs: 10_000 });
    const threads = (await client.threads(false)).map((t) => t.id);
    return new QemuBacking(client, threads);
  }

  get vcpuCount(): number {
    return Math.max(1, this.threads.length);
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  registers(vcpu: number): Promise<Map<string, bigint>> {
    return this.client.readRegisters(this.threads[vcpu]);
  }

  writeRegister(vcpu: number, name: string, value: bigint): Promise<void> {
    return this.client.writeRegister(name, value, this.threads[vcpu]);
  }

  /**
   * Reads `bytes` at `va` as `vcpu` translates it, a page at a time, stopping at the first page
   * that does not translate: how both stubs copy (Xen byte by byte, gdbsx page by page), and a
   * fault only ever starts at a page boundary.
   */
  async readPaged(vcpu: number, va: bigint, bytes: number): Promise<PagedRead> {
    const out = new Uint8Array(bytes);
    let done = 0;
    while (done < bytes) {
      const at = va + BigInt(done);
      const n = Math.min(bytes - done, Number(PAGE - (at % PAGE)));
      try {
        out.set(await this.client.readMemory(at, n, this.threads[vcpu]), done);
      } catch {
        return { data: out.subarray(0, done), complete: false };
      }
      done += n;
    }
    return { data: out, complete: true };
  }

  /** Writes page by page; returns how many bytes landed before the first page that failed. */
  async writePaged(vcpu: number, va: bigint, data: Uint8Array): Promise<number> {
    let done = 0;
    while (done < data.length) {
      const at = va + BigInt(done);
      const n = Math.min(data.length - done, Number(PAGE - (at % PAGE)));
      try {
        await this.client.writeMemory(at, data.subarray(done, done + n), this.threads[vcpu]);
      } catch {
        return done;
      }
      done += n;
    }
    return done;
  }

  /** Resumes every vCPU; resolves with QEMU's stop when something stops the machine. */
  resume(): Promise<StopReply> {
    this.running ??= this.client.resume().finally(() => (this.running = undefined));
    return this.running;
  }

  step(vcpu: number): Promise<StopReply> {
    return this.client.step(this.threads[vcpu]);
  }

  /** Stops the machine from outside (Xen's '%' debug key, `xl pause`), as QEMU's 0x03 does. */
  async stopFromOutside(): Promise<StopReply | undefined> {
    return this.client.interruptAndWait(10_000);
  }

  /** The vCPU index of QEMU's stop thread, if it names one. */
  vcpuOf(stop: StopReply): number | undefined {
    if (stop.kind !== 'signal' || !stop.thread) return undefined;
    const tid = stop.thread.tid;
    const i = this.threads.findIndex((t) => t.tid === tid);
    return i >= 0 ? i : undefined;
  }

  /** Lets the machine run on and lets QEMU go (once). */
  async release(): Promise<void> {
    if (this.detached) return;
    this.detached = true;
    await this.client.detach();
  }
}
