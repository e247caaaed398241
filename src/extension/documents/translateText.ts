/**
 * A translation as a document: every step of the walk (table, index, the entry and its decode),
 * then where the VA lands — as `hyperframe translate` and WinDbg's `!pte` show it. Pure.
 */
import { entryName, sizeText } from '../../paging/format';
import type { PagingMode } from '../../paging/modes';
import type { TranslateResult } from '../../shared/dapRequests';

export function translateText(title: string, t: TranslateResult): string[] {
  const lines = [`# ${title}`, `VA ${t.va}  ${t.mode}, root ${t.root}${t.vcpu !== undefined ? ` (CPU ${t.vcpu})` : ''}`];
  for (const s of t.steps) {
    const e = s.entry;
    const what = e.kind === 'not-present' ? 'not present' : e.kind === 'table' ? `table at ${e.address}` : `${sizeText(BigInt(e.pageSize ?? 4096))} page at ${e.address}`;
    const name = entryName(t.mode as PagingMode, s.level).padEnd(6);
    lines.push(`  ${name} at ${s.entryPa} [${String(s.index).padStart(4)}]  ${e.raw.padEnd(18)}  ${what}  ${e.flags.join(' ')}${e.reserved !== '0x0' ? `  RESERVED ${e.reserved}` : ''}`);
  }
  if (t.pa !== undefined) {
    const pfn = `0x${(BigInt(t.pa) >> 12n).toString(16)}`;
    lines.push(`PA ${t.pa}  (PFN ${pfn}; ${sizeText(BigInt(t.pageSize ?? 4096))} page; ${t.flags}${t.memoryType ? `; ${t.memoryType} under the reset PAT` : ''})`);
  } else if (t.fault) {
    lines.push(`no translation: ${t.fault.message}`);
  }
  if (t.entryVa) lines.push(`the leaf entry is readable at VA ${t.entryVa} through the recursive slot`);
  if (t.insideSelfMap) lines.push(`note: ${t.va} lies inside the recursive slot at ${t.insideSelfMap.slotVa}: it names a paging-structure entry (level ${t.insideSelfMap.level}), not data`);
  return lines;
}
