/**
 * The walker's own cost per leaf on synthetic direct maps of 4 KiB pages (1, 4 and 16 GiB: 262,144
 * to 4,194,304 leaves), walked and merged into ranges as `walk` does, from flat memory so that the
 * figures measure the walker; the heap it adds while it runs (bounded: flat as the space grows);
 * and bulk physical reads against the raw client on a test guest.
 */
import { describe, it } from 'vitest';
import { RangeMerger } from '../src/paging/rangeMerge';
import { TableWalk } from '../src/paging/tableWalk';
import { LiveTarget } from '../src/target/liveTarget';
import { bootGuest } from '../test/guests/harness';
import { recordFigures, type SyntheticFigures } from './figures';
import { RawStub } from './rawClient';

/** Flat memory from PA 0: reads are copies of a slice, as from a file. */
class FlatMem {
  readonly description = 'flat benchmark memory';
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u64(pa: number, v: bigint): void {
    this.view.setBigUint64(pa, v, true);
  }
  async read(pa: bigint, n: number): Promise<Uint8Array> {
    return this.bytes.slice(Number(pa), Number(pa) + n);
  }
}

/** A Linux-like direct map: `gib` GiB of 4 KiB pages under one PML4 slot (262,144 leaves per GiB). */
function directMap(gib: number): FlatMem {
  const mem = new FlatMem((gib * 513 + 8) * 4096);
  let next = 0x2000;
  const alloc = (): number => ((next += 0x1000), next - 0x1000);
  const pdpt = alloc();
  mem.u64(0x1000 + 273 * 8, BigInt(pdpt) | 3n);
  for (let g = 0; g < gib; g++) {
    const pd = alloc();
    mem.u64(pdpt + g * 8, BigInt(pd) | 3n);
    for (let d = 0; d < 512; d++) {
      const pt = alloc();
      mem.u64(pd + d * 8, BigInt(pt) | 3n);
      for (let i = 0; i < 512; i++) mem.u64(pt + i * 8, ((BigInt((g * 512 + d) * 512 + i) << 12n) + 0x1_0000_0000n) | 0x63n);
    }
  }
  return mem;
}

async function walkOnce(mem: FlatMem): Promise<Omit<SyntheticFigures, 'gib'>> {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const start = process.hrtime.bigint();
  const walk = new TableWalk({ mode: 'long4', root: 0x1000n }, mem);
  let leaves = 0;
  let ranges = 0;
  const merger = new RangeMerger(false, walk.breakVpn, () => ranges++);
  await walk.all(
    {
      leaf: (l) => {
        leaves++;
        merger.push(l);
      },
      note: () => undefined,
    },
    () => void (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)),
  );
  merger.finish();
  const ns = Number(process.hrtime.bigint() - start);
  return { leaves, ranges, tables: walk.tablesRead, ms: ns / 1e6, nsPerLeaf: ns / leaves, heapGrowthMiB: (heapPeak - heapBefore) / 2 ** 20 };
}

describe('the walker on synthetic direct maps', () => {
  for (const gib of [1, 4, 16]) {
    it(`${gib} GiB of 4 KiB pages`, async () => {
      const mem = directMap(gib);
      let best: Omit<SyntheticFigures, 'gib'> | undefined;
      for (let i = 0; i < 5; i++) {
        const r = await walkOnce(mem);
        if (!best || r.ms < best.ms) best = { ...r, heapGrowthMiB: Math.max(r.heapGrowthMiB, best?.heapGrowthMiB ?? 0) };
      }
      const f: SyntheticFigures = { gib, ...best! };
      console.log(`[bench] synthetic ${gib} GiB: ${JSON.stringify(f)}`);
      recordFigures((all) => void (all.synthetic = [...all.synthetic.filter((x) => x.gib !== gib), f]));
    }, 300_000);
  }
});

describe('bulk physical reads', () => {
  it('1 MiB: the raw client, HyperFrame over the stub, HyperFrame through the host path', async () => {
    const g = await bootGuest('long4');
    const bytes = 1 << 20;
    const rate = (ms: number): number => bytes / 2 ** 20 / (ms / 1000);
    try {
      const raw = await RawStub.connect(g.gdbPort);
      let rawMs = Infinity;
      try {
        for (let i = 0; i < 3; i++) {
          const start = performance.now();
          await raw.readPhysical([[0x100000n, bytes]]);
          rawMs = Math.min(rawMs, performance.now() - start);
        }
      } finally {
        await raw.detach();
      }
      const ours = async (physicalMemory: 'qemu' | 'proc'): Promise<number> => {
        const t = await LiveTarget.attach({ host: '127.0.0.1', port: g.gdbPort, physicalMemory });
        let best = Infinity;
        try {
          for (let i = 0; i < 3; i++) {
            t.invalidate();
            const start = performance.now();
            await t.physicalBatch(() => t.phys.read(0x100000n, bytes));
            best = Math.min(best, performance.now() - start);
          }
        } finally {
          await t.close();
        }
        return best;
      };
      const bulk = { bytes, rawMiBs: rate(rawMs), stubMiBs: rate(await ours('qemu')), hostMiBs: rate(await ours('proc')) };
      console.log(`[bench] bulk: ${JSON.stringify(bulk)}`);
      recordFigures((all) => void (all.bulk = bulk));
    } finally {
      await g.stop();
    }
  }, 300_000);
});
