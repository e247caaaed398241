/**
 * The CLI against live QEMU guests: every leaf `hyperframe walk --target` finds is compared with
 * (a) the tables as each guest's source defines them and (b) QEMU's own `info tlb`, fetched
 * through qRcmd. After each command the VM must be running again, in virtual-address mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GdbClient } from '../../src/gdbstub/client';
import { bootGuest, EXPECTED, GUEST_NAMES, parseInfoTlb, type BootedGuest } from '../guests/harness';
import { leafFlagsFromRaw, tlbLineFor } from '../helpers/infoTlb';
import { cli } from '../helpers/runCli';

interface JsonLeaf {
  va: string;
  pa: string;
  size: number;
  entry: string;
  level: number;
}

describe.each(GUEST_NAMES)('hyperframe --target on the %s guest', (name) => {
  const exp = EXPECTED[name];
  let g: BootedGuest;
  beforeAll(async () => {
    g = await bootGuest(name);
  });
  afterAll(async () => {
    await g?.stop();
  });

  for (const cpuExp of exp.cpus) {
    const cpu = cpuExp.index;
    it(`walk --cpu ${cpu}: every leaf as the source defines it and as info tlb prints it`, async () => {
      const r = await cli('walk', '--target', `127.0.0.1:${g.gdbPort}`, '--cpu', String(cpu), '--leaves', '--json');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out) as { mode: string; root: string; leaves: JsonLeaf[]; selfMaps: { va: string; size: number }[] };
      expect(j.mode).toBe(exp.mode);
      expect(BigInt(j.root)).toBe(cpuExp.root);

      // (a) the source's tables: VA, PA, size, level and the leaf's own bits.
      const mine = j.leaves.map((l) => ({
        va: BigInt(l.va),
        pa: BigInt(l.pa),
        size: BigInt(l.size),
        level: l.level,
        flags: leafFlagsFromRaw(BigInt(l.entry), l.level, exp.mode),
      }));
      const key = (l: { va: bigint }) => l.va;
      expect([...mine].sort((a, b) => (key(a) < key(b) ? -1 : 1))).toEqual(
        [...cpuExp.leaves].sort((a, b) => (key(a) < key(b) ? -1 : 1)).map((l) => ({ va: l.va, pa: l.pa, size: l.size, level: l.level, flags: l.flags })),
      );
      // Self-maps at the windows the source defines, not descended.
      expect(j.selfMaps.map((s) => BigInt(s.va)).sort()).toEqual(
        cpuExp.selfMaps.flatMap((m) => m.slots.map((_, i) => m.base + BigInt(i) * (m.size / BigInt(m.slots.length)))).sort(),
      );

      // (b) QEMU's own walker, through qRcmd, outside the self-map windows it descends into.
      const client = await GdbClient.connect('127.0.0.1', g.gdbPort);
      let tlb: string;
      try {
        await client.monitor(`cpu ${cpu}`);
        tlb = await client.monitor('info tlb');
      } finally {
        await client.detach();
      }
      const windows = j.selfMaps.map((s) => [BigInt(s.va), BigInt(s.va) + BigInt(s.size)] as const);
      const qemu = parseInfoTlb(tlb)
        .filter((l) => !windows.some(([lo, hi]) => l.va >= lo && l.va < hi))
        .map((l) => l.text)
        .sort();
      const ours = j.leaves.map((l) => tlbLineFor(exp.mode, { va: BigInt(l.va), pa: BigInt(l.pa), level: l.level, raw: BigInt(l.entry) })).sort();
      expect(ours).toEqual(qemu);
    });
  }

  it('translate and regs agree with the guest; the VM runs afterwards in virtual mode', async () => {
    const leaf = exp.leaves[Math.floor(exp.leaves.length / 2)];
    const t = JSON.parse((await cli('translate', `0x${(leaf.va + 0x123n).toString(16)}`, '--target', `127.0.0.1:${g.gdbPort}`, '--json')).out);
    expect(BigInt(t.pa)).toBe(leaf.pa + 0x123n);
    const regs = JSON.parse((await cli('regs', '--target', `127.0.0.1:${g.gdbPort}`, '--json')).out);
    expect(BigInt(regs.registers.cr3)).toBe(exp.cpus[0].cr3);
    // QEMU's x86_64 stub always reports 64-bit registers: a 32-bit guest's ebx is rbx's low half.
    let matched = 0;
    for (const [n, v] of Object.entries(exp.registers)) {
      const wide = regs.registers[n] ?? regs.registers[n.replace(/^e/, 'r')];
      if (wide === undefined) continue;
      expect(BigInt(wide) & (n === 'eip' || /^e/.test(n) ? 0xffffffffn : ~0n), n).toBe(v);
      matched++;
    }
    expect(matched).toBeGreaterThanOrEqual(4);
    expect(await g.hmp('info status')).toMatch(/VM status: running/);
    // PhyMemMode is global in QEMU and survives reconnects: it must be back to 0.
    const client = await GdbClient.connect('127.0.0.1', g.gdbPort);
    try {
      expect(await client.connection.request('qqemu.PhyMemMode')).toBe('0');
    } finally {
      await client.detach();
    }
  });
});
