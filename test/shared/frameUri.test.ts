import { describe, expect, it } from 'vitest';
import { frameUriParts, parseFrameUri } from '../../src/shared/frameUri';

describe('frame URIs', () => {
  it('round-trip a frame with its table reading and label', () => {
    const loc = { sessionId: 'a1b2-c3', pa: 0x36722000n, table: { mode: 'long4' as const, level: 4, baseVa: 0xffff800000000000n }, label: 'CPU 0 · PML4' };
    const { path, query } = frameUriParts(loc);
    expect(path).toBe('/a1b2-c3/0x36722000.frame');
    expect(query).toBe('mode=long4&level=4&baseVa=0xffff800000000000&label=CPU+0+%C2%B7+PML4');
    expect(parseFrameUri(path, query)).toEqual(loc);
  });

  it('a frame without a table reading; nonsense is not a frame', () => {
    expect(parseFrameUri('/s/0x1000.frame', '')).toEqual({ sessionId: 's', pa: 0x1000n });
    expect(parseFrameUri('/s/0x1000.frame', 'mode=long9&level=4')).toEqual({ sessionId: 's', pa: 0x1000n });
    expect(parseFrameUri('/s/1000.frame', '')).toBeUndefined();
    expect(parseFrameUri('/0x1000.frame', '')).toBeUndefined();
  });
});
