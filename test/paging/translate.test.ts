import { describe, expect, it } from 'vitest';
import { translate } from '../../src/paging';
import { SparseMem } from '../helpers/sparseMem';

// Tables built byte by byte; every expected PA is worked out by hand from the index split the SDM
// gives for each mode (32-bit: 10/10/12, PAE: 2/9/9/12, 4-level: 9/9/9/9/12, 5-level: +9).

describe('translate: 32-bit paging', () => {
  const mem = new SparseMem()
    .u32(0x1000n, 0x2000 | 0x7) // PD[0] → PT at 0x2000, P RW US
    .u32(0x2000n + 5n * 4n, 0x00345000 | 0x181) // PT[5]: VA 0x5000 → 0x345000, RO, supervisor, PAT, G
    .u32(0x1000n + 1n * 4n, 0x00800000 | 0x1083) // PD[1]: 4 MiB page at 0x800000 with PAT
    .u32(0x1000n + 2n * 4n, 0x00c00000 | (0x12 << 13) | 0x83) // PD[2]: PSE-36, PA 0x12_00c00000
    .u32(0x1000n + 4n * 4n, 0x12345678); // PD[4]: not present, a software value
  const spec = { mode: 'legacy32' as const, root: 0x1000n, ctx: { maxPhyAddr: 40 } };

  it('a 4 KiB page: two steps, rights combined', async () => {
    const t = await translate(0x5abcn, spec, mem);
    expect(t.pa).toBe(0x345abcn);
    expect(t.pageSize).toBe(4096n);
    expect(t.steps.map((s) => [s.level, s.tablePa, s.index, s.entryPa])).toEqual([
      [2, 0x1000n, 0, 0x1000n],
      [1, 0x2000n, 5, 0x2014n],
    ]);
    expect(t.perms).toEqual({ read: true, write: false, user: false, exec: true });
  });

  it('a 4 MiB page', async () => {
    const t = await translate(0x00405123n, spec, mem);
    expect(t.pa).toBe(0x805123n);
    expect(t.pageSize).toBe(4n << 20n);
    expect(t.pageVa).toBe(0x400000n);
  });

  it('a PSE-36 page above 4 GiB', async () => {
    expect((await translate(0x00812345n, spec, mem)).pa).toBe(0x12_00c1_2345n);
  });

  it('stops where the entry is not present', async () => {
    const t = await translate(0x01000000n, spec, mem);
    expect(t.pa).toBeUndefined();
    expect(t.fault).toMatchObject({ reason: 'not-present', level: 2 });
    expect(t.steps[0].entry.raw).toBe(0x12345678n);
  });

  it('refuses a VA above 4 GiB', async () => {
    expect((await translate(0x1_0000_0000n, spec, mem)).fault?.reason).toBe('non-canonical');
  });
});

describe('translate: PAE', () => {
  const mem = new SparseMem()
    .u64(0x3020n, 0x4001n) // PDPT (32-byte aligned, not page aligned) [0] → PD 0x4000
    .u64(0x3028n, 0x7003n) // [1]: RW set — reserved in a PDPTE
    .u64(0x4000n, 0x6000n | 0x7n) // PD[0] → PT 0x6000
    .u64(0x6008n, (1n << 63n) | 0x123000n | 0x7n) // PT[1]: VA 0x1000 → 0x123000, XD
    .u64(0x4008n, 0x400000n | 0x1083n) // PD[1]: VA 0x200000 → 2 MiB at 0x400000, PAT
    .u64(0x4010n, 0x600000n | 0x2000n | 0x83n); // PD[2]: bit 13 set: reserved
  const spec = { mode: 'pae' as const, root: 0x3020n };

  it('three steps to a 4 KiB page with XD', async () => {
    const t = await translate(0x1234n, spec, mem);
    expect(t.pa).toBe(0x123234n);
    expect(t.steps.map((s) => [s.level, s.index])).toEqual([[3, 0], [2, 0], [1, 1]]);
    expect(t.steps[0].entryPa).toBe(0x3020n);
    expect(t.perms?.exec).toBe(false);
    expect(t.perms?.user).toBe(true);
  });

  it('a 2 MiB page', async () => {
    const t = await translate(0x2fffffn, spec, mem);
    expect(t.pa).toBe(0x4fffffn);
    expect(t.steps.at(-1)?.entry.fields.PAT).toBe(1);
  });

  it('faults on a reserved bit in a PDPTE and in a 2 MiB PDE', async () => {
    expect((await translate(0x40000000n, spec, mem)).fault).toMatchObject({ reason: 'reserved', level: 3 });
    expect((await translate(0x400000n, spec, mem)).fault).toMatchObject({ reason: 'reserved', level: 2 });
  });
});

describe('translate: 4-level paging', () => {
  const mem = new SparseMem()
    .u64(0x10000n, 0x11000n | 0x7n) // PML4[0] → PDPT 0x11000
    .u64(0x11000n + 8n, 0x80000000n | 0x83n) // PDPT[1]: 1 GiB at 0x80000000, US=0
    .u64(0x11000n, 0x12000n | 0x7n) // PDPT[0] → PD 0x12000
    .u64(0x12000n + 8n, (1n << 63n) | 0xa00000n | 0x87n) // PD[1]: 2 MiB, XD, user
    .u64(0x12000n, 0x13000n | 0x7n) // PD[0] → PT 0x13000
    .u64(0x13000n + 0x10n * 8n, 0x7000n | 0x103n) // PT[0x10]: VA 0x10000 → 0x7000, G
    .u64(0x10000n + 511n * 8n, 0x14000n | 0x3n) // PML4[511] → PDPT 0x14000
    .u64(0x14000n + 510n * 8n, 0x15000n | 0x3n) // PDPT[510] → PD 0x15000
    .u64(0x15000n, 0x1000000n | 0x183n); // PD[0]: 0xffffffff80000000 → 2 MiB at 16 MiB, G
  const spec = { mode: 'long4' as const, root: 0x10000n };

  it('a 4 KiB page through four levels', async () => {
    const t = await translate(0x10fffn, spec, mem);
    expect(t.pa).toBe(0x7fffn);
    expect(t.steps.map((s) => s.index)).toEqual([0, 0, 0, 0x10]);
    expect(t.perms).toEqual({ read: true, write: true, user: false, exec: true }); // the PTE has US=0
  });

  it('a 1 GiB page: user rights removed by the leaf', async () => {
    const t = await translate(0x7fffffffn, spec, mem);
    expect(t.pa).toBe(0xbfffffffn);
    expect(t.pageSize).toBe(1n << 30n);
    expect(t.perms?.user).toBe(false);
  });

  it('a 2 MiB XD page', async () => {
    const t = await translate(0x234567n, spec, mem);
    expect(t.pa).toBe(0xa34567n);
    expect(t.perms?.exec).toBe(false);
  });

  it('the kernel half: 0xffffffff80001234', async () => {
    const t = await translate(0xffffffff80001234n, spec, mem);
    expect(t.steps.map((s) => s.index)).toEqual([511, 510, 0]);
    expect(t.pa).toBe(0x1001234n);
    expect(t.pageVa).toBe(0xffffffff80000000n);
  });

  it('non-canonical addresses stop before any read', async () => {
    const fresh = new SparseMem();
    const t = await translate(0x0000800000000000n, spec, fresh);
    expect(t.fault?.reason).toBe('non-canonical');
    expect(fresh.reads).toBe(0);
  });
});

describe('translate: 5-level paging', () => {
  // PML5[1] → PML4 0x21000 → [0] PDPT 0x22000 → [0] PD 0x23000 → [0] 2 MiB at 0x400000.
  // PML5[511] covers 0xffff000000000000; index 256 would be 0xff00000000000000 (bit 56 set).
  const mem = new SparseMem()
    .u64(0x20000n + 8n, 0x21000n | 3n)
    .u64(0x21000n, 0x22000n | 3n)
    .u64(0x22000n, 0x23000n | 3n)
    .u64(0x23000n, 0x400000n | 0x83n)
    .u64(0x20000n + 511n * 8n, 0x21000n | 3n);
  const spec = { mode: 'long5' as const, root: 0x20000n };

  it('an address needing bit 48', async () => {
    const t = await translate(0x0001_0000_0000_1234n, spec, mem);
    expect(t.steps.map((s) => [s.level, s.index])).toEqual([[5, 1], [4, 0], [3, 0], [2, 0]]);
    expect(t.pa).toBe(0x401234n);
  });

  it('a high address through PML5[511]', async () => {
    expect((await translate(0xffff_0000_0000_0042n, spec, mem)).pa).toBe(0x400042n);
    expect((await translate(0xff00_0000_0000_0042n, spec, mem)).fault).toMatchObject({ reason: 'not-present', level: 5 });
  });

  it('48-bit canonical is not 57-bit canonical', async () => {
    expect((await translate(0xffff_8000_0000_0000n, spec, mem)).fault?.reason).toBe('not-present');
    expect((await translate(0x0100_0000_0000_0000n, spec, mem)).fault?.reason).toBe('non-canonical');
  });
});

describe('translate: a table the source cannot read', () => {
  it('stops there, keeping the steps so far', async () => {
    const mem = new SparseMem(true).u64(0x10000n, 0x11000n | 3n); // PDPT 0x11000 does not exist
    const t = await translate(0x1000n, { mode: 'long4', root: 0x10000n }, mem);
    expect(t.steps.map((s) => s.level)).toEqual([4]);
    expect(t.fault).toMatchObject({ reason: 'unreadable', level: 3 });
    expect(t.fault?.message).toMatch(/level-3 table at 0x11000 cannot be read: no memory at 0x11000/);
  });
});
