import type { PositionalFile } from '../../src/util/fileSource';

/** A file held in memory, read like an open FileHandle: thousands of files a second, no disk. */
export function memoryFile(bytes: Uint8Array): PositionalFile & { closed: boolean } {
  return {
    closed: false,
    async read(buffer, offset, length, position) {
      const part = bytes.subarray(Math.min(position, bytes.length), Math.min(position + length, bytes.length));
      buffer.set(part, offset);
      return { bytesRead: part.length };
    },
    async close() {
      this.closed = true;
    },
  };
}

/** Overwrites `value` little-endian at `at` (as far as it fits): a header field that lies. */
export function patchLe(bytes: Uint8Array, at: number, width: 2 | 4 | 8, value: bigint): void {
  for (let i = 0; i < width && at + i < bytes.length; i++) bytes[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}
