import { describe, expect, it } from 'vitest';
import { decodeEntry } from '../../src/paging';

// Expected values worked out by hand from the Intel SDM, vol. 3A, tables 4-4..4-6 (32-bit),
// 4-8..4-11 (PAE) and 4-15..4-20 (4-level).

describe('decodeEntry: 32-bit paging', () => {
  it('a 4 KiB PTE: PAT is bit 7, G bit 8', () => {
    // 0x00345181 = address 0x345000 | G (0x100) | PAT (0x80) | P
    const e = decodeEntry(0x00345181n, 'legacy32', 1);
    expect(e.kind).toBe('page');
    expect(e.address).toBe(0x345000n);
    expect(e.pageSize).toBe(4096n);
    expect(e.fields).toMatchObject({ P: 1, RW: 0, US: 0, PAT: 1, G: 1, D: 0, A: 0 });
  });

  it('a 4 MiB PDE with PSE-36 bits 20:13 giving PA bits 39:32', () => {
    // bits 20:13 = 0x12 → PA[39:32] = 0x12; bits 31:22 = 0x00c00000; PAT at bit 12
    const raw = 0x00c00000n | (0x12n << 13n) | 0x1000n | 0x83n;
    const e = decodeEntry(raw, 'legacy32', 2, { maxPhyAddr: 40 });
    expect(e.kind).toBe('page');
    expect(e.pageSize).toBe(4n << 20n);
    expect(e.address).toBe(0x12_00c0_0000n);
    expect(e.fields).toMatchObject({ P: 1, RW: 1, PS: 1, PAT: 1 });
    expect(e.reserved).toBe(0n);
  });

  it('PSE-36 bits beyond MAXPHYADDR and bit 21 are reserved', () => {
    const raw = 0x00c00000n | (0x12n << 13n) | 0x83n; // 0x12 sets PA bit 36 → PDE bit 17
    expect(decodeEntry(raw, 'legacy32', 2, { maxPhyAddr: 36 }).reserved).toBe(1n << 17n);
    expect(decodeEntry(0x00c00000n | (1n << 21n) | 0x83n, 'legacy32', 2).reserved).toBe(1n << 21n);
  });

  it('without CR4.PSE bit 7 of a PDE is ignored: it points at a page table', () => {
    const e = decodeEntry(0x00c00083n, 'legacy32', 2, { pse: false });
    expect(e.kind).toBe('table');
    expect(e.address).toBe(0x00c00000n);
  });

  it('a not-present entry keeps its raw value (a swap entry)', () => {
    const e = decodeEntry(0x12345678n, 'legacy32', 1);
    expect(e.kind).toBe('not-present');
    expect(e.raw).toBe(0x12345678n);
    expect(e.fields).toEqual({ P: 0 });
  });
});

describe('decodeEntry: PAE (entries from the FreeBSD-on-Xen dump in the xen-devel post “PAE guest address maps?”)', () => {
  it('0x00fb14e067 in a page directory: a page table at 0xfb14e000, P RW US A', () => {
    const e = decodeEntry(0x00fb14e067n, 'pae', 2);
    expect(e.kind).toBe('table');
    expect(e.address).toBe(0xfb14e000n);
    expect(e.fields).toMatchObject({ P: 1, RW: 1, US: 1, A: 1, PS: 0, PWT: 0, PCD: 0 });
    expect(e.fields.D).toBeUndefined(); // bit 6 is ignored in a non-leaf PDE
  });

  it('0x0001a001e3: a global, writable, supervisor 2 MiB page at 0x1a00000', () => {
    const e = decodeEntry(0x0001a001e3n, 'pae', 2);
    expect(e.kind).toBe('page');
    expect(e.pageSize).toBe(2n << 20n);
    expect(e.address).toBe(0x1a00000n);
    expect(e.fields).toMatchObject({ P: 1, RW: 1, US: 0, A: 1, D: 1, PS: 1, G: 1, PAT: 0, XD: 0 });
  });

  it('0x00fbc000e1: the read-only machine-to-phys mapping, 2 MiB at 0xfbc00000', () => {
    const e = decodeEntry(0x00fbc000e1n, 'pae', 2);
    expect(e.address).toBe(0xfbc00000n);
    expect(e.fields).toMatchObject({ P: 1, RW: 0, US: 0, A: 1, D: 1, PS: 1, G: 0 });
  });

  it('a PDPTE has only P, PWT, PCD: RW there is a reserved bit', () => {
    expect(decodeEntry(0xfb152001n, 'pae', 3)).toMatchObject({ kind: 'table', address: 0xfb152000n, reserved: 0n });
    expect(decodeEntry(0xfb152003n, 'pae', 3).reserved).toBe(2n);
    expect(decodeEntry(0xfb152041n, 'pae', 3).reserved).toBe(0x40n);
  });

  it("a PDPTE with bit 5 set, as QEMU's walker leaves it (0x111021), still walks", () => {
    expect(decodeEntry(0x111021n, 'pae', 3)).toMatchObject({ kind: 'table', address: 0x111000n, reserved: 0n, fields: { A: 1 } });
  });

  it('XD is bit 63 with EFER.NXE, a reserved bit without it', () => {
    const raw = (1n << 63n) | 0x123003n;
    expect(decodeEntry(raw, 'pae', 1).fields.XD).toBe(1);
    expect(decodeEntry(raw, 'pae', 1, { nxe: false }).reserved).toBe(1n << 63n);
  });

  it('a 2 MiB PDE with bit 13 set has a reserved bit', () => {
    expect(decodeEntry(0x602083n, 'pae', 2).reserved).toBe(0x2000n);
  });
});

describe('decodeEntry: 4- and 5-level paging', () => {
  it('a 1 GiB PDPTE: PAT at bit 12, address bits 51:30', () => {
    const raw = 0x0000_0001_4000_1000n | 0x183n; // PA 0x140000000, PAT, G, PS, RW, P
    const e = decodeEntry(raw, 'long4', 3);
    expect(e).toMatchObject({ kind: 'page', pageSize: 1n << 30n, address: 0x1_4000_0000n, reserved: 0n });
    expect(e.fields).toMatchObject({ PAT: 1, G: 1, PS: 1 });
  });

  it('bits 29:13 of a 1 GiB page are reserved', () => {
    expect(decodeEntry(0x4000_2083n, 'long4', 3).reserved).toBe(0x2000n);
  });

  it('PS in a PML4E is reserved; in a PML5E too', () => {
    expect(decodeEntry(0x1083n, 'long4', 4).reserved).toBe(0x80n);
    expect(decodeEntry(0x1083n, 'long5', 5).reserved).toBe(0x80n);
  });

  it('address bits at or above MAXPHYADDR are reserved', () => {
    const raw = (1n << 46n) | 0x5000n | 3n;
    expect(decodeEntry(raw, 'long4', 1, { maxPhyAddr: 46 }).reserved).toBe(1n << 46n);
    expect(decodeEntry(raw, 'long4', 1, { maxPhyAddr: 52 }).reserved).toBe(0n);
  });

  it('protection key in bits 62:59 and software bits elsewhere', () => {
    const raw = (1n << 63n) | (5n << 59n) | (3n << 52n) | (5n << 9n) | 0xabc000n | 0x1e7n;
    const e = decodeEntry(raw, 'long4', 1);
    expect(e.fields).toMatchObject({ PK: 5, XD: 1, AVL: 5, AVL_HI: 3, G: 1, PAT: 1, D: 1, A: 1, US: 1, RW: 1, P: 1 });
    expect(e.address).toBe(0xabc000n);
  });

  it('PWT and PCD', () => {
    expect(decodeEntry(0x1019n, 'long4', 1).fields).toMatchObject({ PWT: 1, PCD: 1, RW: 0 });
  });
});
