/**
 * What every fuzz property shares: how many inputs to try (FUZZ_RUNS; small in `npm test`, 10^6 in
 * `npm run fuzz`), and the one rule they all check: a bad input may only fail with the typed error
 * the module documents, never a TypeError, a RangeError or a raw Error.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { HyperFrameError } from '../../src/util/errors';

/** Inputs per property: FUZZ_RUNS when set (npm run fuzz), else the CI sample given by the file. */
export function fuzzRuns(ciRuns: number): number {
  const env = process.env.FUZZ_RUNS;
  if (env === undefined || env === '') return ciRuns;
  const n = Number(env);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`FUZZ_RUNS=${env} is not a positive integer`);
  return n;
}

/**
 * fast-check parameters for a property: the run count, and FUZZ_SEED to replay a failure.
 * `longCap` bounds the long run for a property whose inputs are megabytes each (huge lengths).
 */
export function fuzzParams(ciRuns: number, longCap = Infinity): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  return { numRuns: Math.min(fuzzRuns(ciRuns), Math.max(ciRuns, longCap)), ...(seed ? { seed: Number(seed) } : {}) };
}

/** Lets `fn`'s HyperFrameError (or `typed`) through as an expected refusal; anything else fails. */
export function onlyTyped<T>(fn: () => T, typed: abstract new (...args: never[]) => Error = HyperFrameError): T | undefined {
  try {
    return fn();
  } catch (e) {
    expectTyped(e, typed);
    return undefined;
  }
}

/** The async form of `onlyTyped`. */
export async function onlyTypedAsync<T>(fn: () => Promise<T>, typed: abstract new (...args: never[]) => Error = HyperFrameError): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    expectTyped(e, typed);
    return undefined;
  }
}

function expectTyped(e: unknown, typed: abstract new (...args: never[]) => Error): void {
  if (e instanceof typed) {
    // A typed error still owes the user one clear line.
    expect(e.message.length).toBeGreaterThan(0);
    return;
  }
  throw new Error(`untyped error (${e instanceof Error ? e.name : typeof e}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** Rejects when `p` has not settled in `ms`: an async property's guard against a hang. */
export async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
