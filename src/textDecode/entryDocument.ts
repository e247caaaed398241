/**
 * The text of Decode Entry's document: one entry, every field with its bits, its value and what
 * it means, then the memory type and the reserved bits. Pure.
 */
import { entryName, ENTRY_FIELD_ORDER } from '../paging/format';
import { addressBits, bitRanges, fieldBits } from '../paging/fieldBits';
import { memoryType, patIndex } from '../paging/memoryType';
import type { DecodedEntry, EntryFields } from '../paging/types';
import { hex } from '../util/numbers';
import { entryLine } from './readings';

/** What a one-bit field means when set and when clear ('' where clear says nothing). */
const MEANING: Partial<Record<keyof EntryFields, [set: string, clear: string]>> = {
  P: ['present', 'not present'],
  RW: ['writes allowed', 'read-only'],
  US: ['user and supervisor', 'supervisor only'],
  PWT: ['write-through', ''],
  PCD: ['cache disabled', ''],
  A: ['accessed', ''],
  D: ['dirty', ''],
  PS: ['maps a page', 'points to a table'],
  G: ['global: kept across CR3 loads', ''],
  PAT: ['selects PAT entries 4-7', ''],
  XD: ['no instruction fetch', 'execute allowed'],
  R: ['reads allowed', ''],
  W: ['writes allowed', ''],
  X: ['supervisor fetches allowed', ''],
  XU: ['user fetches allowed', ''],
  IPAT: ['ignores the guest PAT', ''],
  SVE: ['suppresses #VE', ''],
};
const MULTI_BIT: Partial<Record<keyof EntryFields, string>> = { AVL: 'ignored: free for software', AVL_HI: 'ignored: free for software', PK: 'protection key (CR4.PKE)', MT: 'EPT memory type' };

const IA32_PAT_AT_RESET = 'WB WT UC- UC WB WT UC- UC';

function row(bits: string, field: string, value: string, meaning: string): string {
  return `${bits.padEnd(8)}${field.padEnd(9)}${value.padEnd(20)}${meaning}`.trimEnd();
}

/** Every line of the document for `e`, decoded with MAXPHYADDR `maxPhyAddr`. */
export function entryDocument(e: DecodedEntry, maxPhyAddr: number): string[] {
  const digits = e.mode === 'legacy32' ? 8 : 16;
  const out = [`${hex(e.raw, digits)} as a ${e.mode} ${entryName(e.mode, e.level)} (level ${e.level})`, entryLine(e), ''];
  if (e.kind === 'not-present') {
    out.push(e.mode === 'ept' ? 'R, W and X (bits 2:0) are clear: the CPU ignores every other bit.' : 'P (bit 0) is clear: the CPU ignores every other bit; software may keep anything there (Linux: swap entries).');
    return out;
  }
  out.push(row('bits', 'field', 'value', 'meaning'));
  const fields = e.fields as Record<string, number | undefined>;
  const fieldRows = ENTRY_FIELD_ORDER.filter((k) => fields[k] !== undefined).map((k) => {
    const v = fields[k]!;
    const multi = MULTI_BIT[k];
    const meaning = multi ? (k === 'MT' ? `${multi}: ${memoryType(e.fields) ?? 'reserved encoding'}` : multi) : (MEANING[k]?.[v ? 0 : 1] ?? '');
    return { bits: fieldBits(e, k), line: row(fieldBits(e, k), k, k === 'AVL_HI' && v > 9 ? hex(v) : String(v), meaning) };
  });
  const address = addressBits(e, maxPhyAddr).map((bits, i) => ({
    bits,
    line: row(bits, i === 0 ? 'address' : '', i === 0 ? hex(e.address) : '', i === 0 ? (e.kind === 'table' ? 'next table' : 'page frame') : 'physical-address bits 39:32 (PSE-36)'),
  }));
  // In bit order, low first, as the SDM's tables list them.
  const lowBit = (bits: string): number => Number(bits.split(':').at(-1));
  for (const r of [...fieldRows, ...address].sort((a, b) => lowBit(a.bits) - lowBit(b.bits))) out.push(r.line);
  out.push('');
  if (e.kind === 'page' && e.mode !== 'ept') {
    const type = memoryType(e.fields);
    out.push(`memory type  ${type ?? 'reserved encoding'}: PAT entry ${patIndex(e.fields)} (PAT·4 + PCD·2 + PWT) of IA32_PAT at reset`);
    out.push(`             (${IA32_PAT_AT_RESET}); MTRRs may still make it UC`);
  }
  const reserved = e.reserved ? `bits ${bitRanges(e.reserved).join(', ')} set (${hex(e.reserved)}): a walk through this entry faults with RSVD` : 'none set';
  out.push(`reserved     ${reserved} (MAXPHYADDR ${maxPhyAddr})`);
  for (const p of e.problems) out.push(`problem      ${p}`);
  return out;
}
