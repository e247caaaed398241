import { HyperFrameError } from '../util/errors';

/**
 * How the Xen readers reach memory: one call, an address and a length. The address is whatever
 * the structure's pointers are (a guest kernel VA for Linux's P2M, a Xen VA for the M2P and the
 * frame table, a machine address through a direct map): the caller hands in a reader for that
 * address space. A `PhysMem` fits as it is.
 */
export interface MemReader {
  read(addr: bigint, bytes: number): Promise<Uint8Array>;
}

/** BITS_PER_LONG of the code whose structures we read: 64 (x86_64) or 32 (x86_32, PAE). */
export type BitsPerLong = 32 | 64;

export function longBytes(bits: BitsPerLong): 4 | 8 {
  return bits === 64 ? 8 : 4;
}

export function checkBits(bits: number): BitsPerLong {
  if (bits !== 32 && bits !== 64) throw new HyperFrameError('BAD_ARGUMENT', `BITS_PER_LONG must be 32 or 64, not ${bits}`);
  return bits;
}

/** All `unsigned long`s of a buffer, little-endian. */
export function longsOf(buf: Uint8Array, bits: BitsPerLong): bigint[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: bigint[] = [];
  if (bits === 64) for (let o = 0; o + 8 <= buf.length; o += 8) out.push(dv.getBigUint64(o, true));
  else for (let o = 0; o + 4 <= buf.length; o += 4) out.push(BigInt(dv.getUint32(o, true)));
  return out;
}

/** Reads `bytes` at `addr`, naming what was being read when the source refuses. */
export async function readOrExplain(mem: MemReader, addr: bigint, bytes: number, what: string): Promise<Uint8Array> {
  let buf: Uint8Array;
  try {
    buf = await mem.read(addr, bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new HyperFrameError('OUT_OF_RANGE', `cannot read ${what} at 0x${addr.toString(16)}: ${why}`);
  }
  if (buf.length < bytes) {
    throw new HyperFrameError('OUT_OF_RANGE', `short read of ${what} at 0x${addr.toString(16)}: ${buf.length} of ${bytes} bytes`);
  }
  return buf;
}

export const PAGE_SIZE = 4096;
