/**
 * hyperframe/roots, hyperframe/pageTable and hyperframe/frame on the long4smp guest. Truth: the
 * guest's source (EXPECTED, long4.expected T.*) and QEMU's own `xp` of the same tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameResult, PageTableResult, ResolveResult, RootsResult, TranslateResult } from '../../src/shared/dapRequests';
import { EXPECTED, parseXp } from '../guests/harness';
import { T } from '../guests/long4.expected';
import { b64, liveInspection, type LiveInspection } from './inspect.helpers';

describe('custom requests on long4smp', () => {
  let li: LiveInspection;
  beforeAll(async () => {
    li = await liveInspection('long4smp');
  });
  afterAll(async () => {
    await li?.close();
  });

  /** A table's 512 entries as QEMU reads them. */
  const xpTable = async (pa: bigint) => parseXp(await li.guest.hmp(`xp /512gx 0x${pa.toString(16)}`));

  it('hyperframe/roots: one per vCPU, each its own CR3', async () => {
    const r = (await li.inspection.customRequest('hyperframe/roots', {})) as RootsResult;
    expect(r).toMatchObject({ writable: true, target: expect.stringMatching(/127\.0\.0\.1/) });
    expect(r.roots).toEqual(
      EXPECTED.long4smp.cpus.map((c) => ({ vcpu: c.index, cr3: `0x${c.cr3.toString(16)}`, mode: 'long4', root: `0x${c.root.toString(16)}` })),
    );
    expect(r.configured).toBeUndefined();
  });

  it('hyperframe/pageTable: the PML4 in one read, entries as xp shows them, the recursive slot flagged', async () => {
    const r = (await li.inspection.customRequest('hyperframe/pageTable', { mode: 'long4', table: '0x110000', level: 4, root: '0x110000' })) as PageTableResult;
    expect(r).toMatchObject({ mode: 'long4', level: 4, table: '0x110000', count: 512, entryBytes: 8, coverage: '0x8000000000' });
    const qemu = await xpTable(T.PML4);
    const present = qemu.flatMap((v, index) => (v !== 0n ? [{ index, raw: `0x${v.toString(16)}` }] : []));
    expect(r.entries.map((e) => ({ index: e.index, raw: e.raw }))).toEqual(present);
    const self = r.entries.find((e) => e.index === 0x1ed)!;
    expect(self).toMatchObject({ raw: '0x110063', kind: 'table', address: '0x110000', selfMap: true, va: '0xfffff68000000000', reserved: '0x0' });
    expect(self.flags).toEqual(['P', 'RW', 'A']); // 0x63: bit 6 is ignored in a non-leaf entry
    const low = r.entries.find((e) => e.index === 0)!;
    expect(low).toMatchObject({ raw: '0x111027', kind: 'table', address: `0x${T.PDPT_LO.toString(16)}`, va: '0x0', flags: ['P', 'RW', 'US', 'A'] });
    expect(low.selfMap).toBeUndefined();
  });

  it('hyperframe/pageTable: a PT with baseVa gives each page its VA (CPU 1 page at 0x40000000)', async () => {
    const r = (await li.inspection.customRequest('hyperframe/pageTable', { mode: 'long4', table: Number(T.PT_AP), level: 1, baseVa: '0x40000000' })) as PageTableResult;
    // By hand (SDM 4.5, table 4-20): 0x8000000000900063 = XD | 0x900000 | D A RW P; PAT/PCD/PWT 0 → PAT entry 0, WB at reset.
    expect(r.entries).toEqual([
      {
        index: 0,
        va: '0x40000000',
        entryPa: `0x${T.PT_AP.toString(16)}`,
        level: 1,
        raw: '0x8000000000900063',
        kind: 'page',
        address: '0x900000',
        pageSize: 4096,
        flags: ['P', 'RW', 'A', 'D', 'XD'],
        fields: { P: 1, RW: 1, US: 0, PWT: 0, PCD: 0, A: 1, D: 1, G: 0, PAT: 0, AVL: 0, AVL_HI: 0, XD: 1 }, // CR4.PKE = 0: no PK field
        reserved: '0x0',
        patIndex: 0,
        memoryType: 'WB',
      },
    ]);
    expect(r.patSource).toBe('reset');
  });

  it('hyperframe/pageTable: all: true lists empty entries too; a 1 GiB leaf and a not-present software value', async () => {
    const pdpt = (await li.inspection.customRequest('hyperframe/pageTable', { mode: 'long4', table: '0x111000', level: 3, all: true })) as PageTableResult;
    expect(pdpt.entries).toHaveLength(512);
    expect(pdpt.entries[3]).toMatchObject({ raw: '0x80000001000010f5', kind: 'page', address: '0x100000000', pageSize: 1 << 30, va: '0xc0000000' });
    expect(pdpt.entries[3].flags).toEqual(['P', 'US', 'PCD', 'A', 'D', 'PS', 'PAT', 'XD']);
    const pd = (await li.inspection.customRequest('hyperframe/pageTable', { mode: 'long4', table: '0x112000', level: 2 })) as PageTableResult;
    expect(pd.entries.find((e) => e.index === 0x1ff)).toMatchObject({ raw: '0xdeadb000', kind: 'not-present', flags: [] });
  });

  it('hyperframe/frame: bytes as base64, and decoded entries with asTable', async () => {
    const f = (await li.inspection.customRequest('hyperframe/frame', { mfn: '0x11d', asTable: { mode: 'long4', level: 4 } })) as FrameResult;
    expect(f.pa).toBe('0x11d000');
    expect(f.bytes).toBe(4096);
    const data = b64(f.data);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const qemu = await xpTable(T.PML4_AP);
    expect(Array.from({ length: 512 }, (_, i) => view.getBigUint64(i * 8, true))).toEqual(qemu);
    expect(f.entries).toHaveLength(512);
    expect(f.entries![0x1ed]).toMatchObject({ raw: '0x11d063', selfMap: true });
    const small = (await li.inspection.customRequest('hyperframe/frame', { pa: 0x100000, bytes: 4 })) as FrameResult;
    expect([...b64(small.data)]).toEqual([0x02, 0xb0, 0xad, 0x1b]);
    expect(small.entries).toBeUndefined();
  });

  it('hyperframe/translate: every step of the walk, the page as QEMU translates it (gva2gpa), per vCPU', async () => {
    // Each vCPU maps 0x40000000 to its own page (long4.expected: CPU 0 → 0x800000, CPU 1 → 0x900000).
    for (const [vcpu, pa] of [
      [0, 0x800123n],
      [1, 0x900123n],
    ] as const) {
      const t = (await li.inspection.customRequest('hyperframe/translate', { va: '0x40000123', vcpu })) as TranslateResult;
      await li.guest.hmp(`cpu ${vcpu}`);
      expect(await li.guest.hmp('gva2gpa 0x40000123')).toMatch(new RegExp(`gpa: 0x0*${pa.toString(16)}\\b`));
      expect(t).toMatchObject({ va: '0x40000123', vcpu, mode: 'long4', root: `0x${EXPECTED.long4smp.cpus[vcpu].root.toString(16)}` });
      expect(t).toMatchObject({ pa: `0x${pa.toString(16)}`, pageSize: 4096, memoryType: 'WB' });
      expect(t.fault).toBeUndefined();
      expect(t.steps.map((s) => s.level)).toEqual([4, 3, 2, 1]);
    }
    const t1 = (await li.inspection.customRequest('hyperframe/translate', { va: '0x40000123', vcpu: 1 })) as TranslateResult;
    expect(t1.steps[3]).toMatchObject({ table: `0x${T.PT_AP.toString(16)}`, index: 0, entryPa: `0x${T.PT_AP.toString(16)}`, entry: { raw: '0x8000000000900063', kind: 'page' } });
    const hole = (await li.inspection.customRequest('hyperframe/translate', { va: '0x7fff0000', vcpu: 1 })) as TranslateResult;
    await li.guest.hmp('cpu 1');
    expect(await li.guest.hmp('gva2gpa 0x7fff0000')).toMatch(/Unmapped/);
    expect(hole.pa).toBeUndefined();
    expect(hole.fault).toMatchObject({ reason: 'not-present' });
  });

  it('hyperframe/translate: the leaf entry read at entryVa (through the recursive slot 0x1ed, by QEMU\'s own walker) is what xp reads at its PA', async () => {
    // Leaves of every size, and the memory type each asks for, by hand from its PAT/PCD/PWT bits
    // (long4.expected: 'pcd pat' = PAT entry 6, 'pwt' = entry 1) under the reset PAT.
    const cases = [
      { vcpu: 0, va: 0xffff_ffff_8000_0012n, size: 4096, memoryType: 'WB' },
      { vcpu: 0, va: 0x1f_1234n, size: 4096, memoryType: 'WT' },
      { vcpu: 0, va: 0x45_6789n, size: 2 << 20, memoryType: 'UC-' },
      { vcpu: 0, va: 0xc123_4567n, size: 1 << 30, memoryType: 'UC-' },
      { vcpu: 1, va: 0x4000_0123n, size: 4096, memoryType: 'WB' },
    ];
    for (const c of cases) {
      const t = (await li.inspection.customRequest('hyperframe/translate', { va: `0x${c.va.toString(16)}`, vcpu: c.vcpu })) as TranslateResult;
      expect(t).toMatchObject({ pageSize: c.size, memoryType: c.memoryType });
      const leaf = t.steps.at(-1)!;
      expect(t.entryVa, `${c.va.toString(16)}`).toMatch(/^0xfffff6/);
      await li.guest.hmp(`cpu ${c.vcpu}`);
      const throughSelfMap = parseXp(await li.guest.hmp(`x /1gx ${t.entryVa}`));
      const atPa = parseXp(await li.guest.hmp(`xp /1gx ${leaf.entryPa}`));
      expect(throughSelfMap).toEqual(atPa);
      expect(atPa).toEqual([BigInt(leaf.entry.raw)]);
      // entryVa lies in the slot's window and names an entry of the leaf's level, at the leaf entry's PA.
      const back = (await li.inspection.customRequest('hyperframe/translate', { va: t.entryVa!, vcpu: c.vcpu })) as TranslateResult;
      expect(back.insideSelfMap).toEqual({ slotVa: '0xfffff68000000000', level: leaf.level });
      expect(back.pa).toBe(leaf.entryPa);
      expect(await li.guest.hmp(`gva2gpa ${t.entryVa}`)).toMatch(new RegExp(`gpa: 0x0*${leaf.entryPa.slice(2)}\\b`));
      expect(t.insideSelfMap).toBeUndefined();
    }
  });

  it('hyperframe/resolve: numbers, registers and arithmetic to a value', async () => {
    const cr3 = (await li.inspection.customRequest('hyperframe/resolve', { expression: '$cr3 + 0x10', vcpu: 1 })) as ResolveResult;
    expect(cr3.value).toBe(`0x${(EXPECTED.long4smp.cpus[1].cr3 + 0x10n).toString(16)}`);
    await expect(li.inspection.customRequest('hyperframe/resolve', {})).rejects.toThrow(/'expression' is required/);
    await expect(li.inspection.customRequest('hyperframe/resolve', { expression: 'no_such_symbol' })).rejects.toThrow(/no_such_symbol/);
  });

  it('errors say what is wrong; other commands are not ours', async () => {
    const req = (cmd: string, args: unknown) => li.inspection.customRequest(cmd, args);
    await expect(req('hyperframe/pageTable', { table: '0x110000' })).rejects.toThrow(/'mode' is required/);
    await expect(req('hyperframe/pageTable', { mode: 'long9', table: '0x110000' })).rejects.toThrow(/unknown paging mode 'long9'/);
    await expect(req('hyperframe/pageTable', { mode: 'long4', table: '0x110008' })).rejects.toThrow(/not 4096-byte aligned/);
    await expect(req('hyperframe/pageTable', { mode: 'long4', table: '0x110000', level: 6 })).rejects.toThrow(/level 6 does not exist in long4/);
    await expect(req('hyperframe/pageTable', { mode: 'long4' })).rejects.toThrow(/'table' is required/);
    await expect(req('hyperframe/pageTable', { mode: 'long4', table: -5 })).rejects.toThrow(/non-negative integer/);
    await expect(req('hyperframe/frame', { pa: '0x1000', mfn: 1 })).rejects.toThrow(/exactly one of 'pa' and 'mfn'/);
    await expect(req('hyperframe/frame', { pa: '0x1000', bytes: 1 << 21 })).rejects.toThrow(/bytes must be 1\.\./);
    await expect(req('hyperframe/frame', { pa: 'zz' })).rejects.toThrow(/bad hyperframe\/frame pa 'zz'/);
    await expect(req('hyperframe/translate', { va: '0x1000', vcpu: 7 })).rejects.toThrow(/vcpu 7 does not exist \(0\.\.1\)/);
    await expect(req('hyperframe/translate', { va: '0x1000', mode: 'long4' })).rejects.toThrow(/give both 'mode' and 'root'/);
    expect(await req('somethingElse', {})).toBeUndefined();
  });
});
