import { basename } from 'node:path';
import { openDump } from '../memory/openDump';
import type { PhysMem } from '../memory/physMem';
import { RawImage } from '../memory/rawImage';
import { isHyperFrameError } from '../util/errors';
import type { FrameSource, SourceRead } from './frameSource';

type ClosablePhysMem = PhysMem & { close(): Promise<void> };

/**
 * A dump file opened in the frame editor by itself ("Open With…"): an ELF core by its magic
 * (physical addresses from its segments), anything else as a raw image from PA 0. Read-only, and
 * read a page at a time, so that a 4 GiB image costs only what is on screen.
 */
export class DumpFrameSource implements FrameSource {
  /** Bytes read from the file so far (the header says it; tests count it). */
  bytesRead = 0;

  private constructor(
    readonly name: string,
    private readonly mem: ClosablePhysMem,
    readonly start: bigint,
    readonly length: number,
    readonly what: string,
  ) {}

  static async open(path: string): Promise<DumpFrameSource> {
    let mem: ClosablePhysMem;
    try {
      mem = await openDump(path);
    } catch (e) {
      // Not an ELF core: every file is a raw image of physical memory from PA 0.
      if (!isHyperFrameError(e) || e.code !== 'BAD_FILE' || /kdump/.test(e.message)) throw e;
      mem = await RawImage.open(path);
    }
    const name = basename(path);
    if (mem instanceof RawImage) return new DumpFrameSource(name, mem, mem.base, Number(mem.sizeBytes), mem.description);
    const core = mem as ClosablePhysMem & { segments: readonly { pa: bigint; bytes: bigint }[] };
    const start = core.segments.reduce((m, s) => (s.pa < m ? s.pa : m), core.segments[0].pa);
    const end = core.segments.reduce((m, s) => (s.pa + s.bytes > m ? s.pa + s.bytes : m), 0n);
    return new DumpFrameSource(name, mem, start, Number(end - start), mem.description);
  }

  async read(pa: bigint, length: number): Promise<SourceRead> {
    const out = new Uint8Array(length);
    let got = 0;
    // Page by page: a hole between an ELF core's segments ends the readable prefix there.
    while (got < length) {
      const at = pa + BigInt(got);
      const n = Math.min(length - got, 4096 - Number(at & 0xfffn));
      try {
        out.set(await this.mem.read(at, n), got);
        this.bytesRead += n;
      } catch (e) {
        if (isHyperFrameError(e) && e.code === 'OUT_OF_RANGE') break;
        throw e;
      }
      got += n;
    }
    return { data: out.subarray(0, got), unreadable: length - got };
  }

  readOnlyReason(): string {
    return 'a dump file is read-only';
  }

  close(): Promise<void> {
    return this.mem.close();
  }
}
