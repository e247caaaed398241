import type { PhysMem } from '../../src/memory/physMem';
import { HyperFrameError } from '../../src/util/errors';

/**
 * A sparse physical memory for building tables byte by byte in tests: frames appear when written,
 * untouched frames read as zeros (like RAM after reset) unless `strict`, and every read is counted.
 */
export class SparseMem implements PhysMem {
  readonly description = 'sparse test memory';
  private readonly frames = new Map<bigint, Uint8Array>();
  reads = 0;
  bytesRead = 0;

  constructor(private readonly strict = false) {}

  private frame(pfn: bigint, create: boolean): Uint8Array | undefined {
    let f = this.frames.get(pfn);
    if (!f && create) {
      f = new Uint8Array(4096);
      this.frames.set(pfn, f);
    }
    return f;
  }

  write(pa: bigint, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const a = pa + BigInt(i);
      this.frame(a >> 12n, true)![Number(a & 0xfffn)] = data[i];
    }
  }

  u64(pa: bigint, v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.write(pa, b);
    return this;
  }

  u32(pa: bigint, v: bigint | number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, Number(v), true);
    this.write(pa, b);
    return this;
  }

  async read(pa: bigint, bytes: number): Promise<Uint8Array> {
    this.reads++;
    this.bytesRead += bytes;
    const out = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) {
      const a = pa + BigInt(i);
      const f = this.frame(a >> 12n, false);
      if (!f && this.strict) throw new HyperFrameError('OUT_OF_RANGE', `no memory at 0x${a.toString(16)}`);
      out[i] = f ? f[Number(a & 0xfffn)] : 0;
    }
    return out;
  }
}
