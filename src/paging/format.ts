import { hex } from '../util/numbers';
import type { DecodedEptp } from './ept';
import type { PagingMode } from './modes';
import type { LeafEvent, MappedRange, WalkEvent } from './mappings';
import type { Permissions } from './translate';
import { type TranslationReport, windowEnd } from './translationReport';
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

/** Every step of a translation as `translate` prints it (CLI and Debug Console alike), then what else the tables say. */
export function translationLines(r: TranslationReport, mode: PagingMode, root: bigint): string[] {
  const t = r.translation;
  const out = [`VA ${hex(t.va, vaDigits(mode))}  ${mode}, root ${hex(root)}`];
  for (const s of t.steps) {
    const name = entryName(mode, s.level).padEnd(9);
    out.push(`  ${name} at ${hex(s.entryPa)} [${String(s.index).padStart(4)}]  ${hex(s.entry.raw, digitsFor(mode))}  ${describeEntry(s.entry)}`);
  }
  const last = t.steps.at(-1);
  if (t.pa !== undefined) {
    const g = last?.entry.fields.G === 1;
    out.push(`PA ${hex(t.pa)}  (${sizeText(t.pageSize!)} page at ${hex(t.pa - (t.va - t.pageVa!))}; ${permsText(t.perms!, g)})`);
    if (r.pfn !== undefined) out.push(`  PFN ${hex(r.pfn)}; ${memoryTypeText(r)}`);
  } else {
    out.push(`no translation: ${t.fault?.message}`);
  }
  if (r.entryVa !== undefined && r.entryVaSlot && last) {
    const which = t.pa !== undefined ? '' : ' (the entry that stopped the walk)';
    out.push(`  ${entryName(mode, last.level)}${which} readable at VA ${hex(r.entryVa, vaDigits(mode))} through the self-map slot ${slotText(r.entryVaSlot.slot)}`);
  }
  if (r.insideSelfMap) {
    const { slot, level } = r.insideSelfMap;
    const window = `${hex(slot.windowVa, vaDigits(mode))}-${hex(windowEnd(slot, mode), vaDigits(mode))}`;
    out.push(`note: VA lies in the window of self-map slot ${slotText(slot.slot)} (${window}): it names a ${entryName(mode, level)}, not data`);
  }
  return out;
}

/** `493 (0x1ed)`: a slot as tables print indexes, and as people write it. */
function slotText(slot: number): string {
  return `${slot} (${hex(BigInt(slot))})`;
}

/** The memory type a leaf asks for, and under which PAT. */
function memoryTypeText(r: TranslationReport): string {
  if (r.memoryType === undefined) return r.patIndex === undefined ? 'memory type unknown' : `PAT entry ${r.patIndex} holds a reserved type`;
  if (r.patIndex === undefined) return `memory type ${r.memoryType} (EPT's MT)`;
  const pat = r.patSource === 'guest' ? "under the guest's IA32_PAT" : "IA32_PAT taken at its reset value, the guest's is not known";
  return `memory type ${r.memoryType} (PAT entry ${r.patIndex}; ${pat}; MTRRs may still override)`;
}

/** Column heads of `walk`'s merged ranges. */
export function rangeHeader(mode: PagingMode): string {
  return `${'VA'.padEnd(vaDigits(mode) * 2 + 5)}  ${'PA'.padEnd(18)}  ${'size'.padStart(10)}  flags      pages`;
}

export function rangeLine(r: MappedRange, mode: PagingMode): string {
  const d = vaDigits(mode);
  return `${hex(r.va, d)}-${hex(r.va + r.size - 1n, d)}  ${hex(r.pa, 16)}  ${sizeText(r.size).padStart(10)}  ${permsText(r.perms, r.global)}  ${r.pages} x ${pageSizeTag(r.pageSize)}`;
}

export function leafLine(l: LeafEvent, mode: PagingMode): string {
  return `${hex(l.va, vaDigits(mode))}  ${hex(l.pa, 16)}  ${pageSizeTag(l.size).padStart(4)}  ${permsText(l.perms, l.entry.fields.G === 1)}  ${entryName(mode, l.level)} ${hex(l.entry.raw, 16)}`;
}

/** What a shared line adds when the walk did not walk the subtree again. */
export const NOT_WALKED = 'not walked again (re-walk budget spent)';

/** The line `walk` prints for a self-map, a shared table, an unreadable table or a faulting entry. */
export function walkNoteLine(e: WalkEvent, mode: PagingMode): string | undefined {
  const d = vaDigits(mode);
  if (e.kind === 'selfMap') return `self-map  ${hex(e.va, d)}-${hex(e.va + e.size - 1n, d)}  ${entryName(mode, e.level)} ${hex(e.entry.raw, 16)} -> table ${hex(e.targetPa)} (serves at level ${e.targetLevel}); not descended`;
  if (e.kind === 'shared') return `shared    ${hex(e.va, d)}  level-${e.level} table ${hex(e.tablePa)} also reached from ${hex(e.firstVa, d)}${e.notWalked !== undefined ? `; ${NOT_WALKED}` : ''}`;
  if (e.kind === 'unreadable') return `unread    ${hex(e.va, d)}-${hex(e.va + e.size - 1n, d)}  level-${e.level} table ${hex(e.tablePa)}: ${e.message}`;
  if (e.kind === 'bad') return `fault     ${hex(e.va, d)}-${hex(e.va + e.size - 1n, d)}  ${entryName(mode, e.level)} ${hex(e.entry.raw, 16)}: ${e.message}`;
  return undefined;
}

const FIELD_ORDER = ['P', 'R', 'W', 'X', 'RW', 'US', 'PWT', 'PCD', 'A', 'D', 'PS', 'G', 'PAT', 'MT', 'IPAT', 'XU', 'AVL', 'AVL_HI', 'PK', 'XD', 'SVE'] as const;

/** Fields in the order `decode` lists them. */
export const ENTRY_FIELD_ORDER: readonly (keyof EntryFields)[] = FIELD_ORDER;

/** One decoded entry as `decode --mode M` prints it: what it is, every field, the set flags. */
export function entryLines(e: DecodedEntry): string[] {
  const out = [`${e.mode} ${entryName(e.mode, e.level)} (level ${e.level}) ${hex(e.raw, digitsFor(e.mode))}: ${describeEntry(e)}`];
  if (e.kind === 'not-present') return out;
  const f = e.fields as Record<string, number | undefined>;
  out.push('  ' + FIELD_ORDER.filter((k) => f[k] !== undefined).map((k) => `${k}=${f[k]}`).join(' '));
  out.push(`  address ${hex(e.address)}${e.pageSize ? ` (${e.kind} of ${e.pageSize} bytes)` : ' (next table)'}; set: ${setFlags(e.fields).join(' ') || 'none'}`);
  return out;
}

/**
 * The line `decode` (and the Debug Console's `decode`/`pte`) prints when the user gave no level:
 * which level `entryLevel` read the value at, and why.
 */
export function levelGuessLine(mode: PagingMode, raw: bigint, level: number): string {
  const ps = (raw >> 7n) & 1n;
  const why = ps ? `PS (bit 7) is set: read as a large page's ${entryName(mode, level)}` : `PS (bit 7) is clear: read as a ${entryName(mode, level)}`;
  return `level guessed: ${level} (${why}; --level N reads it at another level)`;
}

/** An EPT pointer as `decode --mode eptp` prints it: one summary line, then each problem. */
export function eptpLines(d: DecodedEptp): string[] {
  const ad = `A/D ${d.accessedDirty ? 'enabled' : 'disabled'}${d.sssEnforced ? ', supervisor shadow stacks enforced' : ''}`;
  return [`EPTP ${hex(d.raw, 16)}: root ${hex(d.root)}, ${d.levels}-level walk, memory type ${d.memoryType} (${d.memoryTypeName}), ${ad}`, ...d.problems.map((p) => `  ! ${p}`)];
}
