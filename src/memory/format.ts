import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';

const UNITS: [bigint, string][] = [
  [1n << 40n, 'TiB'],
  [1n << 30n, 'GiB'],
  [1n << 20n, 'MiB'],
  [1n << 10n, 'KiB'],
];

/** A size for people: "512 MiB", "1.5 GiB", "100 bytes" (one decimal at most). */
export function formatBytes(bytes: bigint): string {
  for (const [unit, name] of UNITS) {
    if (bytes >= unit) {
      const tenths = (bytes * 10n) / unit;
      const whole = tenths / 10n;
      const frac = tenths % 10n;
      return frac === 0n ? `${whole} ${name}` : `${whole}.${frac} ${name}`;
    }
  }
  return bytes === 1n ? '1 byte' : `${bytes} bytes`;
}

/** An inclusive PA range as users read it in debuggers: "0x1000..0x1fff". */
export function paRange(pa: bigint, bytes: bigint): string {
  return bytes === 0n ? `${hex(pa)} (empty)` : `${hex(pa)}..${hex(pa + bytes - 1n)}`;
}

/** Rejects a read or write request no source could honour, before touching any file. */
export function checkRequest(pa: bigint, bytes: number): void {
  if (pa < 0n) {
    throw new HyperFrameError('BAD_ARGUMENT', `physical address ${pa} is negative`);
  }
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new HyperFrameError('BAD_ARGUMENT', `read length ${bytes} is not a non-negative integer`);
  }
}
