import { HyperFrameError } from './errors';

/**
 * Parses what a user types for an address or an entry: `0x…` hex or plain decimal, with `_` or
 * WinDbg's backtick (`fffff800\`00000000`) grouping digits. Bare hex without `0x` is refused so
 * that `10` never silently means sixteen.
 */
export function parseNumber(text: string, what = 'number'): bigint {
  const t = text.trim();
  const cleaned = t.replace(/[_`]/g, '');
  if (/^0x[0-9a-f]+$/i.test(cleaned) || /^[0-9]+$/.test(cleaned)) {
    if (/[_`]$/.test(t) || /^0x[_`]/i.test(t)) {
      throw new HyperFrameError('BAD_NUMBER', `bad ${what} '${text}': a digit separator must stand between digits`);
    }
    return BigInt(cleaned);
  }
  throw new HyperFrameError(
    'BAD_NUMBER',
    `bad ${what} '${text}': expected 0x-prefixed hex or decimal (digits may be grouped with _ or \`)`,
  );
}

/** `0x` + lower-case hex, zero-padded to `digits` when given (a 64-bit value: 16). */
export function hex(value: bigint | number, digits = 0): string {
  return '0x' + BigInt(value).toString(16).padStart(digits, '0');
}

/** Bits `hi..lo` (inclusive) of `v`, as a bigint. */
export function bits(v: bigint, hi: number, lo: number): bigint {
  return (v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
}

export function bit(v: bigint, n: number): 0 | 1 {
  return ((v >> BigInt(n)) & 1n) === 1n ? 1 : 0;
}

/** A mask with bits `hi..lo` set. */
export function mask(hi: number, lo: number): bigint {
  return ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
}

/** Reads a little-endian unsigned integer of 4 or 8 bytes. */
export function readLE(buf: Uint8Array, offset: number, bytes: 4 | 8): bigint {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return bytes === 8 ? dv.getBigUint64(offset, true) : BigInt(dv.getUint32(offset, true));
}
