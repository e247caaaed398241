import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { geometry, type ModeGeometry, type PagingContext, type PagingMode, withDefaults } from './modes';

/** One address space: which tables, how to read them. */
export interface PagingSpec {
  mode: PagingMode;
  /** Physical address of the root table (PAE: the 32-byte-aligned PDPT). */
  root: bigint;
  ctx?: Partial<PagingContext>;
  /** EPT only: walk length from the EPTP (default 4). */
  eptLevels?: 4 | 5;
}

export interface ResolvedSpec {
  mode: PagingMode;
  root: bigint;
  ctx: PagingContext;
  geo: ModeGeometry;
  eptLevels?: 4 | 5;
}

export function resolveSpec(spec: PagingSpec): ResolvedSpec {
  const ctx = withDefaults(spec.ctx);
  const geo = geometry(spec.mode, spec.eptLevels);
  const align = spec.mode === 'pae' ? 32n : 4096n;
  if (spec.root < 0n || spec.root % align !== 0n || spec.root >= 1n << BigInt(ctx.maxPhyAddr)) {
    throw new HyperFrameError(
      'BAD_ARGUMENT',
      `bad root ${hex(spec.root)} for ${spec.mode}: it must be ${align}-byte aligned and below 2^${ctx.maxPhyAddr}`,
    );
  }
  return { mode: spec.mode, root: spec.root, ctx, geo, eptLevels: spec.eptLevels };
}
