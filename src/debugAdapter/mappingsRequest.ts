import { notesJson } from '../paging/json';
import type { WalkNote } from '../paging/tableWalk';
import { WalkFormat } from '../paging/walkFormat';
import { patNote, walkChoice, walkRunOptions, type OptionValue } from '../paging/walkOptions';
import { runWalk } from '../paging/walkRun';
import type { MappingsResult } from '../shared/dapRequests';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { addressSpaceArg } from './addressSpaceArg';
import type { SessionContext } from './context';
import type { StopState } from './registersCache';
import { numberArg, type RequestArgs } from './requestArgs';

/** Leaves a single request returns at most; beyond it the answer says `truncated` and where to go on. */
export const MAX_LEAVES = 200_000;

const CMD = 'hyperframe/mappings';

/** The request's arguments under the walk options' names (`findAlias` is `--find-alias`). */
function option(a: RequestArgs, name: string): OptionValue {
  const v = name === 'find-alias' ? a.findAlias : name === 'split-pa' ? a.splitPa : name === 'expand-shared' ? a.expandShared : a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new HyperFrameError('BAD_ARGUMENT', `${CMD}: bad '${name}' ${JSON.stringify(v)}`);
}

/**
 * `hyperframe/mappings`: what one address space maps, as `hyperframe walk --json` prints it
 * (ranges, self-maps, shared tables, faults, unreadable tables; leaves with `leaves: true`), from
 * the same walk and with the same options (`splitPa`, `filter`, `from`/`to`, `has`, `findAlias`,
 * `pat`). The address space is a vCPU's (`vcpu`, default the current one) or `mode` + `root`.
 */
export async function mappingsRequest(a: RequestArgs, ctx: SessionContext, state: StopState): Promise<MappingsResult> {
  const { spec } = await addressSpaceArg(a, CMD, ctx, state);
  const choice = await walkChoice(
    (name) => (name === 'range' ? undefined : option(a, name)),
    (text, what) => numberArg({ v: text }, 'v', `${CMD} ${what}`, true),
  );
  const withLeaves = a.leaves === true || choice.leaves;
  const budget = numberArg(a, 'sharedRewalkBudget', CMD);
  const limit = typeof a.maxLeaves === 'number' && a.maxLeaves > 0 ? Math.min(a.maxLeaves, MAX_LEAVES) : MAX_LEAVES;
  const fmt = new WalkFormat(spec.mode);
  const { splitPa } = choice;
  const leaves: Record<string, unknown>[] = [];
  const ranges: Record<string, unknown>[] = [];
  const notes: WalkNote[] = [];
  const { target } = ctx;
  const stats = await target.physicalBatch(() =>
    runWalk(
      spec,
      target.phys,
      { ...walkRunOptions(choice), maxLeaves: limit, ...(budget !== undefined ? { sharedRewalkBudget: Number(budget) } : {}) },
      {
        leaf: withLeaves ? (l) => void leaves.push(fmt.leafJson(l, splitPa)) : undefined,
        range: (r) => void ranges.push(fmt.rangeJson(r, splitPa)),
        note: (n) => void notes.push(n),
      },
    ),
  );
  const extra = splitPa
    ? {}
    : {
        ...(target.physicalMemory ? { physicalMemory: target.physicalMemory } : {}),
        pat: patNote(choice).json,
      };
  // WalkFormat writes the documented walk schema, which MappingsResult types.
  const body = { mode: spec.mode, root: hex(spec.root), ...extra, ...(withLeaves ? { leaves } : {}), ranges, ...notesJson(notes), rewalkedEntries: stats.rewalkedEntries, sharedNotWalked: stats.sharedNotWalked } as unknown as MappingsResult;
  return stats.truncatedAt === undefined ? body : { ...body, truncated: true, next: hex(stats.truncatedAt) };
}
