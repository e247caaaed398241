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

// Bit positions and low masks as bigints, made once: converting numbers to bigints on every
// call dominated page-table walks.
const SHIFT: readonly bigint[] = Array.from({ length: 65 }, (_, i) => BigInt(i));
const LOW: readonly bigint[] = Array.from({ length: 65 }, (_, i) => (1n << BigInt(i)) - 1n);

/** Bits `hi..lo` (inclusive) of `v`, as a bigint. */
export function bits(v: bigint, hi: number, lo: number): bigint {
  return (v >> SHIFT[lo]) & LOW[hi - lo + 1];
}

export function bit(v: bigint, n: number): 0 | 1 {
  return ((v >> SHIFT[n]) & 1n) === 1n ? 1 : 0;
}

/** A mask with bits `hi..lo` set (63 >= hi >= lo >= 0). */
export function mask(hi: number, lo: number): bigint {
  // A reversed range is a caller's bug (e.g. an unchecked MAXPHYADDR): name it rather than fail on undefined.
  if (!(lo >= 0 && hi >= lo && hi <= 63)) throw new RangeError(`mask(${hi}, ${lo}): bit range must satisfy 63 >= hi >= lo >= 0`);
  return LOW[hi - lo + 1] << SHIFT[lo];
}

/** Reads a little-endian unsigned integer of 4 or 8 bytes. */
export function readLE(buf: Uint8Array, offset: number, bytes: 4 | 8): bigint {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return bytes === 8 ? dv.getBigUint64(offset, true) : BigInt(dv.getUint32(offset, true));
}
