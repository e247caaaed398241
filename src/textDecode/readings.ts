/**
 * What a number can mean to someone reading kernel or hypervisor text: a paging-structure entry
 * (64-bit — PAE and long mode share the format — or 32-bit), a virtual address (its index at every
 * level), a Xen P2M value. Each reading as a short line; the hover shows them, the inlay hint uses
 * the entry reading of values that look like entries. Pure.
 */
import { decodeEntry } from '../paging/entry';
import { sizeText } from '../paging/format';
import { memoryType } from '../paging/memoryType';
import { canonicalize, indexAt, isCanonical, type PagingContext, type PagingMode } from '../paging/modes';
import type { DecodedEntry } from '../paging/types';
import { setFlags } from '../paging/format';
import { decodeP2mValue } from '../xen/frameBits';

export type DecodeMode = 'auto' | 'legacy32' | 'pae' | 'long4' | 'long5';

export interface DecodeOptions {
  /** Which reading of an entry to show: `auto` shows the 64-bit and the 32-bit one. */
  mode: DecodeMode;
  /** MAXPHYADDR for reserved-bit checks (default 52). */
  maxPhyAddr: number;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** An entry in one line: what it points at, its flags, what is wrong with it. */
export function entryLine(e: DecodedEntry): string {
  if (e.kind === 'not-present') return e.raw === 0n ? 'not present (empty)' : 'not present (P = 0: a software value, such as a swap entry)';
  const flags = setFlags(e.fields).join(' ');
  const what = e.kind === 'page' ? `${sizeText(e.pageSize ?? 4096n)} page at ${hex(e.address)}` : `table at ${hex(e.address)}`;
  const type = e.kind === 'page' && memoryType(e.fields) ? ` · ${memoryType(e.fields)}` : '';
  const bad = e.reserved ? ` · reserved bits ${hex(e.reserved)} set: a walk faults here` : '';
  return `${what} · ${flags}${type}${bad}`;
}

/** The entry readings of a value: as a PTE, and as a large-page PDE when PS (bit 7) is set. */
export function entryReadings(value: bigint, opts: DecodeOptions): { label: string; text: string }[] {
  const ctx: Partial<PagingContext> = { maxPhyAddr: opts.maxPhyAddr };
  const out: { label: string; text: string }[] = [];
  const ps = (value & 0x80n) !== 0n;
  const wide: PagingMode | undefined = opts.mode === 'auto' ? 'long4' : opts.mode === 'legacy32' ? undefined : opts.mode;
  if (wide) {
    const name = opts.mode === 'auto' ? '64-bit' : opts.mode === 'pae' ? 'PAE' : opts.mode === 'long5' ? '5-level' : '4-level';
    out.push({ label: `${name} PTE`, text: entryLine(decodeEntry(value, wide, 1, ctx)) });
    if (ps && value & 1n) out.push({ label: `${name} PDE`, text: entryLine(decodeEntry(value, wide, 2, ctx)) });
  }
  if ((opts.mode === 'auto' || opts.mode === 'legacy32') && value < 1n << 32n) {
    out.push({ label: '32-bit PTE', text: entryLine(decodeEntry(value, 'legacy32', 1, ctx)) });
    if (ps && value & 1n) out.push({ label: '32-bit PDE', text: entryLine(decodeEntry(value, 'legacy32', 2, ctx)) });
  }
  return out;
}

/** The value as a virtual address: the table index at each level, top first, and the page offset. */
export function vaReadings(value: bigint, opts: DecodeOptions): { label: string; text: string }[] {
  const out: { label: string; text: string }[] = [];
  const walk = (mode: PagingMode, names: string[]): string =>
    names.map((n, i) => `${n} ${indexAt(mode, names.length - i, value)}`).join(' · ') + ` · offset ${hex(value & 0xfffn)}`;
  const want = (m: DecodeMode): boolean => opts.mode === 'auto' || opts.mode === m;
  if (value >= 1n << 32n || opts.mode === 'long4' || opts.mode === 'long5') {
    if (want('long4')) {
      const ok = isCanonical('long4', value);
      out.push({ label: 'VA, 4-level', text: ok ? walk('long4', ['PML4', 'PDPT', 'PD', 'PT']) : `not canonical (bits 63:47 differ; the canonical form is ${hex(canonicalize('long4', value))})` });
    }
    if (want('long5') && (opts.mode === 'long5' || !isCanonical('long4', value)) && isCanonical('long5', value)) {
      out.push({ label: 'VA, 5-level', text: walk('long5', ['PML5', 'PML4', 'PDPT', 'PD', 'PT']) });
    }
  } else {
    if (want('pae')) out.push({ label: 'VA, PAE', text: walk('pae', ['PDPT', 'PD', 'PT']) });
    if (want('legacy32')) out.push({ label: 'VA, 32-bit', text: `PD ${indexAt('legacy32', 2, value)} · PT ${indexAt('legacy32', 1, value)} · offset ${hex(value & 0xfffn)}` });
  }
  return out;
}

/**
 * Frame numbers a P2M value can hold: MAXPHYADDR − 12 bits on 64-bit guests; 32-bit guests (PAE
 * Xen) reach 64 GiB, 24 bits. A flag bit over a larger "frame" is a kernel address, not a P2M value.
 */
const MAX_FRAME_BITS = { 64: 40n, 32: 24n } as const;

/** The value as an entry of Linux's PV P2M (pfn → mfn), for 64- and 32-bit guests where it fits. */
export function p2mReadings(value: bigint): { label: string; text: string }[] {
  const out: { label: string; text: string }[] = [];
  for (const bits of [64, 32] as const) {
    if (bits === 32 && value >= 1n << 32n) continue;
    const v = decodeP2mValue(value, bits);
    if (v.mfn !== undefined && v.mfn >= 1n << MAX_FRAME_BITS[bits]) continue;
    const text =
      v.kind === 'missing'
        ? `INVALID_P2M_ENTRY (~0): the pfn is missing`
        : v.kind === 'identity'
          ? `IDENTITY_FRAME_BIT (bit ${bits - 2}): 1:1, mfn = pfn = ${hex(v.mfn!)} (a non-RAM E820 region)`
          : v.kind === 'foreign'
            ? `FOREIGN_FRAME_BIT (bit ${bits - 1}): a frame granted by another domain, mfn ${hex(v.mfn!)}`
            : undefined;
    // A plain MFN says nothing the entry reading does not: only name the special values.
    if (text) out.push({ label: `Xen P2M, ${bits}-bit`, text });
  }
  return out;
}

/**
 * Whether a value looks like a paging-structure entry rather than any number: present, pointing
 * at a page-aligned frame above the first page, no reserved bit set, bits 62:52 clear (where kernel
 * addresses have ones), and accessed or writable as real entries nearly always are.
 */
export function looksLikeEntry(value: bigint, maxPhyAddr = 52): boolean {
  if ((value & 1n) === 0n || value < 0x1000n || value >= 1n << 64n) return false;
  if ((value >> 52n) & 0x7ffn) return false;
  const e = decodeEntry(value, 'long4', value & 0x80n ? 2 : 1, { maxPhyAddr });
  if (e.reserved !== 0n || e.address === 0n) return false;
  return (value & 0x22n) !== 0n; // A or RW
}

/** The short decode an inlay hint shows after an entry: `P RW A D · 0xfb152000`. */
export function inlayText(value: bigint, maxPhyAddr = 52): string {
  const e = decodeEntry(value, 'long4', value & 0x80n ? 2 : 1, { maxPhyAddr });
  const size = e.kind === 'page' && e.pageSize !== undefined && e.pageSize > 4096n ? ` · ${sizeText(e.pageSize)}` : '';
  return `${setFlags(e.fields).join(' ')} · ${hex(e.address)}${size}`;
}
