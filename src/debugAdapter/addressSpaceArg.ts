import { parseMode } from '../paging/modes';
import type { PagingSpec } from '../paging/spec';
import { HyperFrameError } from '../util/errors';
import type { SessionContext } from './context';
import type { StopState } from './registersCache';
import { numberArg, type RequestArgs } from './requestArgs';

export interface AddressSpace {
  spec: PagingSpec;
  /** Set when the tables are a vCPU's (its registers, or the launch configuration's override). */
  vcpu?: number;
}

/**
 * Which tables a request means: `mode` + `root` for any hierarchy, else a vCPU's (`vcpu`, default
 * the one in focus) as its registers or the launch configuration say. A vCPU with paging off is an
 * error that says so: there are no tables to use.
 */
export async function addressSpaceArg(a: RequestArgs, command: string, ctx: SessionContext, state: StopState): Promise<AddressSpace> {
  const root = numberArg(a, 'root', command);
  if (root !== undefined || a.mode !== undefined) {
    if (root === undefined || typeof a.mode !== 'string') throw new HyperFrameError('BAD_ARGUMENT', `${command}: give both 'mode' and 'root', or neither`);
    return { spec: { mode: parseMode(a.mode), root } };
  }
  const vcpu = a.vcpu ?? ctx.currentVcpu();
  const count = await ctx.target.vcpuCount();
  if (count === 0) throw new HyperFrameError('BAD_ARGUMENT', `${command}: this target has no vCPUs (a raw image has no registers): give 'mode' and 'root'`);
  if (typeof vcpu !== 'number' || !Number.isInteger(vcpu) || vcpu < 0 || vcpu >= count) {
    throw new HyperFrameError('BAD_ARGUMENT', `${command}: vcpu ${JSON.stringify(vcpu)} does not exist (0..${count - 1})`);
  }
  const p = await state.paging(vcpu);
  if (!p.spec) throw new HyperFrameError('TARGET', `vCPU ${vcpu}: ${p.reason}: there are no tables to use (virtual = physical)`);
  return { spec: p.spec, vcpu };
}
