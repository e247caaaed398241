/**
 * The hover over a number in text: its readings in a small Markdown table, the most likely first,
 * and where it lands as a VA when a stopped session says so. Pure and cheap (microseconds): VS Code
 * asks on every mouse rest.
 */
import type { TranslateResult } from '../shared/dapRequests';
import { sizeText } from '../paging/format';
import { hex } from '../util/numbers';
import { entryFor, entryHintsIn } from './entryHint';
import { around, numberAt, type NumberToken } from './numbers';
import { type DecodeOptions, entryReadings, p2mReadings, type Reading, vaReadings } from './readings';

/** What a stopped session says of the value as a VA: the adapter's `hyperframe/translate` answer. */
export type LiveTranslation = Pick<TranslateResult, 'vcpu' | 'pa' | 'pageSize' | 'flags' | 'memoryType' | 'fault' | 'insideSelfMap'>;

/** `PA 0x1fb152063 (1 GiB page; R - - U -) · WB`, or why the walk found none. */
export function liveText(t: LiveTranslation): string {
  if (t.pa === undefined) return `no translation: ${t.fault?.message ?? 'not mapped'}`;
  const size = t.pageSize !== undefined ? `${sizeText(BigInt(t.pageSize))} page` : 'page';
  const rights = t.flags ? `; ${t.flags}` : '';
  const type = t.memoryType ? ` · ${t.memoryType}` : '';
  const selfMap = t.insideSelfMap ? ` · inside the recursive slot at ${t.insideSelfMap.slotVa}: a level-${t.insideSelfMap.level} paging-structure entry, not data` : '';
  return `PA ${t.pa} (${size}${rights})${type}${selfMap}`;
}

function table(rows: Reading[]): string[] {
  return ['| as | reads |', '| --- | --- |', ...rows.map((r) => `| ${r.label} | ${r.text} |`)];
}

/**
 * What a hover at `column` of `line` is about: the number there (its columns in the whole line)
 * and whether it looks like an entry where it stands. Long lines are read around the column only.
 */
export function hoverTarget(line: string, column: number, opts: DecodeOptions): { token: NumberToken; entryLike: boolean } | undefined {
  const { text, offset } = around(line, column);
  const t = numberAt(text, column - offset);
  if (!t) return undefined;
  const entryLike = entryHintsIn(text, opts).some((h) => h.token.start === t.start);
  return { token: { ...t, start: t.start + offset, end: t.end + offset }, entryLike };
}

export interface HoverContext {
  /** Whether the value looks like an entry where it stands (the inlay hint's rules, line and all); default: the value's own reading. */
  entryLike?: boolean;
  /** What a stopped session said of the value as a VA. */
  live?: LiveTranslation;
}

/**
 * The hover's Markdown. Readings come in the order of what the value most likely is: entry
 * readings first when it looks like an entry (the inlay hint's heuristic), Xen P2M readings first
 * for a P2M special value, else the VA readings first. The session's translation follows the
 * value's first line, or the table when the value looks like an entry (its VA reading is then
 * the least likely one).
 */
export function hoverMarkdown(value: bigint, opts: DecodeOptions, at: HoverContext = {}): string {
  const entryLike = at.entryLike ?? entryFor({ value }, opts) !== undefined;
  const entries = entryReadings(value, opts);
  const vas = vaReadings(value, opts);
  const p2m = p2mReadings(value);
  const rows = entryLike ? [...entries, ...vas, ...p2m] : p2m.length ? [...p2m, ...vas, ...entries] : [...vas, ...entries, ...p2m];
  const head = `**${hex(value)}** = ${value}${entryLike ? ' · looks like a paging-structure entry' : ''}`;
  const live = at.live ? [`**VA → PA under CPU ${at.live.vcpu ?? 0}'s CR3:** ${liveText(at.live)}`, ''] : [];
  const lines = entryLike ? [head, '', ...table(rows), '', ...live] : [head, '', ...live, ...table(rows)];
  return lines.join('\n').trimEnd();
}
