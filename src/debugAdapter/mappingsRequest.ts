import { walkJson } from '../paging/json';
import { collectWalk } from '../paging/walkReport';
import type { MappingsResult } from '../shared/dapRequests';
import { hex } from '../util/numbers';
import { addressSpaceArg } from './addressSpaceArg';
import type { SessionContext } from './context';
import type { StopState } from './registersCache';
import { numberArg, type RequestArgs } from './requestArgs';

/** Leaves a single request returns at most; beyond it the answer says `truncated` and where to go on. */
export const MAX_LEAVES = 200_000;

const CMD = 'hyperframe/mappings';

/**
 * `hyperframe/mappings`: what one address space maps, as `hyperframe walk --json` prints it
 * (ranges, self-maps, shared tables, faults, unreadable tables; leaves with `leaves: true`).
 * The address space is a vCPU's (`vcpu`, default the current one) or `mode` + `root`.
 */
export async function mappingsRequest(a: RequestArgs, ctx: SessionContext, state: StopState): Promise<MappingsResult> {
  const { spec } = await addressSpaceArg(a, CMD, ctx, state);
  const limit = typeof a.maxLeaves === 'number' && a.maxLeaves > 0 ? Math.min(a.maxLeaves, MAX_LEAVES) : MAX_LEAVES;
  const report = await ctx.target.physicalBatch(() => collectWalk(spec, ctx.target.phys, { from: numberArg(a, 'from', CMD), to: numberArg(a, 'to', CMD), maxLeaves: limit }));
  // walkJson writes the documented walk schema, which MappingsResult types.
  const body = walkJson(spec.mode, spec.root, report, a.leaves === true) as unknown as MappingsResult;
  return report.truncatedAt === undefined ? body : { ...body, truncated: true, next: hex(report.truncatedAt) };
}
