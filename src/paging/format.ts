import { hex } from '../util/numbers';
import type { PagingMode } from './modes';
import type { Permissions } from './translate';
import type { DecodedEntry, EntryFields } from './types';

const LEVEL_NAMES: Record<number, string> = { 1: 'PTE', 2: 'PDE', 3: 'PDPTE', 4: 'PML4E', 5: 'PML5E' };

/** The SDM's name for an entry at `level`: PTE, PDE, PDPTE, PML4E, PML5E (EPT: "EPT PDE" …). */
export function entryName(mode: PagingMode, level: number): string {
  const n = LEVEL_NAMES[level] ?? `L${level}E`;
  return mode === 'ept' ? `EPT ${n}` : n;
}

/** Hex digits a value of this mode is written with: 8 for 32-bit entries and VAs, else 16. */
export function digitsFor(mode: PagingMode): number {
  return mode === 'legacy32' ? 8 : 16;
}

export function vaDigits(mode: PagingMode): number {
  return mode === 'legacy32' || mode === 'pae' ? 8 : 16;
}

/** 4096n → "4 KiB", 0x200000n → "2 MiB"; exact, never rounded. */
export function sizeText(bytes: bigint): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (u < units.length - 1 && v >= 1024n && v % 1024n === 0n) {
    v /= 1024n;
    u++;
  }
  return `${v} ${units[u]}`;
}

/** Short page-size tag as kernels write it: 4K, 2M, 1G, 4M. */
export function pageSizeTag(bytes: bigint): string {
  return sizeText(bytes).replace(/ (\w)iB$/, '$1').replace(' bytes', 'B');
}

/** The flag bits that are set, by SDM name, in bit order: "P RW US A D PS G XD". */
export function setFlags(fields: EntryFields): string[] {
  const order: (keyof EntryFields)[] = ['P', 'R', 'W', 'X', 'RW', 'US', 'PWT', 'PCD', 'A', 'D', 'PS', 'G', 'PAT', 'IPAT', 'XU', 'XD', 'SVE'];
  const out: string[] = order.filter((k) => fields[k] === 1);
  if (fields.MT !== undefined) out.push(`MT=${fields.MT}`);
  if (fields.PK) out.push(`PK=${fields.PK}`);
  if (fields.AVL) out.push(`AVL=${fields.AVL}`);
  if (fields.AVL_HI) out.push(`AVL_HI=${hex(fields.AVL_HI)}`);
  return out;
}

/** Effective rights as a fixed-width string: "R W X U G" with '-' for what is denied. */
export function permsText(p: Permissions, global?: boolean): string {
  return [p.read ? 'R' : '-', p.write ? 'W' : '-', p.exec ? 'X' : '-', p.user ? 'U' : '-', global ? 'G' : '-'].join(' ');
}

/** One line for an entry: what it points at and which flags are set. */
export function describeEntry(e: DecodedEntry): string {
  if (e.kind === 'not-present') return e.raw === 0n ? 'not present (empty)' : `not present (software value ${hex(e.raw)})`;
  const target = e.kind === 'table' ? `table at ${hex(e.address)}` : `${sizeText(e.pageSize ?? 4096n)} page at ${hex(e.address)}`;
  const problems = [...(e.reserved ? [`RESERVED bits ${hex(e.reserved)} set`] : []), ...e.problems];
  return [target, setFlags(e.fields).join(' '), ...problems].filter(Boolean).join('  ');
}
