/**
 * Telling a Linux PTI pair of PGDs from a PGD with something else above it. The tables are laid
 * out here the way arch/x86/mm/pti.c and pgtable.c leave them (slots by the x86_64 memory map of
 * Documentation/x86/x86_64/mm.rst: 0–255 user, 273 direct map, 488 vmemmap, 508 cpu_entry_area,
 * 511 kernel image), and each non-PTI case the way a kernel without PTI leaves it.
 */
import { describe, expect, it } from 'vitest';
import { isKptiPair, linuxKptiRoots } from '../../src/paging/kpti';
import { SparseMem } from '../helpers/sparseMem';

const P = 1n;
const RW = 2n;
const US = 4n;
const A = 0x20n;
const XD = 1n << 63n;
const TABLE = P | RW | A;

/** 512 entries from a sparse description. */
function table(entries: Record<number, bigint>): bigint[] {
  return Array.from({ length: 512 }, (_, i) => entries[i] ?? 0n);
}

const user = { 0: 0x7000_000n | TABLE | US, 1: 0x7001_000n | TABLE | US, 255: 0x7002_000n | TABLE | US };
/** The kernel PGD of a process: its user half with NX set (pti_set_user_pgtbl), the whole kernel half. */
const kernelPgd = table({
  ...Object.fromEntries(Object.entries(user).map(([k, v]) => [k, v | XD])),
  273: 0x3000_000n | TABLE,
  488: 0x3100_000n | TABLE,
  508: 0x3200_000n | TABLE,
  511: 0x3300_000n | TABLE,
});
/** Its PTI user copy: the user half without NX (and, here, without A on one entry: the CPU sets A per copy), cpu_entry_area's slot shared, the entry text through a PUD of its own. */
const userPgd = table({ ...user, 1: user[1] & ~A, 508: 0x3200_000n | TABLE, 511: 0x3400_000n | TABLE });

describe('isKptiPair', () => {
  it('a process PGD and its PTI user copy (4-level)', () => {
    expect(isKptiPair(kernelPgd, userPgd, 'long4')).toBe(true);
  });

  it('init_mm: empty user halves, the user copy maps the entry code only', () => {
    const k = table({ 273: 0x3000_000n | TABLE, 508: 0x3200_000n | TABLE, 511: 0x3300_000n | TABLE });
    const u = table({ 508: 0x3200_000n | TABLE, 511: 0x3400_000n | TABLE });
    expect(isKptiPair(k, u, 'long4')).toBe(true);
  });

  it('no: PTI compiled in but off (the page above is zero)', () => {
    expect(isKptiPair(kernelPgd, table({}), 'long4')).toBe(false);
  });

  it('no: a kernel without PTI support, where level3_kernel_pgt follows init_top_pgt', () => {
    const initTop = table({ 273: 0x3000_000n | TABLE, 488: 0x3100_000n | TABLE, 511: 0x2a0_3000n | TABLE });
    const level3KernelPgt = table({ 510: 0x2a0_5000n | TABLE, 511: 0x2a0_6000n | TABLE });
    expect(isKptiPair(initTop, level3KernelPgt, 'long4')).toBe(false);
  });

  it('no: another process\'s PGD in the next page (its user half differs)', () => {
    const other = [...kernelPgd];
    other[0] = 0x7100_000n | TABLE | US;
    expect(isKptiPair(kernelPgd, other, 'long4')).toBe(false);
  });

  it('no: a user copy that maps as much of the kernel as the kernel PGD', () => {
    expect(isKptiPair(kernelPgd, [...kernelPgd], 'long4')).toBe(false);
  });

  it('5-level: the user copy\'s cpu_entry_area goes through a P4D of its own', () => {
    const u = table({ ...user, 508: 0x3500_000n | TABLE, 511: 0x3400_000n | TABLE });
    expect(isKptiPair(kernelPgd, u, 'long5')).toBe(true);
    expect(isKptiPair(kernelPgd, u, 'long4')).toBe(false);
  });
});

describe('linuxKptiRoots', () => {
  const mem = new SparseMem();
  kernelPgd.forEach((v, i) => mem.u64(0x20_000n + BigInt(i) * 8n, v));
  userPgd.forEach((v, i) => mem.u64(0x21_000n + BigInt(i) * 8n, v));

  it('finds the pair from either root, in one read of the 8 KiB allocation', async () => {
    const reads = mem.reads;
    expect(await linuxKptiRoots('long4', 0x20_000n, mem)).toEqual({ kernelRoot: 0x20_000n, userRoot: 0x21_000n });
    expect(mem.reads - reads).toBe(1);
    expect(await linuxKptiRoots('long4', 0x21_000n, mem)).toEqual({ kernelRoot: 0x20_000n, userRoot: 0x21_000n });
  });

  it('none in 32-bit modes, nor where the page above is empty', async () => {
    expect(await linuxKptiRoots('pae', 0x20_000n, mem)).toBeUndefined();
    expect(await linuxKptiRoots('legacy32', 0x20_000n, mem)).toBeUndefined();
    expect(await linuxKptiRoots('long4', 0x40_000n, mem)).toBeUndefined();
  });
});
