import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { PAT_AT_RESET } from './memoryType';
import { SHARED_REWALK_BUDGET } from './tableWalk';
import { FILTER_TOKENS, parseFilter, parseVaRange, type WalkQuery } from './walkQuery';
import type { WalkRunOptions } from './walkRun';

/**
 * The options of `walk`, one vocabulary for the CLI and the Debug Console (and `search`, which
 * walks the same way): their names, whether they take a value, and what they mean. Each front end
 * splits its own words; this module reads the values, with a number reader of the front end's
 * (plain numbers in the CLI, expressions in the Debug Console).
 */
export const WALK_FLAG_OPTIONS = ['leaves', 'split-pa', 'expand-shared'] as const;
export const WALK_VALUE_OPTIONS = ['filter', 'range', 'from', 'to', 'has', 'find-alias', 'pat'] as const;

export const WALK_USAGE = '[--leaves] [--split-pa] [--expand-shared] [--filter w|x|ro|u|s|wb|uc[,…]] [--range FROM-TO] [--from VA] [--to VA] [--has VA] [--find-alias PA] [--pat IA32_PAT]';

export const WALK_OPTIONS_HELP = `  Ranges merge pages contiguous in VA with the same rights, G and memory type (as QEMU's info mem);
  a '*' after the PA and "PA in N runs" mark a range whose PA is not contiguous.
  --leaves        one line per page instead of ranges
  --split-pa      ranges also contiguous in PA and of one page size, in the layout of old
  --filter F      keep pages that are all of F: ${FILTER_TOKENS.join(' ')} (w,x: writable and executable)
  --range FROM-TO only this VA window (TO inclusive; FROM..TO also), or --from VA / --to VA (TO exclusive)
  --has VA        only the range holding VA
  --find-alias PA every page that maps PA (the reverse map; one line per page)
  --pat VALUE     the guest's IA32_PAT for the memory types (default: its reset value)
  --expand-shared walk a shared table's subtree again however often it is reached (by default the
                  walk stops walking them again after ${SHARED_REWALK_BUDGET.toLocaleString('en-US')} entries and says where)`;

/** A walk option as the front end parsed it: a value (or several), a flag, or absent. */
export type OptionValue = string | readonly string[] | boolean | undefined;

export interface WalkChoice {
  query: WalkQuery;
  splitPa: boolean;
  leaves: boolean;
  /** No budget for walking shared subtrees again. */
  expandShared: boolean;
  /** IA32_PAT when given; undefined means its reset value. */
  pat?: bigint;
}

/** What a walk pass takes from the options. */
export function walkRunOptions(choice: WalkChoice): WalkRunOptions {
  return { query: choice.query, splitPa: choice.splitPa, expandShared: choice.expandShared, ...(choice.pat !== undefined ? { pat: choice.pat } : {}) };
}

function texts(v: OptionValue): string[] {
  if (v === undefined || typeof v === 'boolean') return [];
  return typeof v === 'string' ? [v] : [...v];
}

function one(v: OptionValue, name: string): string | undefined {
  const t = texts(v);
  if (t.length > 1) throw new HyperFrameError('BAD_ARGUMENT', `--${name} is given ${t.length} times`);
  return t[0];
}

/** Reads the walk options; `value` turns a word into a number (`what` names it in errors). */
export async function walkChoice(get: (name: string) => OptionValue, value: (text: string, what: string) => bigint | Promise<bigint>): Promise<WalkChoice> {
  const num = async (name: string, what: string): Promise<bigint | undefined> => {
    const t = one(get(name), name);
    return t === undefined ? undefined : value(t, what);
  };
  const query: WalkQuery = {};
  const range = one(get('range'), 'range');
  let from = await num('from', 'VA');
  let to = await num('to', 'VA');
  if (range !== undefined) {
    if (from !== undefined || to !== undefined) throw new HyperFrameError('BAD_ARGUMENT', 'give --range FROM-TO or --from/--to, not both');
    ({ from, to } = await parseVaRange(range, (t) => value(t, 'VA')));
  }
  if (from !== undefined && to !== undefined && to <= from) throw new HyperFrameError('BAD_ARGUMENT', `the VA window is empty: --to must be above --from`);
  if (from !== undefined) query.from = from;
  if (to !== undefined) query.to = to;
  const filter = parseFilter(texts(get('filter')));
  if (filter.length) query.filter = filter;
  const has = await num('has', 'VA');
  if (has !== undefined) query.has = has;
  const alias = await num('find-alias', 'PA');
  if (alias !== undefined) query.findAlias = alias;
  const pat = await num('pat', 'IA32_PAT');
  if (pat !== undefined && pat >= 1n << 64n) throw new HyperFrameError('BAD_ARGUMENT', '--pat does not fit in 64 bits');
  return {
    query,
    splitPa: get('split-pa') === true,
    expandShared: get('expand-shared') === true,
    // The reverse map names pages, not ranges.
    leaves: get('leaves') === true || alias !== undefined,
    ...(pat !== undefined ? { pat } : {}),
  };
}

/** What a walk says of IA32_PAT, on which its memory types depend: a `#` line and a JSON member. */
export function patNote(choice: WalkChoice): { note: string; json: { value: string; source: string } } {
  if (choice.pat !== undefined) return { note: `memory types: IA32_PAT ${hex(choice.pat, 16)} (--pat)`, json: { value: hex(choice.pat), source: 'given' } };
  return {
    note: `memory types: IA32_PAT assumed at its reset value ${hex(PAT_AT_RESET, 16)} (the guest's is not readable over a gdb stub or from a core; --pat gives it)`,
    json: { value: hex(PAT_AT_RESET), source: 'reset value' },
  };
}
