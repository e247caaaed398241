import { HyperFrameError } from '../util/errors';
import { parseNumber } from '../util/numbers';

/** A custom request's arguments as the client sent them. */
export type RequestArgs = Record<string, unknown>;

/**
 * An address or number argument of a custom request: a `0x…`/decimal string (64-bit values do
 * not survive JSON numbers) or a non-negative safe integer. Undefined when absent and optional.
 */
export function numberArg(a: RequestArgs, name: string, command: string, required: true): bigint;
export function numberArg(a: RequestArgs, name: string, command: string, required?: false): bigint | undefined;
export function numberArg(a: RequestArgs, name: string, command: string, required = false): bigint | undefined {
  const v = a[name];
  if (v === undefined || v === null) {
    if (required) throw new HyperFrameError('BAD_ARGUMENT', `${command}: '${name}' is required`);
    return undefined;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string') return parseNumber(v, `${command} ${name}`);
  throw new HyperFrameError('BAD_ARGUMENT', `${command}: '${name}' must be a 0x… string or a non-negative integer (got ${JSON.stringify(v)})`);
}
