import { HyperFrameError } from '../../../src/util/errors';
import type { MemReader } from '../../../src/xen';

/**
 * Sparse memory keyed by page, for any 64-bit address space (VAs included). Untouched pages
 * reject reads (a Xen mapping that is not there) unless `zeroFill`; every read is logged.
 */
export class FakeMem implements MemReader {
  readonly pages = new Map<bigint, Uint8Array>();
  readonly reads: Array<{ addr: bigint; bytes: number }> = [];

  constructor(private readonly zeroFill = false) {}

  private page(addr: bigint, create: boolean): Uint8Array | undefined {
    const key = addr >> 12n;
    let p = this.pages.get(key);
    if (!p && create) {
      p = new Uint8Array(4096);
      this.pages.set(key, p);
    }
    return p;
  }

  write(addr: bigint, data: Uint8Array): this {
    let done = 0;
    while (done < data.length) {
      const a = addr + BigInt(done);
      const off = Number(a & 0xfffn);
      const n = Math.min(4096 - off, data.length - done);
      this.page(a, true)!.set(data.subarray(done, done + n), off);
      done += n;
    }
    return this;
  }

  u64(addr: bigint, v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    return this.write(addr, b);
  }

  u32(addr: bigint, v: bigint | number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, Number(BigInt.asUintN(32, BigInt(v))), true);
    return this.write(addr, b);
  }

  /** `n` 64-bit words from `addr`, word i = f(i). */
  fill64(addr: bigint, n: number, f: (i: number) => bigint): this {
    const b = new Uint8Array(n * 8);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) dv.setBigUint64(i * 8, BigInt.asUintN(64, f(i)), true);
    return this.write(addr, b);
  }

  fill32(addr: bigint, n: number, f: (i: number) => bigint): this {
    const b = new Uint8Array(n * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) dv.setUint32(i * 4, Number(BigInt.asUintN(32, f(i))), true);
    return this.write(addr, b);
  }

  async read(addr: bigint, bytes: number): Promise<Uint8Array> {
    this.reads.push({ addr, bytes });
    const out = new Uint8Array(bytes);
    let done = 0;
    while (done < bytes) {
      const a = addr + BigInt(done);
      const off = Number(a & 0xfffn);
      const n = Math.min(4096 - off, bytes - done);
      const p = this.page(a, false);
      if (p) out.set(p.subarray(off, off + n), done);
      else if (!this.zeroFill) throw new HyperFrameError('OUT_OF_RANGE', `nothing mapped at 0x${a.toString(16)}`);
      done += n;
    }
    return out;
  }
}
