/**
 * Boots every test guest and checks it against its hand-written expectation module using
 * QEMU's own monitor (`info tlb`, `info registers`, `xp`, `gva2gpa`) as the oracle. This
 * validates the guests and the expectation modules that other tests rely on.
 *
 * `info tlb` quirks accounted for (QEMU 7.2, target/i386/monitor.c):
 *  - it prints each leaf's own bits (XGPDACTUW), not effective permissions;
 *  - P is bit 7 of the printed entry: PS for large pages; for 4 KiB PTEs QEMU clears bit 7
 *    first, so the PAT bit of a 4 KiB page never shows (and bit 12 PAT of large pages is
 *    masked out of the address), so PAT is checked through the raw entries instead;
 *  - legacy 4 MiB pages lose their PSE-36 bits (PDE bits 20:13) in the address column;
 *  - in PAE mode the address column keeps bit 63, so XD pages print 0x8000…;
 *  - it walks into recursive slots, so lines inside a self-map window are counted and probed
 *    rather than compared leaf by leaf.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedLeaf, GuestExpectation, GuestPagingMode } from './expected-types';
import {
  bootGuest,
  buildGuest,
  EXPECTED,
  GUEST_NAMES,
  parseInfoRegisters,
  parseInfoTlb,
  parseXp,
  type BootedGuest,
  type TlbLine,
} from './harness';

const ADDR_MASK = 0x000f_ffff_ffff_f000n;

const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');

/** The line QEMU's `info tlb` prints for a leaf of this guest. */
function expectedTlbLine(mode: GuestPagingMode, leaf: ExpectedLeaf): string {
  let shown = leaf.pa;
  if (mode === 'legacy32') shown &= 0xffff_ffffn;
  if (mode === 'pae' && leaf.flags.xd) shown |= 1n << 63n;
  const f = leaf.flags;
  const flags =
    (f.xd ? 'X' : '-') +
    (f.g ? 'G' : '-') +
    (leaf.level > 1 ? 'P' : '-') +
    'DA' + // every leaf is assembled with A and D set
    (f.pcd ? 'C' : '-') +
    (f.pwt ? 'T' : '-') +
    (f.us ? 'U' : '-') +
    (f.rw ? 'W' : '-');
  return `${hex16(leaf.va)}: ${hex16(shown)} ${flags}`;
}

function inWindow(exp: GuestExpectation, cpu: number, va: bigint): boolean {
  const maps = exp.cpus[cpu]?.selfMaps ?? [];
  return maps.some((m) => va >= m.base && va < m.base + m.size);
}

async function readEntry(g: BootedGuest, mode: GuestPagingMode, pa: bigint): Promise<bigint> {
  const fmt = mode === 'legacy32' ? 'w' : 'g';
  const values = parseXp(await g.hmp(`xp /1${fmt}x 0x${pa.toString(16)}`));
  expect(values, `xp at 0x${pa.toString(16)}`).toHaveLength(1);
  return values[0] ?? -1n;
}

describe('guest build', () => {
  it.each(GUEST_NAMES)('%s builds to a multiboot1 ELF32 image', async (name) => {
    const path = await buildGuest(name);
    expect(await buildGuest(name)).toBe(path);
    const bytes = await readFile(path);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(bytes[4]).toBe(1); // ELFCLASS32: QEMU's multiboot loader refuses ELF64
    const head = bytes.subarray(0, 8192);
    let found = false;
    for (let i = 0; i + 12 <= head.length; i += 4) {
      if (head.readUInt32LE(i) === 0x1badb002) {
        const sum = (head.readUInt32LE(i) + head.readUInt32LE(i + 4) + head.readUInt32LE(i + 8)) >>> 0;
        found = sum === 0;
        break;
      }
    }
    expect(found, 'multiboot header with a valid checksum in the first 8 KiB').toBe(true);
  });
});

describe.each(GUEST_NAMES)('%s guest under QEMU', (name) => {
  const exp = EXPECTED[name];
  let g: BootedGuest;

  beforeAll(async () => {
    g = await bootGuest(name);
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('prints its marker and reports a gdb port and monitor socket', () => {
    expect(g.serial()).toContain(`${exp.marker}\n`);
    expect(g.gdbPort).toBeGreaterThan(0);
    expect(g.monitorPath).toMatch(/monitor\.sock$/);
  });

  it('expectation module is self-consistent', () => {
    expect(exp.cpus).toHaveLength(exp.smp);
    expect(exp.root).toBe(exp.cpus[0]?.cr3);
    for (const cpu of exp.cpus) {
      expect(cpu.root).toBe(cpu.cr3);
      const vas = cpu.leaves.map((l) => l.va);
      expect(new Set(vas).size, 'no duplicate leaf VAs').toBe(vas.length);
      for (const l of cpu.leaves) {
        expect(l.va % l.size, `va 0x${l.va.toString(16)} aligned`).toBe(0n);
        expect(l.pa % l.size, `pa 0x${l.pa.toString(16)} aligned`).toBe(0n);
        if (exp.mode === 'legacy32') expect(l.flags.xd).toBe(false);
      }
    }
  });

  for (const cpuExp of exp.cpus) {
    const cpu = cpuExp.index;

    it(`info tlb on CPU ${cpu} matches every expected leaf`, async () => {
      await g.hmp(`cpu ${cpu}`);
      const lines: TlbLine[] = parseInfoTlb(await g.hmp('info tlb'));
      expect(lines.length).toBeGreaterThan(0);

      const outside = lines.filter((l) => !inWindow(exp, cpu, l.va)).map((l) => l.text);
      const expected = cpuExp.leaves.map((l) => expectedTlbLine(exp.mode, l));
      expect([...outside].sort()).toEqual([...expected].sort());

      const inside = lines.filter((l) => inWindow(exp, cpu, l.va));
      const wanted = cpuExp.selfMaps.reduce((n, m) => n + m.infoTlbLines, 0);
      expect(inside.length, 'info tlb lines inside the self-map windows').toBe(wanted);
      for (const m of cpuExp.selfMaps) {
        for (const p of m.probes) {
          const hit = inside.find((l) => l.va === p.va);
          expect(hit, `${p.what} at 0x${p.va.toString(16)}`).toBeDefined();
          expect((hit?.pa ?? 0n) & ADDR_MASK, p.what).toBe(p.pa);
        }
      }
    });

    it(`info registers on CPU ${cpu} shows the expected control and general registers`, async () => {
      const all = parseInfoRegisters(await g.hmp('info registers -a'));
      const regs = all.get(cpu);
      expect(regs, `CPU#${cpu} in info registers -a`).toBeDefined();
      if (!regs) return;
      expect(regs.get('hlt')).toBe(1n);
      expect(regs.get('cr0')).toBe(cpuExp.cr0);
      expect(regs.get('cr3')).toBe(cpuExp.cr3);
      expect(regs.get('cr4')).toBe(cpuExp.cr4);
      expect(regs.get('efer')).toBe(cpuExp.efer);
      for (const [reg, value] of Object.entries(cpuExp.registers)) {
        expect(regs.get(reg), reg).toBe(value);
      }
    });
  }

  it('raw entries read back exactly as assembled', async () => {
    for (const e of exp.entries) {
      const keep = ~(e.mayChange ?? 0n);
      expect((await readEntry(g, exp.mode, e.pa)) & keep, e.what).toBe(e.value & keep);
    }
  });

  it('shared tables and self-map slots point where documented', async () => {
    const size = exp.mode === 'legacy32' ? 4n : 8n;
    const addr = (v: bigint): bigint => (exp.mode === 'legacy32' ? v & 0xffff_f000n : v & ADDR_MASK);
    for (const cpuExp of exp.cpus) {
      for (const s of cpuExp.sharedTables) {
        expect(s.from.length).toBeGreaterThanOrEqual(2);
        for (const ref of s.from) {
          const v = await readEntry(g, exp.mode, ref.table + BigInt(ref.index) * size);
          expect(v & 1n, 'present').toBe(1n);
          expect(v & 0x80n, 'not a large page').toBe(0n);
          expect(addr(v)).toBe(s.pa);
        }
      }
      for (const m of cpuExp.selfMaps) {
        for (const slot of m.slots) {
          const v = await readEntry(g, exp.mode, m.table + BigInt(slot.index) * size);
          expect(v & 1n, 'present').toBe(1n);
          expect(addr(v)).toBe(slot.target);
        }
      }
    }
  });

  if (name === 'long4smp') {
    it('VA 0x40000000 translates differently on the two vCPUs', async () => {
      await g.hmp('cpu 0');
      expect(await g.hmp('gva2gpa 0x40000000')).toBe('gpa: 0x800000');
      await g.hmp('cpu 1');
      expect(await g.hmp('gva2gpa 0x40000000')).toBe('gpa: 0x900000');
      await g.hmp('cpu 0');
    });
  }
});
