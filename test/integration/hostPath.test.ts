/**
 * Physical memory read straight from the host against the stub, on every test guest: guest RAM
 * from /proc/<pid>/mem (QEMU's own gpa2hva addresses) and from a shared RAM file must give the
 * same bytes, and walks through them the same leaves, leaf for leaf, as QEMU's physical mode over
 * the stub. MMIO and holes keep the stub's answer. Packet counts of a walk over the stub are
 * stable (a table is two 0x800 reads; one switch into physical mode and one out) and asserted.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRamFile } from '../../src/debugAdapter/ramFile';
import { LiveTarget } from '../../src/target/liveTarget';
import type { PhysicalMemoryOption } from '../../src/target/livePhysical';
import type { SharedRamFile } from '../../src/target/hostPhysical';
import { bootGuest, EXPECTED, GUEST_NAMES, type BootedGuest } from '../guests/harness';
import { liveWalk as walk } from '../helpers/liveWalk';
import { GdbProxy } from '../gdbstub/gdbProxy';

/** SHA-1 of `bytes` of physical memory at each place, read through one attach; the VM stays paused. */
async function digests(port: number, physicalMemory: PhysicalMemoryOption, places: [bigint, number][], ramFile?: SharedRamFile): Promise<string[]> {
  const t = await LiveTarget.attach({ host: '127.0.0.1', port, physicalMemory, ramFile });
  try {
    return await t.physicalBatch(() => Promise.all(places.map(async ([pa, n]) => createHash('sha1').update(await t.phys.read(pa, n)).digest('hex'))));
  } finally {
    await t.close({ leavePaused: true });
  }
}

// RAM at 0, the guest's tables and code at 1 MiB, the top of RAM, the BIOS ROM, the I/O APIC (MMIO)
// and a hole above RAM: the last two come from the stub, whatever path RAM takes.
const PLACES: [bigint, number][] = [
  [0n, 0x10000],
  [0x100000n, 0x40000],
  [(64n << 20n) - 0x2000n, 0x2000],
  [0xfffc0000n, 0x1000],
  [0xfec00000n, 0x100],
  [0x10000000n, 0x1000],
];

describe.each(GUEST_NAMES)('the %s guest: guest RAM from the host equals the stub', (name) => {
  const exp = EXPECTED[name];
  let g: BootedGuest;
  let withFile: BootedGuest;
  let file: SharedRamFile;
  let unlink: () => void;
  beforeAll(async () => {
    g = await bootGuest(name);
    // A second instance whose RAM is a shared file, as the adapter launches QEMU.
    const plan = planRamFile(['-m', '64']);
    if (!('file' in plan)) throw new Error(`no shared RAM file: ${plan.why}`);
    ({ file, unlink } = plan);
    withFile = await bootGuest(name, { extraArgs: plan.args.slice(2) });
    await Promise.all([g.hmp('stop'), withFile.hmp('stop')]);
  });
  afterAll(async () => {
    await g?.stop();
    await withFile?.stop();
    unlink?.();
  });

  for (const cpu of exp.cpus) {
    it(`vCPU ${cpu.index}: /proc/<pid>/mem and the shared file walk leaf for leaf as the stub does`, async () => {
      const stub = await walk(g.gdbPort, cpu.index, 'qemu');
      const proc = await walk(g.gdbPort, cpu.index, 'proc');
      expect(proc.physical).toMatch(new RegExp(`^QEMU guest RAM via /proc/${g.pid}/mem \\(gpa2hva: pc\\.ram 64 MiB, pc\\.bios 256 KiB\\)`));
      expect(stub.physical).toMatch(/^QEMU's physical-memory mode over the stub/);
      expect(stub.leaves.length).toBe(cpu.leaves.length);
      expect(proc.leaves).toEqual(stub.leaves);
      expect(proc.notes).toEqual(stub.notes);
      expect(proc.tables).toBe(stub.tables);
      // Over the stub: each table a 4 KiB frame of the page cache (PAE's 32-byte root too) in two
      // 0x800 reads, one switch into physical mode and one out.
      expect(stub.packets).toBe(2 * stub.tables + 2);
      expect(proc.packets).toBe(0);

      const fileStub = await walk(withFile.gdbPort, cpu.index, 'qemu');
      const viaFile = await walk(withFile.gdbPort, cpu.index, 'file', file);
      expect(viaFile.physical).toMatch(/^QEMU guest RAM via shared file .*guest-ram \(hyperframe-ram 64 MiB\)/);
      expect(viaFile.leaves).toEqual(fileStub.leaves);
      expect(viaFile.leaves).toEqual(stub.leaves);
      expect(viaFile.packets).toBe(0);
    });
  }

  it('the same bytes of RAM, ROM, MMIO and a hole every way', async () => {
    const stub = await digests(g.gdbPort, 'qemu', PLACES);
    expect(await digests(g.gdbPort, 'proc', PLACES)).toEqual(stub);
    const fileStub = await digests(withFile.gdbPort, 'qemu', PLACES);
    expect(await digests(withFile.gdbPort, 'file', PLACES, file)).toEqual(fileStub);
    // Not told where the file is: QEMU's own qom-get names the backend's mem-path.
    expect(await digests(withFile.gdbPort, 'file', PLACES)).toEqual(fileStub);
  });

  it("through a relay the stub's process is not QEMU: auto says so and reads over the stub; proc and file refuse", async () => {
    const relay = await GdbProxy.start(g.gdbPort);
    try {
      const t = await LiveTarget.attach({ host: '127.0.0.1', port: relay.port });
      try {
        expect(t.physicalStrategy).toEqual({ kind: 'qemu' });
        expect(t.physicalMemory).toMatch(/^QEMU's physical-memory mode over the stub \(not directly: the other end of port \d+ is this very process \(a relay\), not QEMU\)$/);
      } finally {
        await t.close({ leavePaused: true });
      }
      await expect(LiveTarget.attach({ host: '127.0.0.1', port: relay.port, physicalMemory: 'proc' })).rejects.toThrow(/physical memory 'proc' is not possible: the other end of port/);
      await expect(LiveTarget.attach({ host: '127.0.0.1', port: relay.port, physicalMemory: 'file' })).rejects.toThrow(/physical memory 'file' is not possible: QEMU's RAM is not a shared file/);
    } finally {
      await relay.close();
    }
  });
});
