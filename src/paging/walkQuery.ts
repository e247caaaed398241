import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { ATTR_TYPE_SHIFT, ATTR_U, ATTR_W, ATTR_X } from './entryRules';
import type { LeafRecord } from './tableWalk';

/**
 * What a walk keeps of an address space, whichever front end asked (`walk` in the CLI and the
 * Debug Console, `hyperframe/mappings`): a VA window, rights and memory-type filters, the range
 * holding one VA, or every page holding one PA (the reverse map).
 */
export interface WalkQuery {
  /** Only entries overlapping [from, to). */
  from?: bigint;
  to?: bigint;
  /** Every filter must hold (w AND x = writable and executable pages). */
  filter?: readonly FilterToken[];
  /** Only the range (or page) holding this VA. */
  has?: bigint;
  /** Only the pages holding this PA. */
  findAlias?: bigint;
}

export const FILTER_TOKENS = ['w', 'x', 'ro', 'u', 's', 'wb', 'uc'] as const;
export type FilterToken = (typeof FILTER_TOKENS)[number];

/** What each filter keeps, for help texts. */
export const FILTER_MEANINGS: Record<FilterToken, string> = {
  w: 'writable',
  x: 'executable',
  ro: 'read-only',
  u: 'user',
  s: 'supervisor',
  wb: 'write-back memory',
  uc: 'uncached memory (UC, UC-)',
};

const WB = 6;
const UC = 0;
const UC_MINUS = 7;

/** `w,x` or several words: the filter tokens, checked. */
export function parseFilter(texts: readonly string[]): FilterToken[] {
  const out: FilterToken[] = [];
  for (const word of texts.flatMap((t) => t.split(/[,+\s]+/)).filter(Boolean)) {
    const token = FILTER_TOKENS.find((f) => f === word.toLowerCase());
    if (!token) throw new HyperFrameError('BAD_ARGUMENT', `unknown filter '${word}': expected ${FILTER_TOKENS.join(', ')} (combine them: w,x)`);
    if (!out.includes(token)) out.push(token);
  }
  return out;
}

function keeps(token: FilterToken, attrs: number): boolean {
  const type = (attrs >>> ATTR_TYPE_SHIFT) & 7;
  switch (token) {
    case 'w':
      return (attrs & ATTR_W) !== 0;
    case 'x':
      return (attrs & ATTR_X) !== 0;
    case 'ro':
      return (attrs & ATTR_W) === 0;
    case 'u':
      return (attrs & ATTR_U) !== 0;
    case 's':
      return (attrs & ATTR_U) === 0;
    case 'wb':
      return type === WB;
    case 'uc':
      return type === UC || type === UC_MINUS;
  }
}

/** The test a leaf must pass, or undefined when every leaf is kept. */
export function leafTest(q: WalkQuery): ((l: LeafRecord) => boolean) | undefined {
  const tests: ((l: LeafRecord) => boolean)[] = [];
  const filter = q.filter ?? [];
  if (filter.length > 0) tests.push((l) => filter.every((t) => keeps(t, l.attrs)));
  if (q.findAlias !== undefined) {
    const pfn = Number(q.findAlias >> 12n);
    tests.push((l) => pfn >= l.pfn && pfn < l.pfn + l.pages);
  }
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  return (l) => tests.every((t) => t(l));
}

/**
 * `FROM-TO` (TO inclusive, as `walk` prints ranges) or `FROM..TO`: a VA window [FROM, TO+1).
 * `value` reads one bound (a number in the CLI, an expression in the Debug Console); bounds that
 * hold a '-' of their own need the `..` form.
 */
export async function parseVaRange(text: string, value: (t: string) => bigint | Promise<bigint>): Promise<{ from: bigint; to: bigint }> {
  const dots = text.indexOf('..');
  let parts: string[];
  if (dots >= 0) parts = [text.slice(0, dots), text.slice(dots + 2)];
  else parts = text.split('-');
  if (parts.length !== 2 || !parts[0].trim() || !parts[1].trim()) {
    throw new HyperFrameError('BAD_ARGUMENT', `bad range '${text}': expected FROM-TO (TO inclusive), or FROM..TO when a bound is an expression with '-'`);
  }
  const from = await value(parts[0].trim());
  const last = await value(parts[1].trim());
  if (last < from) throw new HyperFrameError('BAD_ARGUMENT', `bad range '${text}': ${hex(last)} is below ${hex(from)}`);
  return { from, to: last + 1n };
}

/** One line saying what a query keeps, for the head of the output; undefined when it keeps all. */
export function describeQuery(q: WalkQuery): string | undefined {
  const parts: string[] = [];
  if (q.from !== undefined || q.to !== undefined) parts.push(`VA ${hex(q.from ?? 0n)}..${q.to === undefined ? 'end' : hex(q.to - 1n)}`);
  if (q.filter?.length) parts.push(`filter ${q.filter.join(',')} (${q.filter.map((t) => FILTER_MEANINGS[t]).join(' and ')})`);
  if (q.has !== undefined) parts.push(`the range holding VA ${hex(q.has)}`);
  if (q.findAlias !== undefined) parts.push(`the pages holding PA ${hex(q.findAlias)}`);
  return parts.length ? parts.join('; ') : undefined;
}
