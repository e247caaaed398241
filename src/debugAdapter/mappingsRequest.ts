import { walkJson } from '../paging/json';
import { parseMode } from '../paging/modes';
import type { PagingSpec } from '../paging/spec';
import { collectWalk } from '../paging/walkReport';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
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
export async function mappingsRequest(a: RequestArgs, ctx: SessionContext, state: StopState): Promise<Record<string, unknown>> {
  const vcpu = typeof a.vcpu === 'number' ? a.vcpu : ctx.currentVcpu();
  const root = numberArg(a, 'root', CMD);
  let spec: PagingSpec;
  if (root !== undefined || a.mode !== undefined) {
    if (root === undefined || typeof a.mode !== 'string') throw new HyperFrameError('BAD_ARGUMENT', `${CMD}: give both 'mode' and 'root', or neither`);
    spec = { mode: parseMode(a.mode), root };
  } else {
    const p = await state.paging(vcpu);
    if (!p.spec) throw new HyperFrameError('TARGET', `vCPU ${vcpu}: ${p.reason}`);
    spec = p.spec;
  }
  const limit = typeof a.maxLeaves === 'number' && a.maxLeaves > 0 ? Math.min(a.maxLeaves, MAX_LEAVES) : MAX_LEAVES;
  const report = await ctx.target.physicalBatch(() => collectWalk(spec, ctx.target.phys, { from: numberArg(a, 'from', CMD), to: numberArg(a, 'to', CMD), maxLeaves: limit }));
  const body = walkJson(spec.mode, spec.root, report, a.leaves === true);
  return report.truncatedAt === undefined ? body : { ...body, truncated: true, next: hex(report.truncatedAt) };
}
