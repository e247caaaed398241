import { describe, expect, it } from 'vitest';
import { m2pQuery } from '../../src/xenText/m2pQuery';

describe("the M2P command's input", () => {
  it('takes one frame, several, or a run', () => {
    expect(m2pQuery('0x3fc6e')).toEqual({ mfns: ['0x3fc6e'] });
    expect(m2pQuery(' 0x3fc6e, 0x40000 12 ')).toEqual({ mfns: ['0x3fc6e', '0x40000', '12'] });
    expect(m2pQuery('0x1000+16')).toEqual({ mfn: '0x1000', count: 16 });
    expect(m2pQuery('0x1000 + 4096')).toEqual({ mfn: '0x1000', count: 4096 });
  });

  it('refuses what the request would refuse', () => {
    for (const bad of ['', '   ', 'mfn', '0x1000+0', '0x1000+4097', '0xg', '-1']) expect(m2pQuery(bad), bad).toBeUndefined();
  });
});
