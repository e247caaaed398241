import { rangesOf, walkJson } from '../paging/json';
import { mappings, type WalkEvent } from '../paging/mappings';
import { parseMode } from '../paging/modes';
import type { PagingSpec } from '../paging/spec';
import { HyperFrameError } from '../util/errors';
import { parseNumber } from '../util/numbers';
import type { SessionContext } from './context';
import type { StopState } from './registersCache';

/** Leaves a single request returns at most; beyond it the answer says `truncated` and where to go on. */
export const MAX_LEAVES = 200_000;

type Args = Record<string, unknown>;

function addr(a: Args, name: string): bigint | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string') return parseNumber(v, `hyperframe/mappings ${name}`);
  throw new HyperFrameError('BAD_ARGUMENT', `hyperframe/mappings: '${name}' must be a 0x… string or a non-negative integer`);
}

/**
 * `hyperframe/mappings`: what one address space maps, as `hyperframe walk --json` prints it
 * (ranges, self-maps, shared tables, faults, unreadable tables; leaves with `leaves: true`).
 * The address space is a vCPU's (`vcpu`, default the current one) or `mode` + `root`.
 */
export async function mappingsRequest(a: Args, ctx: SessionContext, state: StopState): Promise<Record<string, unknown>> {
  const vcpu = typeof a.vcpu === 'number' ? a.vcpu : ctx.currentVcpu();
  const root = addr(a, 'root');
  let spec: PagingSpec;
  if (root !== undefined || a.mode !== undefined) {
    if (root === undefined || typeof a.mode !== 'string') throw new HyperFrameError('BAD_ARGUMENT', "hyperframe/mappings: give both 'mode' and 'root', or neither");
    spec = { mode: parseMode(a.mode), root };
  } else {
    const p = await state.paging(vcpu);
    if (!p.spec) throw new HyperFrameError('TARGET', `vCPU ${vcpu}: ${p.reason}`);
    spec = p.spec;
  }
  const limit = typeof a.maxLeaves === 'number' && a.maxLeaves > 0 ? Math.min(a.maxLeaves, MAX_LEAVES) : MAX_LEAVES;
  const events: WalkEvent[] = [];
  let leaves = 0;
  let truncatedAt: bigint | undefined;
  await ctx.target.physicalBatch(async () => {
    for await (const e of mappings(spec, ctx.target.phys, { from: addr(a, 'from'), to: addr(a, 'to') })) {
      if (e.kind === 'leaf' && ++leaves > limit) {
        truncatedAt = e.va;
        break;
      }
      events.push(e);
    }
  });
  const body = walkJson(spec.mode, spec.root, events, await rangesOf(events), a.leaves === true);
  return truncatedAt === undefined ? body : { ...body, truncated: true, next: `0x${truncatedAt.toString(16)}` };
}
