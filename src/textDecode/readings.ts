/**
 * What a number can mean to someone reading kernel or hypervisor text: a paging-structure entry
 * (64-bit — PAE and long mode share the format — or 32-bit), a virtual address (its index at every
 * level), a Xen P2M value. Each reading is one short line; the hover shows them. Pure.
 */
import { decodeEntry } from '../paging/entry';
import { setFlags, sizeText } from '../paging/format';
import { memoryType } from '../paging/memoryType';
import { canonicalize, type CpuPagingMode, indexAt, isCanonical, type PagingContext, type PagingMode } from '../paging/modes';
import type { DecodedEntry } from '../paging/types';
import { hex } from '../util/numbers';
import { decodeP2mValue } from '../xen/frameBits';

export type DecodeMode = 'auto' | CpuPagingMode;

export interface DecodeOptions {
  /** Which readings to show: `auto` shows every mode's. */
  mode: DecodeMode;
  /** MAXPHYADDR for reserved-bit checks (default 52). */
  maxPhyAddr: number;
}

export interface Reading {
  label: string;
  text: string;
}

const PS = 0x80n;
const U32 = 1n << 32n;

/** The mode whose 64-bit format reads an entry: long4 for `auto` (PAE differs only in reserved high bits). */
export function entryMode(mode: DecodeMode): PagingMode {
  return mode === 'auto' ? 'long4' : mode;
}

/** Decoding context for a mode: 32-bit paging reaches 40 physical bits at most (PSE-36). */
export function decodeContext(mode: PagingMode, maxPhyAddr: number): Partial<PagingContext> {
  return { maxPhyAddr: mode === 'legacy32' ? Math.min(maxPhyAddr, 40) : maxPhyAddr };
}

/** An entry in one line: what it points at, its flags, its memory type, what is wrong with it. */
export function entryLine(e: DecodedEntry, note = ''): string {
  if (e.kind === 'not-present') return e.raw === 0n ? 'not present (empty)' : 'not present (P = 0: a software value, such as a swap entry)';
  const flags = setFlags(e.fields).join(' ');
  const what = e.kind === 'page' ? `${sizeText(e.pageSize ?? 4096n)} page at ${hex(e.address)}${note}` : `table at ${hex(e.address)}`;
  const type = e.kind === 'page' ? memoryType(e.fields) : undefined;
  const bad = e.reserved ? ` · reserved bits ${hex(e.reserved)} set: a walk faults here` : '';
  return `${what} · ${flags}${type ? ` · ${type}` : ''}${bad}`;
}

const WIDE_NAMES: Record<DecodeMode, string> = { auto: '64-bit', legacy32: '32-bit', pae: 'PAE', long4: '4-level', long5: '5-level' };

/**
 * The entry readings of a value: as a PTE, and — when PS (bit 7) is set — as a large-page PDE
 * (saying so when the same value is also a valid 1 GiB PDPTE), in the 64-bit format and, for
 * values that fit, the 32-bit one.
 */
export function entryReadings(value: bigint, opts: DecodeOptions): Reading[] {
  const out: Reading[] = [];
  const large = (value & PS) !== 0n && (value & 1n) !== 0n;
  if (opts.mode !== 'legacy32') {
    const mode = entryMode(opts.mode);
    const ctx = decodeContext(mode, opts.maxPhyAddr);
    const name = WIDE_NAMES[opts.mode];
    out.push({ label: `${name} PTE`, text: entryLine(decodeEntry(value, mode, 1, ctx)) });
    if (large) {
      // A PDPTE maps 1 GiB in long mode only; its bits 29:13 must be clear.
      const gib = mode !== 'pae' && decodeEntry(value, mode, 3, ctx).reserved === 0n;
      out.push({ label: `${name} PDE`, text: entryLine(decodeEntry(value, mode, 2, ctx), gib ? ' (1 GiB as a PDPTE)' : '') });
    }
  }
  if ((opts.mode === 'auto' || opts.mode === 'legacy32') && value < U32) {
    const ctx = decodeContext('legacy32', opts.maxPhyAddr);
    out.push({ label: '32-bit PTE', text: entryLine(decodeEntry(value, 'legacy32', 1, ctx)) });
    if (large) out.push({ label: '32-bit PDE', text: entryLine(decodeEntry(value, 'legacy32', 2, ctx)) });
  }
  return out;
}

const LEVEL_NAMES: Record<number, string> = { 5: 'PML5', 4: 'PML4', 3: 'PDPT', 2: 'PD', 1: 'PT' };

/** `PML4 262 · PDPT 0 · PD 0 · PT 0 · offset 0x0`: the table index at each level, top first. */
function indices(mode: PagingMode, top: number, va: bigint): string {
  const parts: string[] = [];
  for (let level = top; level >= 1; level--) parts.push(`${LEVEL_NAMES[level]} ${indexAt(mode, level, va)}`);
  return `${parts.join(' · ')} · offset ${hex(va & 0xfffn)}`;
}

function half(va: bigint): string {
  return va >> 63n ? 'upper half' : 'lower half';
}

/**
 * The value as a virtual address: 4-level and 5-level indices with whether the address is
 * canonical, and for 32-bit values the PAE and 32-bit indices. The setting's mode alone when set.
 */
export function vaReadings(value: bigint, opts: DecodeOptions): Reading[] {
  const want = (m: DecodeMode): boolean => opts.mode === 'auto' || opts.mode === m;
  const out: Reading[] = [];
  const canon4 = isCanonical('long4', value);
  if (want('long4')) {
    const text = canon4
      ? `${indices('long4', 4, value)} · canonical (${half(value)})`
      : `not canonical in 4-level paging (bits 63:47 differ; canonical form ${hex(canonicalize('long4', value))})`;
    out.push({ label: 'VA, 4-level', text });
  }
  if (want('long5')) {
    let text: string;
    if (!isCanonical('long5', value)) text = `not canonical in 5-level paging either (bits 63:56 differ; canonical form ${hex(canonicalize('long5', value))})`;
    else if (canon4 && opts.mode === 'auto') text = `PML5 ${indexAt('long5', 5, value)}, then as in 4-level paging`;
    else text = `${indices('long5', 5, value)} · canonical (${half(value)})`;
    out.push({ label: 'VA, 5-level', text });
  }
  if (value < U32) {
    if (want('pae')) out.push({ label: 'VA, PAE', text: indices('pae', 3, value) });
    if (want('legacy32')) out.push({ label: 'VA, 32-bit', text: indices('legacy32', 2, value) });
  } else if (opts.mode === 'pae' || opts.mode === 'legacy32') {
    out.push({ label: `VA, ${WIDE_NAMES[opts.mode]}`, text: 'above 4 GiB: not a 32-bit address' });
  }
  return out;
}

/**
 * Frame numbers a P2M value can hold: MAXPHYADDR − 12 bits on 64-bit guests; 32-bit guests (PAE
 * Xen) reach 64 GiB, 24 bits. A flag bit over a larger "frame" is a kernel address, not a P2M value.
 */
const MAX_FRAME_BITS = { 64: 40n, 32: 24n } as const;

/**
 * The value as an entry of Linux's PV P2M (pfn → mfn) on 64- and 32-bit guests (Linux
 * arch/x86/include/asm/xen/page.h): only the special values, INVALID_P2M_ENTRY and frames with
 * IDENTITY_FRAME_BIT or FOREIGN_FRAME_BIT set; a plain MFN says nothing the entry reading does not.
 */
export function p2mReadings(value: bigint): Reading[] {
  const out: Reading[] = [];
  for (const bits of [64, 32] as const) {
    if (bits === 32 && value >= U32) continue;
    const v = decodeP2mValue(value, bits);
    if (v.mfn !== undefined && v.mfn >= 1n << MAX_FRAME_BITS[bits]) continue;
    const text =
      v.kind === 'missing'
        ? 'INVALID_P2M_ENTRY (~0): the pfn is missing'
        : v.kind === 'identity'
          ? `IDENTITY_FRAME_BIT (bit ${bits - 2}): 1:1, mfn = pfn = ${hex(v.mfn!)} (a non-RAM E820 region)`
          : v.kind === 'foreign'
            ? `FOREIGN_FRAME_BIT (bit ${bits - 1}): a frame granted by another domain, mfn ${hex(v.mfn!)}`
            : undefined;
    if (text) out.push({ label: `Xen P2M, ${bits}-bit`, text });
  }
  return out;
}
