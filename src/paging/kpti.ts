import type { PhysMem } from '../memory/physMem';
import type { PagingMode } from './modes';
import { allEntries } from './tables';

/**
 * Linux's page-table isolation (KPTI, `pti=on`, or by default on CPUs affected by Meltdown) gives
 * every top-level table (PGD) a user-mode copy in the page just above it: PGDs are 8 KiB,
 * 8 KiB-aligned allocations, CR3 holds the kernel PGD in kernel mode and PGD | 0x1000 in user mode.
 *
 * Whether a guest does this cannot be read from a register, so it is decided from the two tables
 * themselves, by what PTI guarantees (arch/x86/mm/pti.c) and nothing else produces:
 * 1. the user halves (slots 0–255) are equal — every user-half entry written to the kernel PGD is
 *    written to the user copy too (`pti_set_user_pgtbl`) — ignoring XD, which Linux sets on the
 *    kernel copy only, and A, which the CPU sets in each copy on its own;
 * 2. the user copy's kernel half maps something (the entry trampoline, `cpu_entry_area`), but less
 *    than the kernel's half does (no direct map, no vmalloc, no kernel image);
 * 3. with 4-level paging that something includes the `cpu_entry_area` slot, whose PGD entry is the
 *    kernel's own (`pti_clone_p4d` copies it); with 5-level the copy gets a P4D of its own.
 * Without PTI the page above a PGD is zero (Linux built with PTI support still allocates 8 KiB)
 * or unrelated memory; a page table next to the PGD (a kernel without PTI support keeps
 * `level3_kernel_pgt` right after `init_top_pgt`) fails 3, and any other process's PGD fails 1.
 */
export interface KptiRoots {
  kernelRoot: bigint;
  userRoot: bigint;
}

/** XD and A: the bits in which the two copies of a user-half entry may differ. */
const COPY_MAY_DIFFER = (1n << 63n) | (1n << 5n);
const KERNEL_HALF = 256;

function sameEntry(a: bigint, b: bigint): boolean {
  return (a & ~COPY_MAY_DIFFER) === (b & ~COPY_MAY_DIFFER);
}

/** Whether `user` is the PTI user copy of `kernel` (two top-level tables of 512 entries each). */
export function isKptiPair(kernel: readonly bigint[], user: readonly bigint[], mode: 'long4' | 'long5'): boolean {
  for (let i = 0; i < KERNEL_HALF; i++) if (!sameEntry(kernel[i], user[i])) return false;
  let userMaps = 0;
  let kernelMaps = 0;
  let shared = 0;
  for (let i = KERNEL_HALF; i < 512; i++) {
    if (kernel[i] & 1n) kernelMaps++;
    if (!(user[i] & 1n)) continue;
    userMaps++;
    if (sameEntry(kernel[i], user[i])) shared++;
  }
  if (userMaps === 0 || userMaps >= kernelMaps) return false;
  return mode === 'long5' || shared > 0;
}

/**
 * The kernel and user roots of a Linux PTI pair that `root` (CR3's root, either of the two)
 * belongs to, or undefined when the tables show no such pair. Long modes only: PTI is x86_64's.
 */
export async function linuxKptiRoots(mode: PagingMode, root: bigint, mem: PhysMem): Promise<KptiRoots | undefined> {
  if (mode !== 'long4' && mode !== 'long5') return undefined;
  const kernelRoot = root & ~0x1000n;
  const userRoot = root | 0x1000n;
  const both = await mem.read(kernelRoot, 8192); // one read: the pair is one 8 KiB allocation
  return isKptiPair(allEntries(both.subarray(0, 4096), mode), allEntries(both.subarray(4096), mode), mode) ? { kernelRoot, userRoot } : undefined;
}
