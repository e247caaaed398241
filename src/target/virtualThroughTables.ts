import type { PhysMem } from '../memory/physMem';
import { modeFromRegs, type ControlRegs, type PagingMode } from '../paging/modes';
import type { PagingSpec } from '../paging/spec';
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
  return new AddressSpaceReader(phys, { mode: m.mode as PagingMode, root: m.root, ctx: m.context }, false).read(va, bytes);
}

/**
 * One address space (a root and a mode) read through physical memory: each page is translated
 * by walking the tables, and, when `remember` (default), the translation is kept for the
 * reader's life — make one per stop, since the tables change when the target runs.
 */
export class AddressSpaceReader {
  private readonly tlb = new Map<bigint, { pa: bigint; size: bigint; pageVa: bigint }>();

  constructor(
    readonly phys: PhysMem,
    readonly spec: PagingSpec,
    private readonly remember = true,
    /** Names the address space in errors ("Xen's idle_pg_table", "d0's tables"). */
    readonly name = `the tables at ${hex(spec.root)}`,
  ) {}

  /** Physical address of `va`, or undefined when nothing maps it. */
  async physicalOf(va: bigint): Promise<bigint | undefined> {
    const hit = await this.page(va).catch(() => undefined);
    return hit ? hit.pa + (va - hit.pageVa) : undefined;
  }

  private async page(va: bigint): Promise<{ pa: bigint; size: bigint; pageVa: bigint }> {
    const key = va >> 12n;
    const cached = this.tlb.get(key);
    if (cached) return cached;
    const t = await translate(va, this.spec, this.phys);
    if (t.pa === undefined) throw new HyperFrameError('OUT_OF_RANGE', `cannot read virtual ${hex(va)} through ${this.name}: ${t.fault?.message ?? 'no translation'}`);
    const hit = { pa: t.pa - (va - t.pageVa!), size: t.pageSize!, pageVa: t.pageVa! };
    if (this.remember) this.tlb.set(key, hit);
    return hit;
  }

  async read(va: bigint, bytes: number): Promise<Uint8Array> {
    const out = new Uint8Array(bytes);
    let done = 0;
    while (done < bytes) {
      const at = va + BigInt(done);
      const p = await this.page(at);
      const n = Math.min(Number(p.size - (at - p.pageVa)), bytes - done);
      out.set(await this.phys.read(p.pa + (at - p.pageVa), n), done);
      done += n;
    }
    return out;
  }
}
