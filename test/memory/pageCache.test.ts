import { describe, expect, it } from 'vitest';
import { HyperFrameError } from '../../src/util/errors';
import { PageCache, type PhysMem } from '../../src/memory';
import { pattern } from '../helpers/elfCoreWriter';

/** An in-memory source holding [0, size) that logs each read it is asked for. */
class FakeSource implements PhysMem {
  readonly description = 'fake source';
  readonly calls: [bigint, number][] = [];
  failWith?: Error;
  constructor(readonly bytes: Uint8Array) {}
  async read(pa: bigint, bytes: number): Promise<Uint8Array> {
    this.calls.push([pa, bytes]);
    if (this.failWith) throw this.failWith;
    if (pa + BigInt(bytes) > BigInt(this.bytes.length)) {
      throw new HyperFrameError('OUT_OF_RANGE', `fake: ${pa}+${bytes} is out of range`);
    }
    return this.bytes.slice(Number(pa), Number(pa) + bytes);
  }
}

const MEM = pattern(0x20000, 42);
const setup = (size = MEM.length, maxFrames?: number) => {
  const source = new FakeSource(MEM.slice(0, size));
  return { source, cache: new PageCache(source, { maxFrames }) };
};

describe('PageCache', () => {
  it('fetches a 4 KiB frame in one read, then serves it from the cache', async () => {
    const { source, cache } = setup();
    expect(await cache.read(0x3000n, 0x1000)).toEqual(MEM.slice(0x3000, 0x4000));
    expect(cache.stats).toEqual({ sourceReads: 1, sourceBytes: 0x1000, hits: 0, misses: 1 });
    expect(await cache.read(0x3000n, 0x1000)).toEqual(MEM.slice(0x3000, 0x4000));
    expect(cache.stats).toEqual({ sourceReads: 1, sourceBytes: 0x1000, hits: 1, misses: 1 });
    expect(source.calls).toEqual([[0x3000n, 0x1000]]);
  });

  it('fetches a 16 KiB run of missing frames in one read', async () => {
    const { source, cache } = setup();
    expect(await cache.read(0x4000n, 0x4000)).toEqual(MEM.slice(0x4000, 0x8000));
    expect(source.calls).toEqual([[0x4000n, 0x4000]]);
    expect(cache.stats.misses).toBe(4);
  });

  it('widens a small read to its whole frame', async () => {
    const { source, cache } = setup();
    expect(await cache.read(0x5ff8n, 8)).toEqual(MEM.slice(0x5ff8, 0x6000));
    expect(source.calls).toEqual([[0x5000n, 0x1000]]);
    expect(await cache.read(0x5010n, 16)).toEqual(MEM.slice(0x5010, 0x5020));
    expect(cache.stats.sourceReads).toBe(1);
  });

  it('reads only the missing frames around a cached one: 3 frames, middle cached = 2 reads', async () => {
    const { source, cache } = setup();
    await cache.read(0x2000n, 8);
    source.calls.length = 0;
    expect(await cache.read(0x1800n, 0x2000)).toEqual(MEM.slice(0x1800, 0x3800));
    expect(source.calls).toEqual([
      [0x1000n, 0x1000],
      [0x3000n, 0x1000],
    ]);
    expect(cache.stats).toMatchObject({ sourceReads: 3, hits: 1, misses: 3 });
  });

  it('drops everything on invalidate()', async () => {
    const { cache } = setup();
    await cache.read(0n, 0x3000);
    expect(cache.size).toBe(3);
    cache.invalidate();
    expect(cache.size).toBe(0);
    await cache.read(0x1000n, 4);
    expect(cache.stats.sourceReads).toBe(2);
  });

  it('drops only the frames a range touches on invalidateRange()', async () => {
    const { source, cache } = setup();
    await cache.read(0n, 0x4000);
    cache.invalidateRange(0x1ffen, 4); // frames 1 and 2
    source.calls.length = 0;
    await cache.read(0n, 0x4000);
    expect(source.calls).toEqual([[0x1000n, 0x2000]]);
    cache.invalidateRange(0n, 0x10_0000_0000); // far bigger than the cache: walks the cache instead
    expect(cache.size).toBe(0);
  });

  it('passes a source error through unchanged and caches nothing', async () => {
    const { source, cache } = setup();
    const boom = new HyperFrameError('DISCONNECTED', 'stub went away');
    source.failWith = boom;
    await expect(cache.read(0x1000n, 0x1000)).rejects.toBe(boom);
    expect(cache.size).toBe(0);
    source.failWith = undefined;
    expect(await cache.read(0x1000n, 0x1000)).toEqual(MEM.slice(0x1000, 0x2000));
    expect(cache.stats.sourceReads).toBe(2);
  });

  it('caches none of a multi-run read when one run fails', async () => {
    const { cache } = setup(0x3000);
    await cache.read(0x1000n, 4); // frame 1 cached, so frames 0 and 2..3 are two runs
    const e = await cache.read(0n, 0x4000).catch((err: unknown) => err);
    expect((e as HyperFrameError).code).toBe('OUT_OF_RANGE');
    expect(cache.size).toBe(1);
  });

  it('serves bytes a source holds in a partial last frame, without caching that frame', async () => {
    const { source, cache } = setup(0x1800); // ends mid-frame
    expect(await cache.read(0x1000n, 0x100)).toEqual(MEM.slice(0x1000, 0x1100));
    expect(source.calls).toEqual([
      [0x1000n, 0x1000],
      [0x1000n, 0x100],
    ]);
    expect(cache.size).toBe(0);
    // A read past what the source holds fails with the source's error for the asked bytes.
    const e = (await cache.read(0x17f0n, 0x20).catch((err: unknown) => err)) as HyperFrameError;
    expect(e.code).toBe('OUT_OF_RANGE');
    expect(e.message).toBe(`fake: ${0x17f0}+32 is out of range`);
  });

  it('evicts the least recently used frame past maxFrames', async () => {
    const { source, cache } = setup(undefined, 2);
    await cache.read(0n, 1);
    await cache.read(0x1000n, 1);
    await cache.read(0n, 1); // frame 0 is now the most recent
    await cache.read(0x2000n, 1); // evicts frame 1
    expect(cache.size).toBe(2);
    source.calls.length = 0;
    await cache.read(0n, 1);
    expect(source.calls).toEqual([]);
    await cache.read(0x1000n, 1);
    expect(source.calls).toEqual([[0x1000n, 0x1000]]);
  });

  it('does not store a fetch that an invalidation overtook', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inner = new FakeSource(MEM);
    const slow: PhysMem = { description: 'slow', read: async (pa, n) => (await gate, inner.read(pa, n)) };
    const cache = new PageCache(slow);
    const pending = cache.read(0n, 0x1000);
    cache.invalidate(); // the target ran while the read was on the wire
    release();
    expect(await pending).toEqual(MEM.slice(0, 0x1000));
    expect(cache.size).toBe(0);
  });

  it('hands out copies, so a caller cannot corrupt the cache', async () => {
    const { cache } = setup();
    const first = await cache.read(0n, 16);
    first.fill(0);
    expect(await cache.read(0n, 16)).toEqual(MEM.slice(0, 16));
  });

  it('keeps the source description and rejects nonsense lengths', async () => {
    const { cache } = setup();
    expect(cache.description).toBe('fake source');
    expect(await cache.read(0n, 0)).toEqual(new Uint8Array(0));
    await expect(cache.read(0n, -1)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});
