import { isHyperFrameError } from '../util/errors';
import { checkRequest } from './format';
import type { PhysMem } from './physMem';

export const FRAME_BYTES = 4096;
const FRAME_SHIFT = 12n;
const DEFAULT_MAX_FRAMES = 16384; // 64 MiB: a full 4-level walk plus every frame a user browses

export interface PageCacheStats {
  /** Calls made to the source, and the bytes they asked for. */
  sourceReads: number;
  sourceBytes: number;
  /** Frames served from the cache / frames that had to be fetched. */
  hits: number;
  misses: number;
}

interface FetchedRun {
  frames: Map<bigint, Uint8Array>;
  /** False when only part of the run could be read: such frames are used once, never cached. */
  whole: boolean;
}

export interface PageCacheOptions {
  /** Most frames kept; the least recently used go first (default 16384). */
  maxFrames?: number;
}

/**
 * Caches a source in 4 KiB frames, for the life of one stop: the owner calls `invalidate()` when
 * the target runs or memory is written. A read's missing frames are fetched in runs, one source
 * read per run of contiguous missing frames, so a page table costs one round trip to a stub.
 */
export class PageCache implements PhysMem {
  readonly stats: PageCacheStats = { sourceReads: 0, sourceBytes: 0, hits: 0, misses: 0 };
  private readonly maxFrames: number;
  /** Frame number → bytes, in least-recently-used-first order (Map keeps insertion order). */
  private readonly frames = new Map<bigint, Uint8Array>();
  /** Bumped by every invalidation so a fetch that started before it does not store stale bytes. */
  private generation = 0;

  constructor(
    readonly source: PhysMem,
    options: PageCacheOptions = {},
  ) {
    this.maxFrames = Math.max(1, options.maxFrames ?? DEFAULT_MAX_FRAMES);
  }

  get description(): string {
    return this.source.description;
  }

  isRam(pa: bigint, bytes: number): boolean | undefined {
    return this.source.isRam?.(pa, bytes);
  }

  /** Number of frames currently held. */
  get size(): number {
    return this.frames.size;
  }

  async read(pa: bigint, bytes: number): Promise<Uint8Array> {
    checkRequest(pa, bytes);
    if (bytes === 0) return new Uint8Array(0);
    const end = pa + BigInt(bytes);
    const first = pa >> FRAME_SHIFT;
    const last = (end - 1n) >> FRAME_SHIFT;
    const got = new Map<bigint, Uint8Array>();
    const runs: [bigint, bigint][] = []; // [first frame, frame count] of each missing run
    for (let f = first; f <= last; f++) {
      const cached = this.frames.get(f);
      if (cached) {
        this.stats.hits++;
        this.touch(f, cached);
        got.set(f, cached);
      } else {
        this.stats.misses++;
        const run = runs.at(-1);
        if (run && run[0] + run[1] === f) run[1]++;
        else runs.push([f, 1n]);
      }
    }
    if (runs.length > 0) {
      const generation = this.generation;
      const fetched = await Promise.all(runs.map(([f, n]) => this.fetchRun(f, n, pa, end)));
      for (const { frames, whole } of fetched) {
        for (const [f, data] of frames) {
          got.set(f, data);
          if (whole && generation === this.generation) this.store(f, data);
        }
      }
    }
    return assemble(got, pa, bytes);
  }

  /** Drops every cached frame (the target ran, or memory changed behind our back). */
  invalidate(): void {
    this.frames.clear();
    this.generation++;
  }

  /** Drops the frames overlapping [pa, pa+bytes), e.g. after a write there. */
  invalidateRange(pa: bigint, bytes: number): void {
    checkRequest(pa, bytes);
    this.generation++;
    if (bytes === 0) return;
    const first = pa >> FRAME_SHIFT;
    const last = (pa + BigInt(bytes) - 1n) >> FRAME_SHIFT;
    if (last - first + 1n > BigInt(this.frames.size)) {
      for (const f of [...this.frames.keys()]) if (f >= first && f <= last) this.frames.delete(f);
    } else {
      for (let f = first; f <= last; f++) this.frames.delete(f);
    }
  }

  /**
   * Fetches `count` whole frames from frame `first`. When the source cannot give whole frames
   * (an image or segment ending mid-frame, a stub refusing part of a page) but the caller asked
   * for less, retry with just the asked bytes of this run and do not cache them; if that fails
   * too, the source's own error goes to the caller untouched.
   */
  private async fetchRun(first: bigint, count: bigint, pa: bigint, end: bigint): Promise<FetchedRun> {
    const runPa = first << FRAME_SHIFT;
    const runEnd = (first + count) << FRAME_SHIFT;
    let data: Uint8Array;
    let whole = true;
    try {
      data = await this.fromSource(runPa, Number(runEnd - runPa));
    } catch (e) {
      const askPa = pa > runPa ? pa : runPa;
      const askEnd = end < runEnd ? end : runEnd;
      const partialHelps = isHyperFrameError(e) && (e.code === 'OUT_OF_RANGE' || e.code === 'TARGET');
      if (!partialHelps || (askPa === runPa && askEnd === runEnd)) throw e;
      data = new Uint8Array(Number(runEnd - runPa));
      data.set(await this.fromSource(askPa, Number(askEnd - askPa)), Number(askPa - runPa));
      whole = false;
    }
    const frames = new Map<bigint, Uint8Array>();
    for (let i = 0n; i < count; i++) {
      const start = Number(i << FRAME_SHIFT);
      frames.set(first + i, data.slice(start, start + FRAME_BYTES));
    }
    return { frames, whole };
  }

  private async fromSource(pa: bigint, bytes: number): Promise<Uint8Array> {
    this.stats.sourceReads++;
    this.stats.sourceBytes += bytes;
    return this.source.read(pa, bytes);
  }

  private touch(f: bigint, data: Uint8Array): void {
    this.frames.delete(f);
    this.frames.set(f, data);
  }

  private store(f: bigint, data: Uint8Array): void {
    this.frames.delete(f);
    this.frames.set(f, data);
    while (this.frames.size > this.maxFrames) {
      const oldest = this.frames.keys().next().value as bigint;
      this.frames.delete(oldest);
    }
  }
}

/** Copies the asked bytes out of the frames (a fresh array: callers may not alter the cache). */
function assemble(frames: Map<bigint, Uint8Array>, pa: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let pos = 0;
  let cur = pa;
  while (pos < bytes) {
    const f = cur >> FRAME_SHIFT;
    const within = Number(cur - (f << FRAME_SHIFT));
    const take = Math.min(FRAME_BYTES - within, bytes - pos);
    const frame = frames.get(f);
    if (frame) out.set(frame.subarray(within, within + take), pos);
    pos += take;
    cur += BigInt(take);
  }
  return out;
}
