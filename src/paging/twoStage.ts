import type { PhysMem } from '../memory/physMem';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { PagingSpec } from './spec';
import { TableReader } from './tables';
import { translate, type Translation } from './translate';

/**
 * Guest VA → guest PA through the guest's own tables, where every guest table and the final page
 * live at guest-physical addresses that EPT translates to host-physical ones (SDM 29.3.2).
 */
export interface TwoStageTranslation {
  /** The guest's walk (its table addresses are guest-physical). */
  guest: Translation;
  /** EPT walk of each guest table the guest walk read, in walk order. */
  tables: Translation[];
  /** EPT walk of the final guest-physical address. */
  final?: Translation;
  /** Host-physical address, when both stages succeeded. */
  hpa?: bigint;
  /** The stage-2 failure (EPT violation or misconfiguration) that stopped the walk. */
  eptFault?: { gpa: bigint; translation: Translation };
}

class EptViolation extends Error {
  constructor(
    readonly gpa: bigint,
    readonly translation: Translation,
  ) {
    super(`EPT violation at guest-physical ${hex(gpa)}: ${translation.fault?.message ?? ''}`);
  }
}

/** Reads guest-physical memory by translating each access through EPT. */
class GuestPhysThroughEpt implements PhysMem {
  readonly description: string;
  readonly walks: Translation[] = [];

  constructor(
    private readonly ept: PagingSpec,
    private readonly eptReader: TableReader,
    private readonly host: PhysMem,
  ) {
    this.description = `guest-physical through EPT at ${hex(ept.root)}`;
  }

  async read(gpa: bigint, bytes: number): Promise<Uint8Array> {
    const t = await translate(gpa, this.ept, this.eptReader);
    this.walks.push(t);
    if (t.pa === undefined || !t.perms?.read) throw new EptViolation(gpa, t);
    if ((gpa & ((t.pageSize ?? 4096n) - 1n)) + BigInt(bytes) > (t.pageSize ?? 4096n)) {
      throw new HyperFrameError('BAD_ARGUMENT', `guest table read at ${hex(gpa)} crosses an EPT page`);
    }
    return this.host.read(t.pa, bytes);
  }
}

export async function translateTwoStage(gva: bigint, guest: PagingSpec, ept: PagingSpec, host: PhysMem): Promise<TwoStageTranslation> {
  const eptReader = new TableReader(host, 'ept');
  const gmem = new GuestPhysThroughEpt(ept, eptReader, host);
  const g = await translate(gva, guest, gmem);
  const cause = g.fault?.cause;
  if (cause instanceof EptViolation) {
    return { guest: g, tables: gmem.walks, eptFault: { gpa: cause.gpa, translation: cause.translation } };
  }
  const result: TwoStageTranslation = { guest: g, tables: gmem.walks };
  if (g.pa === undefined) return result;
  const final = await translate(g.pa, ept, eptReader);
  result.final = final;
  if (final.pa === undefined) result.eptFault = { gpa: g.pa, translation: final };
  else result.hpa = final.pa;
  return result;
}
