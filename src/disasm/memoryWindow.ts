import { HyperFrameError } from '../util/errors';

/** Reads target memory; `undefined` (or a short array) marks what cannot be read. */
export type ReadMemory = (addr: bigint, bytes: number) => Promise<Uint8Array | undefined>;

export const ADDRESS_LIMIT = 1n << 64n;

/**
 * A lazy, chunk-aligned view of target memory for one disassembly request. Reading whole aligned
 * chunks (pages by default) keeps one unmapped page from spoiling its readable neighbours, and
 * each chunk is asked for once however the decoder walks back and forth.
 */
export class MemoryWindow {
  /** Readable prefix of each chunk (empty: nothing readable), keyed by chunk base. */
  private readonly chunks = new Map<bigint, Uint8Array>();

  constructor(
    private readonly read: ReadMemory,
    readonly chunkBytes = 4096,
  ) {
    if (!Number.isInteger(chunkBytes) || chunkBytes < 16 || (chunkBytes & (chunkBytes - 1)) !== 0) {
      throw new HyperFrameError('BAD_ARGUMENT', `chunk size ${chunkBytes} is not a power of two of at least 16`);
    }
  }

  chunkBase(addr: bigint): bigint {
    return addr - (addr % BigInt(this.chunkBytes));
  }

  /** Makes sure every chunk overlapping [from, to) has been read. */
  async load(from: bigint, to: bigint): Promise<void> {
    const end = to < ADDRESS_LIMIT ? to : ADDRESS_LIMIT;
    for (let base = this.chunkBase(from); base < end; base += BigInt(this.chunkBytes)) {
      if (this.chunks.has(base)) continue;
      let data: Uint8Array | undefined;
      try {
        data = await this.read(base, this.chunkBytes);
      } catch {
        data = undefined; // a failed read is unreadable memory, not a failed disassembly
      }
      this.chunks.set(base, data ? data.subarray(0, this.chunkBytes) : new Uint8Array(0));
    }
  }

  isReadable(addr: bigint): boolean {
    const chunk = this.chunks.get(this.chunkBase(addr));
    return chunk !== undefined && Number(addr - this.chunkBase(addr)) < chunk.length;
  }

  /** The readable bytes from `from` on, up to `maxBytes`, stopping at the first unreadable byte. */
  bytesFrom(from: bigint, maxBytes: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    let at = from;
    while (total < maxBytes && at < ADDRESS_LIMIT) {
      const base = this.chunkBase(at);
      const chunk = this.chunks.get(base);
      const skip = Number(at - base);
      if (!chunk || skip >= chunk.length) break;
      const part = chunk.subarray(skip, Math.min(chunk.length, skip + maxBytes - total));
      parts.push(part);
      total += part.length;
      at += BigInt(part.length);
      if (skip + part.length < this.chunkBytes) break; // the chunk's readable part ended early
    }
    return concat(parts, total);
  }

  /** The lowest address >= `floor` such that [result, to) is all readable (== to when to - 1 is not). */
  readableStartBefore(to: bigint, floor: bigint): bigint {
    let start = to;
    while (start > floor) {
      const base = this.chunkBase(start - 1n);
      const chunk = this.chunks.get(base);
      const readableEnd = base + BigInt(chunk?.length ?? 0);
      if (readableEnd < start) break; // start - 1 lies past the chunk's readable prefix
      start = base > floor ? base : floor; // a chunk's readable part starts at its base
    }
    return start;
  }

  /** Where the unreadable run ending at `to` starts, not crossing into the chunk before. */
  unreadableStartBefore(to: bigint): bigint {
    const base = this.chunkBase(to - 1n);
    const readableEnd = base + BigInt(this.chunks.get(base)?.length ?? 0);
    return readableEnd < to ? readableEnd : to;
  }

  /** Where the unreadable run starting at `from` ends, not crossing into the next chunk. */
  unreadableEndAfter(from: bigint): bigint {
    return this.chunkBase(from) + BigInt(this.chunkBytes);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
