import { HyperFrameError } from '../util/errors';

/** When a breakpoint with a hit condition stops, given how often it was hit (from 1). */
export type HitPredicate = (hits: number) => boolean;

/**
 * Parses a hit condition: `5` (from the 5th hit on, like gdb's ignore count), `==5` / `=5`
 * (the 5th hit only), `>5`, `>=5`, `<5`, `<=5`, `%2` (every 2nd hit).
 */
export function parseHitCondition(text: string): HitPredicate {
  const m = /^\s*(==|=|>=|<=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) {
    throw new HyperFrameError('BAD_ARGUMENT', `bad hit condition '${text}': expected N, ==N, >N, >=N, <N, <=N or %N`);
  }
  const n = Number(m[2]);
  switch (m[1]) {
    case undefined:
    case '>=':
      return (h) => h >= n;
    case '=':
    case '==':
      return (h) => h === n;
    case '>':
      return (h) => h > n;
    case '<':
      return (h) => h < n;
    case '<=':
      return (h) => h <= n;
    default:
      if (n === 0) throw new HyperFrameError('BAD_ARGUMENT', `bad hit condition '${text}': %0 would divide by zero`);
      return (h) => h % n === 0;
  }
}
