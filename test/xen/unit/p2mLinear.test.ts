import { describe, expect, it } from 'vitest';
import { P2mLinear, type P2mLinearOptions, type P2mRange } from '../../../src/xen';
import { FakeMem } from './fakeMem';

/**
 * A Linux >= 3.19 linear P2M: xen_p2m_addr in vmalloc space, 8 pages (0x1000 pfns). Page 1 is
 * mapped to p2m_identity, page 2 to p2m_missing (both read-only pages of ~0); the others are real.
 */
const P2M = 0xffff_c900_0000_0000n;
const ID_FRAME = 0x3f00n;
const MISSING_FRAME = 0x3f01n;
const INVALID = 0xffff_ffff_ffff_ffffn;

function linearMem(): { mem: FakeMem; frames: Map<bigint, bigint> } {
  const mem = new FakeMem();
  const frames = new Map<bigint, bigint>();
  for (let page = 0n; page < 8n; page++) {
    const va = P2M + page * 4096n;
    if (page === 1n) frames.set(va, ID_FRAME);
    else if (page === 2n) frames.set(va, MISSING_FRAME);
    else frames.set(va, 0x5000n + page);
    // Pages 1 and 2 read as the shared pages' contents: all INVALID_P2M_ENTRY.
    mem.fill64(va, 512, (i) => {
      const pfn = page * 512n + BigInt(i);
      if (page === 1n || page === 2n) return INVALID;
      if (page === 0n) return 0x80000n + pfn; // RAM
      if (page === 3n) return i < 100 ? (1n << 62n) | pfn : INVALID; // an identity edge, then missing
      return 0x90000n + pfn;
    });
  }
  return { mem, frames };
}

async function all(gen: AsyncGenerator<P2mRange>): Promise<P2mRange[]> {
  const out: P2mRange[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

describe('the linear P2M (xen_p2m_addr)', () => {
  const base = (frames: Map<bigint, bigint>): P2mLinearOptions => ({
    bitsPerLong: 64,
    p2mAddr: P2M,
    p2mSize: 0x1000n,
    frameOf: async (va) => frames.get(va),
    identityFrame: ID_FRAME,
    missingFrame: MISSING_FRAME,
  });

  it('reads entries, and tells p2m_identity from p2m_missing by the frame behind the array', async () => {
    const { mem, frames } = linearMem();
    const p = new P2mLinear(mem, base(frames));
    expect(await p.pfnToMfn(5n)).toMatchObject({ kind: 'mfn', mfn: 0x80005n, via: 'array', entryVa: P2M + 40n });
    expect(await p.pfnToMfn(0x200n)).toMatchObject({ kind: 'identity', mfn: 0x200n, raw: (1n << 62n) | 0x200n, via: 'identity-page' });
    expect(await p.pfnToMfn(0x400n)).toMatchObject({ kind: 'missing', via: 'missing-page' });
    expect(await p.pfnToMfn(0x600n)).toMatchObject({ kind: 'identity', mfn: 0x600n, via: 'array' });
    expect(await p.pfnToMfn(0x700n)).toMatchObject({ kind: 'missing', via: 'array' });
  });

  it('without the frames, an identity page reads as missing (its contents are ~0)', async () => {
    const { mem } = linearMem();
    const p = new P2mLinear(mem, { bitsPerLong: 64, p2mAddr: P2M, p2mSize: 0x1000n });
    expect(await p.pfnToMfn(0x200n)).toMatchObject({ kind: 'missing', via: 'array' });
  });

  it('past xen_p2m_size: identity, except xen_extra_mem (missing)', async () => {
    const { mem, frames } = linearMem();
    const p = new P2mLinear(mem, { ...base(frames), extraMem: [[0x2000n, 0x3000n]] });
    expect(await p.pfnToMfn(0x1000n)).toMatchObject({ kind: 'identity', mfn: 0x1000n, via: 'beyond-array' });
    expect(await p.pfnToMfn(0x2800n)).toMatchObject({ kind: 'missing', via: 'beyond-array' });
  });

  it('merges runs and never reads the shared pages', async () => {
    const { mem, frames } = linearMem();
    const p = new P2mLinear(mem, { ...base(frames), extraMem: [[0x2000n, 0x3000n]] });
    expect(await all(p.ranges(0n, 0x4000n))).toEqual([
      { pfnStart: 0n, pfnEnd: 0x200n, kind: 'mfn', mfnStart: 0x80000n },
      { pfnStart: 0x200n, pfnEnd: 0x400n, kind: 'identity', mfnStart: 0x200n },
      { pfnStart: 0x400n, pfnEnd: 0x600n, kind: 'missing', mfnStart: undefined },
      { pfnStart: 0x600n, pfnEnd: 0x664n, kind: 'identity', mfnStart: 0x600n },
      { pfnStart: 0x664n, pfnEnd: 0x800n, kind: 'missing', mfnStart: undefined },
      { pfnStart: 0x800n, pfnEnd: 0x1000n, kind: 'mfn', mfnStart: 0x90800n },
      { pfnStart: 0x1000n, pfnEnd: 0x2000n, kind: 'identity', mfnStart: 0x1000n },
      { pfnStart: 0x2000n, pfnEnd: 0x3000n, kind: 'missing', mfnStart: undefined },
      { pfnStart: 0x3000n, pfnEnd: 0x4000n, kind: 'identity', mfnStart: 0x3000n },
    ]);
    expect(p.pagesRead).toBe(6);
    const read = mem.reads.map((r) => r.addr);
    expect(read).not.toContain(P2M + 0x1000n);
    expect(read).not.toContain(P2M + 0x2000n);
  });

  it('refuses an unaligned xen_p2m_addr', () => {
    expect(() => new P2mLinear(new FakeMem(), { bitsPerLong: 64, p2mAddr: P2M + 8n, p2mSize: 1n })).toThrow(/page-aligned/);
  });
});
