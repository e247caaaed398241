/**
 * Whole walks of real address spaces: every test guest, and the real Linux and Xen guests when
 * their images are in test/linux/.cache and test/xen/.cache. For each: leaves, table pages read,
 * packets and bytes on the wire of a whole CLI walk over the stub, the wall time and peak RSS of
 * a whole CLI walk (through the host path and over the stub), and the raw client's time for the
 * same table pages. Figures are printed, never asserted (times move with the machine's load).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { PhysMem } from '../src/memory/physMem';
import { resolveAddressSpace } from '../src/cli/options';
import { runWalk } from '../src/paging/walkRun';
import { LiveTarget } from '../src/target/liveTarget';
import { GdbProxy } from '../test/gdbstub/gdbProxy';
import { bootGuest, GUEST_NAMES } from '../test/guests/harness';
import { bootLinux, CACHE_DIR } from '../test/linux/linuxGuest';
import { bootXen, XEN_CACHE_DIR } from '../test/xen/xenGuest';
import { bestOf } from './cliProcess';
import { type GuestFigures, recordFigures } from './figures';
import { RawStub } from './rawClient';

interface Vm {
  gdbPort: number;
  stop(): Promise<void>;
}

/** A PhysMem that notes every read (the walk's table pages). */
function recording(mem: PhysMem, reads: [bigint, number][]): PhysMem {
  return { description: mem.description, read: (pa, n) => (reads.push([pa, n]), mem.read(pa, n)) };
}

async function measure(name: string, vm: Vm, runs: number): Promise<GuestFigures> {
  const target = `127.0.0.1:${vm.gdbPort}`;
  // The walk alone, in process, over the stub: three times, each with a cold page cache.
  const t = await LiveTarget.attach({ host: '127.0.0.1', port: vm.gdbPort, physicalMemory: 'qemu' });
  let walkStubMs = Infinity;
  let reads: [bigint, number][] = [];
  let leaves = 0;
  try {
    const { spec } = await resolveAddressSpace({ cpu: '0' }, t);
    for (let i = 0; i < runs; i++) {
      t.invalidate();
      reads = [];
      const start = performance.now();
      const stats = await t.physicalBatch(() => runWalk(spec, recording(t.phys, reads), {}, { range: () => undefined }));
      walkStubMs = Math.min(walkStubMs, performance.now() - start);
      leaves = stats.leaves;
    }
  } finally {
    await t.close();
  }
  // The raw client, the same table pages (4 KiB frames, as the page cache asks for them).
  const pages = [...new Set(reads.map(([pa]) => pa & ~0xfffn))].map((pa) => [pa, 0x1000] as [bigint, number]);
  let rawStubMs = Infinity;
  const raw = await RawStub.connect(vm.gdbPort);
  try {
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await raw.readPhysical(pages);
      rawStubMs = Math.min(rawStubMs, performance.now() - start);
    }
  } finally {
    await raw.detach();
  }
  const host = await bestOf(runs, ['walk', '--target', target, '--cpu', '0', '--json']);
  const stub = await bestOf(runs, ['walk', '--target', target, '--cpu', '0', '--json', '--physical', 'qemu']);
  const leavesJson = await bestOf(1, ['walk', '--target', target, '--cpu', '0', '--json', '--leaves']);
  // What goes over the wire in a whole CLI walk over the stub, counted by a relay.
  const proxy = await GdbProxy.start(vm.gdbPort);
  try {
    await bestOf(1, ['walk', '--target', `127.0.0.1:${proxy.port}`, '--cpu', '0', '--json', '--physical', 'qemu']);
  } finally {
    await proxy.close();
  }
  const s = proxy.stats;
  const figures: GuestFigures = {
    guest: name,
    leaves,
    tables: pages.length,
    packets: s.clientPackets,
    bytesUp: s.clientBytes,
    bytesDown: s.serverBytes,
    cliHostMs: host.ms,
    cliStubMs: stub.ms,
    cliHostRssMiB: host.rssMiB,
    cliStubRssMiB: stub.rssMiB,
    leavesJsonRssMiB: leavesJson.rssMiB,
    walkStubMs,
    rawStubMs,
  };
  console.log(`[bench] ${name}: ${JSON.stringify(figures)}`);
  return figures;
}

const guests: { name: string; boot: () => Promise<Vm>; present: boolean }[] = [
  ...GUEST_NAMES.map((name) => ({ name, boot: () => bootGuest(name), present: true })),
  { name: 'linux', boot: () => bootLinux({ smp: 2 }), present: existsSync(join(CACHE_DIR, 'vmlinuz')) },
  { name: 'xen', boot: () => bootXen(), present: existsSync(join(XEN_CACHE_DIR, 'xen')) && existsSync(join(CACHE_DIR, 'vmlinuz')) },
];

describe('whole walks of each guest', () => {
  for (const g of guests) {
    it.skipIf(!g.present)(g.name, async () => {
      const vm = await g.boot();
      try {
        const f = await measure(g.name, vm, g.name === 'xen' ? 2 : 3);
        recordFigures((all) => void (all.guests = [...all.guests.filter((x) => x.guest !== f.guest), f]));
      } finally {
        await vm.stop();
      }
    }, 900_000);
  }
});
