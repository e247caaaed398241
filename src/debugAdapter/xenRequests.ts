import type { XenRequests } from '../shared/xenRequests';
import { HyperFrameError } from '../util/errors';
import { PvGuest } from '../xenTarget/pvGuest';
import { domainsResult, frameInfoResult, m2pListResult, m2pResult, p2mResult, regionResult, startInfoResult } from '../xenTarget/results';
import { xenSymbol } from '../xenTarget/symbolSides';
import { XenSystem } from '../xenTarget/xenSystem';
import type { SessionContext } from './context';
import { numberArg, type RequestArgs } from './requestArgs';

/**
 * The `hyperframe/xen/*` requests: the Xen views' data, the same objects the CLI's Xen commands
 * print with --json (xenTarget/results.ts builds both). Each request reads in one physical batch.
 */
type XenHandler<K extends keyof XenRequests> = (a: RequestArgs, ctx: SessionContext) => Promise<XenRequests[K]['result']>;

function openXen(ctx: SessionContext): Promise<XenSystem> {
  return XenSystem.open(ctx.target, ctx.symbols, { build: ctx.xenBuild });
}

function batch<T>(ctx: SessionContext, fn: () => Promise<T>): Promise<T> {
  return ctx.target.physicalBatch(fn);
}

function optInt(a: RequestArgs, name: string, command: string): number | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new HyperFrameError('BAD_ARGUMENT', `${command}: '${name}' must be a non-negative integer (got ${JSON.stringify(v)})`);
  return v;
}

async function guest(a: RequestArgs, ctx: SessionContext, command: string): Promise<PvGuest> {
  const domain = optInt(a, 'domain', command);
  const xen = xenSymbol(ctx.symbols, 'idle_pg_table') ? await openXen(ctx) : undefined;
  if (domain !== undefined && !xen) throw new HyperFrameError('BAD_ARGUMENT', `${command}: 'domain' needs the hypervisor's symbols (xen-syms in 'symbols')`);
  // Without 'vcpu', the guest is found where its symbols translate (a CPU in Xen's idle tables has none).
  return PvGuest.open(ctx.target, ctx.symbols, xen, { domain, vcpu: optInt(a, 'vcpu', command) });
}

export const XEN_HANDLERS: { [K in keyof XenRequests]: XenHandler<K> } = {
  'hyperframe/xen/domains': (_a, ctx) => batch(ctx, async () => domainsResult(await openXen(ctx))),
  'hyperframe/xen/m2p': (a, ctx) => {
    const cmd = 'hyperframe/xen/m2p';
    if (a.mfns !== undefined) {
      if (!Array.isArray(a.mfns)) throw new HyperFrameError('BAD_ARGUMENT', `${cmd}: 'mfns' must be a list of frame numbers`);
      const mfns = (a.mfns as unknown[]).map((v, i) => numberArg({ v }, 'v', `${cmd} mfns[${i}]`, true));
      return batch(ctx, async () => m2pListResult(await openXen(ctx), mfns));
    }
    const mfn = numberArg(a, 'mfn', cmd, true);
    return batch(ctx, async () => m2pResult(await openXen(ctx), mfn, optInt(a, 'count', cmd) ?? 1));
  },
  'hyperframe/xen/frameInfo': (a, ctx) => {
    const mfn = numberArg(a, 'mfn', 'hyperframe/xen/frameInfo', true);
    return batch(ctx, async () => frameInfoResult(await openXen(ctx), mfn));
  },
  'hyperframe/xen/p2m': (a, ctx) => batch(ctx, async () => p2mResult(await guest(a, ctx, 'hyperframe/xen/p2m'), { check: a.check === true })),
  'hyperframe/xen/startInfo': (a, ctx) => {
    const at = numberArg(a, 'at', 'hyperframe/xen/startInfo');
    return batch(ctx, async () => startInfoResult(await guest(a, ctx, 'hyperframe/xen/startInfo'), { at }));
  },
  'hyperframe/xen/region': async (a) => {
    const cmd = 'hyperframe/xen/region';
    const str = (k: string): string | undefined => {
      const v = a[k];
      if (v !== undefined && typeof v !== 'string') throw new HyperFrameError('BAD_ARGUMENT', `${cmd}: '${k}' must be a string`);
      return v;
    };
    const context = str('context');
    if (context !== undefined && context !== 'pv' && context !== 'idle') throw new HyperFrameError('BAD_ARGUMENT', `${cmd}: 'context' must be pv or idle`);
    return regionResult(numberArg(a, 'va', cmd, true), { xen: str('xen'), arch: str('arch'), context });
  },
};
