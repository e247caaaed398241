import { closeSync, readSync } from 'node:fs';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { checkRequest } from './format';
import type { WritablePhysMem } from './physMem';

/**
 * Guest RAM read straight from the host: QEMU's RAM as a shared file, or its process's memory
 * through /proc/<pid>/mem. Only the ranges QEMU backs with RAM are read here; everything else (MMIO,
 * holes) and every write go to `rest` (the stub), so that devices answer as they would and QEMU
 * sees every change it must (translated code, dirty pages).
 */
export interface HostRamRange {
  /** Guest-physical start and size. */
  gpa: number;
  bytes: number;
  /** Where the range's first byte is in `fd` (a file offset, or a host virtual address in /proc/<pid>/mem). */
  position: number;
}

export interface HostRamCounters {
  /** Bytes read from the host, and bytes and reads that went to the stub. */
  hostBytes: number;
  restBytes: number;
  restReads: number;
}

export class HostRamMem implements WritablePhysMem {
  readonly counters: HostRamCounters = { hostBytes: 0, restBytes: 0, restReads: 0 };
  private readonly ranges: HostRamRange[];
  private closed = false;

  constructor(
    private readonly fd: number,
    ranges: readonly HostRamRange[],
    private readonly rest: WritablePhysMem,
    readonly description: string,
    /** Names the file in errors ("/proc/1234/mem"). */
    private readonly source: string,
  ) {
    this.ranges = [...ranges].sort((a, b) => a.gpa - b.gpa);
  }

  /** The RAM range holding `pa`, or the next one above it. */
  private rangeAt(pa: number): HostRamRange | undefined {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges[mid].gpa + this.ranges[mid].bytes <= pa) lo = mid + 1;
      else hi = mid;
    }
    return this.ranges[lo];
  }

  /** True when [pa, pa+bytes) lies wholly in host-backed RAM. */
  covers(pa: bigint, bytes: number): boolean {
    const r = this.rangeAt(Number(pa));
    return r !== undefined && r.gpa <= Number(pa) && Number(pa) + bytes <= r.gpa + r.bytes;
  }

  isRam(pa: bigint, bytes: number): boolean | undefined {
    if (this.covers(pa, bytes)) return true;
    const r = this.rangeAt(Number(pa));
    // No range starts before the end of [pa, pa+bytes): none of it is RAM.
    return r === undefined || r.gpa >= Number(pa) + bytes ? false : undefined;
  }

  async read(pa: bigint, bytes: number): Promise<Uint8Array> {
    checkRequest(pa, bytes);
    if (this.closed) throw new HyperFrameError('DISCONNECTED', `${this.source} is closed`);
    const out = new Uint8Array(bytes);
    const start = Number(pa);
    let done = 0;
    while (done < bytes) {
      const at = start + done;
      const r = this.rangeAt(at);
      if (r !== undefined && r.gpa <= at) {
        const n = Math.min(bytes - done, r.gpa + r.bytes - at);
        this.readHost(out, done, n, r.position + (at - r.gpa), at);
        done += n;
        continue;
      }
      // Not RAM up to the next range (or the end): the stub's answer, whatever it is.
      const n = Math.min(bytes - done, r === undefined ? bytes - done : r.gpa - at);
      this.counters.restReads++;
      this.counters.restBytes += n;
      out.set(await this.rest.read(BigInt(at), n), done);
      done += n;
    }
    return out;
  }

  write(pa: bigint, data: Uint8Array): Promise<void> {
    return this.rest.write(pa, data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private readHost(out: Uint8Array, offset: number, n: number, position: number, gpa: number): void {
    let got = 0;
    try {
      while (got < n) {
        const r = readSync(this.fd, out, offset + got, n - got, position + got);
        if (r === 0) throw new Error('end of file');
        got += r;
      }
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new HyperFrameError('TARGET', `reading guest RAM at ${hex(gpa + got)} from ${this.source} failed: ${why}`);
    }
    this.counters.hostBytes += n;
  }
}
