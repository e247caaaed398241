import type { PhysMem } from '../memory/physMem';
import { modeFromRegs, type ControlRegs, type PagingMode } from '../paging/modes';
import { translate } from '../paging/translate';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';

/**
 * Reads virtual memory by walking the tables ourselves (dumps, and stubs that only give physical
 * memory): page by page, each page translated under the given control registers.
 */
export async function readVirtualThroughTables(phys: PhysMem, regs: ControlRegs, va: bigint, bytes: number): Promise<Uint8Array> {
  const m = modeFromRegs(regs);
  if (m.mode === 'none') return phys.read(va, bytes);
  const spec = { mode: m.mode as PagingMode, root: m.root, ctx: m.context };
  const out = new Uint8Array(bytes);
  let done = 0;
  while (done < bytes) {
    const at = va + BigInt(done);
    const t = await translate(at, spec, phys);
    if (t.pa === undefined) {
      throw new HyperFrameError('OUT_OF_RANGE', `cannot read virtual ${hex(at)}: ${t.fault?.message ?? 'no translation'}`);
    }
    const pageLeft = Number(t.pageSize! - (at - t.pageVa!));
    const n = Math.min(pageLeft, bytes - done);
    out.set(await phys.read(t.pa, n), done);
    done += n;
  }
  return out;
}
