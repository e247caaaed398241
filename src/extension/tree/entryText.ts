/**
 * How the page-table tree writes roots and entries: labels, badges, tooltips and which icon.
 * Pure (no `vscode`): the tree provider turns these into TreeItems, the tests read them as text.
 */
import { entryName, sizeText, vaDigits } from '../../paging/format';
import type { PagingMode } from '../../paging/modes';
import type { PagingModeName, RootInfo, TableEntry } from '../../shared/dapRequests';

const MODE_NAMES: Record<PagingModeName, string> = { legacy32: '32-bit', pae: 'PAE', long4: '4-level', long5: '5-level', ept: 'EPT' };

export function modeName(mode: PagingModeName | 'none'): string {
  return mode === 'none' ? 'paging off' : MODE_NAMES[mode];
}

/** `CPU 0 · CR3 0x2a10000 · 4-level`, with the PCID when CR4.PCIDE. */
export function vcpuRootLabel(r: RootInfo): string {
  const parts = [`CPU ${r.vcpu}`, `CR3 ${r.cr3}`, modeName(r.mode)];
  if (r.pcid !== undefined) parts.push(`PCID ${r.pcid}`);
  return parts.join(' · ');
}

/** A VA as the tree writes it: 16 digits in two groups for 64-bit modes (`ffff8880_00000000`), 8 for 32-bit ones. */
export function vaText(mode: PagingModeName, va: bigint): string {
  const digits = vaDigits(mode as PagingMode);
  const s = va.toString(16).padStart(digits, '0');
  return digits === 16 ? `${s.slice(0, 8)}_${s.slice(8)}` : s;
}

/** The icon of an entry: what kind of thing it is, at a glance. */
export type EntryIcon = 'table' | 'large-page' | 'page' | 'not-present' | 'reserved' | 'self-map';

export function entryIcon(e: TableEntry): EntryIcon {
  if (e.reserved !== '0x0' || e.problems?.length) return 'reserved';
  if (e.kind === 'not-present') return 'not-present';
  if (e.selfMap) return 'self-map';
  if (e.kind === 'table') return 'table';
  return e.pageSize !== undefined && e.pageSize > 4096 ? 'large-page' : 'page';
}

/** `[273] ffff8880_00000000–ffff88ff_ffffffff → 0x4401000`; not-present entries have no arrow. */
export function entryLabel(mode: PagingModeName, e: TableEntry, coverage: bigint): string {
  const va = BigInt(e.va);
  const range = `${vaText(mode, va)}–${vaText(mode, va + coverage - 1n)}`;
  const index = `[${e.index}]`;
  if (e.kind === 'not-present') return `${index} ${range}`;
  return `${index} ${range} → ${e.address}`;
}

/** The description beside the label: flag badges, the page size on leaves, what is wrong. */
export function entryDescription(e: TableEntry): string {
  const parts: string[] = [];
  if (e.selfMap) parts.push('self-map');
  if (e.kind === 'page' && e.pageSize !== undefined) parts.push(sizeText(BigInt(e.pageSize)));
  if (e.kind === 'not-present') parts.push(e.raw === '0x0' ? 'not present' : `not present · ${e.raw}`);
  else parts.push(e.flags.join(' '));
  if (e.reserved !== '0x0') parts.push(`reserved bits ${e.reserved}`);
  if (e.problems?.length) parts.push(e.problems.join('; '));
  return parts.join(' · ');
}

/** What an entry is, in words, for the tooltip's first line. */
function entryMeaning(e: TableEntry): string {
  if (e.kind === 'not-present') return e.raw === '0x0' ? 'not present (empty)' : `not present: a software value (${e.raw})`;
  if (e.selfMap) return `recursive slot: points back at ${e.address}, a table of this hierarchy (not descended)`;
  if (e.kind === 'table') return `next table at ${e.address}`;
  const size = e.pageSize !== undefined ? sizeText(BigInt(e.pageSize)) : 'a';
  const type = e.memoryType ? ` · ${e.memoryType}${e.patIndex !== undefined ? ` (PAT entry ${e.patIndex} of the reset IA32_PAT)` : ''}` : '';
  return `${size} page at ${e.address}${type}`;
}

/** The tooltip: what the entry is, where it lives, and every field in a Markdown table. */
export function entryTooltip(mode: PagingModeName, e: TableEntry, coverage: bigint): string {
  const name = entryName(mode as PagingMode, e.level);
  const va = BigInt(e.va);
  const lines = [
    `**${name} [${e.index}]** — ${entryMeaning(e)}`,
    '',
    `raw \`${e.raw}\` · at PA \`${e.entryPa}\``,
    '',
    `covers \`${vaText(mode, va)}\`–\`${vaText(mode, va + coverage - 1n)}\` (${sizeText(coverage)})`,
  ];
  if (e.reserved !== '0x0') lines.push('', `**reserved bits set: \`${e.reserved}\`** — a walk through this entry faults (RSVD)`);
  if (e.problems?.length) lines.push('', `**misconfigured:** ${e.problems.join('; ')}`);
  const fields = Object.entries(e.fields);
  if (fields.length) {
    lines.push('', '| field | value |', '| --- | --- |');
    for (const [k, v] of fields) lines.push(`| ${k} | ${v > 1 ? `0x${v.toString(16)}` : v} |`);
  }
  return lines.join('\n');
}

/** One child of a table in the tree: an entry, a run of empty entries folded into one line, or "more". */
export type TableChild = { kind: 'entry'; entry: TableEntry } | { kind: 'emptyRun'; first: number; last: number } | { kind: 'more'; shown: number; total: number } | { kind: 'hidden'; count: number };

export interface ChildrenOptions {
  /** Show entries that are not present (folding runs of empty ones). */
  showNotPresent: boolean;
  /** How many children to list before "Show more…". */
  limit: number;
  /** Entries in the table (to fold trailing empty runs when all entries were asked for). */
  count: number;
}

/** Runs of this many empty entries or more fold into one line. */
const MIN_RUN = 2;

/**
 * A table's children in the tree: present entries (and, when shown, not-present ones with runs of
 * empty entries folded into `[4–255] not present`), cut after `limit` children with a "more" line;
 * with not-present entries hidden, one line says how many non-zero ones were left out.
 */
export function tableChildren(entries: TableEntry[], opts: ChildrenOptions): TableChild[] {
  const out: TableChild[] = [];
  let hiddenSoftware = 0;
  const byIndex = new Map(entries.map((e) => [e.index, e]));
  if (!opts.showNotPresent) {
    for (const e of entries) {
      if (e.kind === 'not-present') hiddenSoftware++;
      else out.push({ kind: 'entry', entry: e });
    }
  } else {
    for (let i = 0; i < opts.count; ) {
      const e = byIndex.get(i);
      if (e && e.raw !== '0x0') {
        out.push({ kind: 'entry', entry: e });
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < opts.count && (byIndex.get(j + 1)?.raw ?? '0x0') === '0x0') j++;
      if (j - i + 1 >= MIN_RUN) out.push({ kind: 'emptyRun', first: i, last: j });
      else if (e) out.push({ kind: 'entry', entry: e });
      else out.push({ kind: 'emptyRun', first: i, last: i });
      i = j + 1;
    }
  }
  const total = out.length;
  const shown = out.slice(0, opts.limit);
  if (total > opts.limit) shown.push({ kind: 'more', shown: opts.limit, total });
  if (hiddenSoftware) shown.push({ kind: 'hidden', count: hiddenSoftware });
  return shown;
}

export function emptyRunLabel(first: number, last: number): string {
  return first === last ? `[${first}] not present` : `[${first}–${last}] not present`;
}
