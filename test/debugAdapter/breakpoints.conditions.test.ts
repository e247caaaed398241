/** Hit conditions, without a target. */
import { describe, expect, it } from 'vitest';
import { parseHitCondition } from '../../src/debugAdapter/hitCondition';

describe('hit conditions', () => {
  const stopsAt = (text: string): number[] => [1, 2, 3, 4, 5, 6].filter(parseHitCondition(text));
  it.each([
    ['3', [3, 4, 5, 6]],
    ['>=3', [3, 4, 5, 6]],
    ['==3', [3]],
    ['=3', [3]],
    ['>3', [4, 5, 6]],
    ['<3', [1, 2]],
    ['<= 3', [1, 2, 3]],
    ['%2', [2, 4, 6]],
  ])('%s stops at hits %j', (text, hits) => {
    expect(stopsAt(text)).toEqual(hits);
  });

  it.each(['', 'often', '%0', '3x', '-1'])('refuses %j', (text) => {
    expect(() => parseHitCondition(text)).toThrow(/hit condition/);
  });
});
