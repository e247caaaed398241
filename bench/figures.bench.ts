/**
 * `npm run bench`: figures for the maintainers, printed, never asserted. Counts (table reads,
 * packets, bytes) are stable; times are only indicative on a shared machine.
 */
import { it } from 'vitest';
import { mappings, mergeRanges } from '../src/paging';
import { LiveTarget } from '../src/target/liveTarget';
import { bootGuest } from '../test/guests/harness';

function ms(t0: bigint): string {
  return `${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`;
}

/** Flat memory from PA 0, so that the figures measure the walker rather than the test memory. */
class FlatMem {
  readonly description = 'flat benchmark memory';
  readonly bytes: Uint8Array;
  reads = 0;
  bytesRead = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  u64(pa: bigint, v: bigint): this {
    new DataView(this.bytes.buffer).setBigUint64(Number(pa), v, true);
    return this;
  }
  write(pa: bigint, data: Uint8Array): void {
    this.bytes.set(data, Number(pa));
  }
  async read(pa: bigint, n: number): Promise<Uint8Array> {
    this.reads++;
    this.bytesRead += n;
    return this.bytes.slice(Number(pa), Number(pa) + n);
  }
}

/** A Linux-like direct map: `gib` GiB of 4 KiB pages under one PML4 slot (262144 leaves per GiB). */
function bigAddressSpace(gib: number): FlatMem {
  const mem = new FlatMem((gib * 513 + 8) * 4096);
  const root = 0x1000n;
  let next = 0x2000n;
  const alloc = () => ((next += 0x1000n), next - 0x1000n);
  const pdpt = alloc();
  mem.u64(root + 273n * 8n, pdpt | 3n);
  for (let g = 0n; g < BigInt(gib); g++) {
    const pd = alloc();
    mem.u64(pdpt + g * 8n, pd | 3n);
    for (let d = 0n; d < 512n; d++) {
      const pt = alloc();
      mem.u64(pd + d * 8n, pt | 3n);
      const table = new Uint8Array(4096);
      const dv = new DataView(table.buffer);
      for (let i = 0n; i < 512n; i++) dv.setBigUint64(Number(i) * 8, ((((g << 18n) | (d << 9n) | i) << 12n) + 0x100000000n) | 0x63n, true);
      mem.write(pt, table);
    }
  }
  return mem;
}

async function benchWalk(): Promise<void> {
  for (const gib of [1, 4]) {
    const mem = bigAddressSpace(gib);
    mem.reads = 0;
    mem.bytesRead = 0;
    const t0 = process.hrtime.bigint();
    let leaves = 0;
    let ranges = 0;
    const counted = (async function* () {
      for await (const e of mappings({ mode: 'long4', root: 0x1000n }, mem)) {
        if (e.kind === 'leaf') leaves++;
        yield e;
      }
    })();
    for await (const _ of mergeRanges(counted)) ranges++;
    console.log(`walk, synthetic ${gib} GiB direct map of 4 KiB pages: ${leaves} leaves -> ${ranges} ranges, ${mem.reads} table reads, ${mem.bytesRead} bytes, ${ms(t0)}`);
  }
}

async function benchLive(): Promise<void> {
  const g = await bootGuest('long4');
  try {
    const target = await LiveTarget.attach({ host: '127.0.0.1', port: g.gdbPort });
    const c = target.client.counters;
    try {
      const regs = await target.controlRegs(0);
      let before = { ...c };
      let t0 = process.hrtime.bigint();
      let leaves = 0;
      await target.physicalBatch(async () => {
        for await (const e of mappings({ mode: 'long4', root: regs.cr3 & ~0xfffn }, target.phys)) if (e.kind === 'leaf') leaves++;
      });
      console.log(`live walk of the long4 guest (QEMU physical mode): ${leaves} leaves, ${c.packetsSent - before.packetsSent} packets sent, ${c.bytesReceived - before.bytesReceived} bytes received, ${ms(t0)}`);
      target.invalidate();
      for (const bytes of [64 << 10, 1 << 20]) {
        before = { ...c };
        t0 = process.hrtime.bigint();
        await target.physicalBatch(() => target.phys.read(0x100000n, bytes));
        console.log(`physical read of ${bytes >> 10} KiB: ${c.packetsSent - before.packetsSent} packets sent, ${c.bytesReceived - before.bytesReceived} bytes received, ${ms(t0)}`);
        target.invalidate();
      }
      before = { ...c };
      t0 = process.hrtime.bigint();
      await target.readVirtual(0, 0xffffffff80000000n, 64 << 10);
      console.log(`virtual read of 64 KiB through vCPU 0: ${c.packetsSent - before.packetsSent} packets sent, ${ms(t0)}`);
    } finally {
      await target.close();
    }
  } finally {
    await g.stop();
  }
}

it('table walks over a synthetic direct map', benchWalk);
it('live reads and walks against QEMU', benchLive);
