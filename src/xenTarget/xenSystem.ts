import { modeFromRegs } from '../paging/modes';
import type { SymbolTable } from '../symbols';
import { AddressSpaceReader } from '../target/virtualThroughTables';
import type { Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import {
  buildById,
  decodePageInfo,
  frameTableEntryVa,
  KNOWN_BUILDS,
  layoutFor,
  M2pReader,
  NO_PDX_COMPRESSION,
  readBuildId,
  readDomainId,
  readDomains,
  type DomainState,
  type PageInfo,
  type PdxParams,
  type XenBuild,
  type XenLayout,
} from '../xen';
import { needXenSymbol, xenSymbol } from './symbolSides';

export interface XenSystemOptions {
  /** Offsets for a build HyperFrame does not know (an offsets file), used instead of the known table. */
  build?: XenBuild;
}

export interface FramePageInfo {
  mfn: bigint;
  /** VA of frame_table[pdx(mfn)]. */
  va: bigint;
  info: PageInfo;
  owner?: { domain: number; va: bigint };
}

/**
 * A running (or dumped) Xen, read through its own page tables: `idle_pg_table` from xen-syms is
 * the root of every Xen VA read (the direct map, the frame table, the M2P, the xenheap). Its
 * physical address is found through any vCPU's tables, since every x86_64 context maps Xen's
 * image. Make one per stop: translations are remembered.
 */
export class XenSystem {
  private constructor(
    readonly target: Target,
    readonly symbols: SymbolTable,
    /** Xen VAs, read through idle_pg_table. */
    readonly mem: AddressSpaceReader,
    /** Physical address of idle_pg_table, and its VA. */
    readonly idlePgTable: bigint,
    readonly idlePgTableVa: bigint,
    readonly buildId: string | undefined,
    private readonly known: XenBuild | undefined,
    readonly layout: XenLayout,
    readonly pdx: PdxParams,
    readonly maxPage: bigint,
  ) {}

  static async open(target: Target, symbols: SymbolTable, opts: XenSystemOptions = {}): Promise<XenSystem> {
    const idleVa = needXenSymbol(symbols, 'idle_pg_table');
    const idlePa = await findIdlePgTable(target, idleVa);
    const mem = new AddressSpaceReader(target.phys, { mode: 'long4', root: idlePa }, true, "Xen's idle_pg_table");
    const note = xenSymbol(symbols, '__note_gnu_build_id_start');
    const buildId = note ? await readBuildId(mem, note.va).catch(() => undefined) : undefined;
    const build = opts.build ?? (buildId ? buildById(buildId) : undefined);
    const layout = layoutFor({ xen: build?.version ?? '4.17', bigmem: build?.config.bigmem, context: 'pv' });
    const u64 = async (name: string, bytes: 4 | 8): Promise<bigint | undefined> => {
      const s = xenSymbol(symbols, name);
      if (!s) return undefined;
      const b = await mem.read(s.va, bytes);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return bytes === 8 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true));
    };
    // xen/common/pdx.c: unsigned int pfn_pdx_hole_shift, unsigned long pfn_pdx_bottom_mask.
    const shift = await u64('pfn_pdx_hole_shift', 4);
    const bottom = await u64('pfn_pdx_bottom_mask', 8);
    const pdx = shift === undefined || bottom === undefined ? NO_PDX_COMPRESSION : { pfnPdxHoleShift: Number(shift), pfnPdxBottomMask: bottom };
    const maxPage = (await u64('max_page', 8)) ?? 0n;
    return new XenSystem(target, symbols, mem, idlePa, idleVa, buildId, build, layout, pdx, maxPage);
  }

  /** The build whose offsets apply, or a clear refusal naming what is running. */
  get build(): XenBuild {
    if (this.known) return this.known;
    const names = KNOWN_BUILDS.map((b) => b.name).join(', ');
    const id = this.buildId ? `GNU build-id ${this.buildId}` : 'no GNU build-id note where xen-syms says (does xen-syms match the running hypervisor?)';
    throw new HyperFrameError(
      'TARGET',
      `unknown Xen build (${id}): HyperFrame knows the struct layouts of ${names}; give this build's offsets in a file (--xen-offsets FILE, or the launch configuration's "xenOffsets"; see docs/xen-offsets.md)`,
    );
  }

  get buildKnown(): boolean {
    return this.known !== undefined;
  }

  domainListVa(): bigint {
    return needXenSymbol(this.symbols, 'domain_list');
  }

  domains(): Promise<DomainState[]> {
    return readDomains(this.mem, this.domainListVa(), this.build);
  }

  /** The guest-readable M2P at RO_MPT_VIRT_START, read through Xen's tables. */
  m2p(): M2pReader {
    return M2pReader.forLayout(this.mem, this.layout, 'read-only');
  }

  async pageInfo(mfn: bigint): Promise<FramePageInfo> {
    const build = this.build;
    if (this.maxPage && mfn >= this.maxPage) {
      throw new HyperFrameError('OUT_OF_RANGE', `mfn ${hex(mfn)} is at or beyond max_page ${hex(this.maxPage)}: Xen keeps no page_info for it`);
    }
    const va = frameTableEntryVa(mfn, this.layout, this.pdx);
    const info = decodePageInfo(await this.mem.read(va, build.pageInfo.size), this.layout, build.pageInfo);
    const owner = info.ownerDomainVa !== undefined ? { domain: await readDomainId(this.mem, info.ownerDomainVa, build), va: info.ownerDomainVa } : undefined;
    return { mfn, va, info, ...(owner ? { owner } : {}) };
  }
}

/** Physical address of idle_pg_table, through the first vCPU whose 4-level tables map Xen's image. */
async function findIdlePgTable(target: Target, idleVa: bigint): Promise<bigint> {
  const n = await target.vcpuCount();
  const tried: string[] = [];
  for (let vcpu = 0; vcpu < n; vcpu++) {
    const regs = await target.controlRegs(vcpu).catch(() => undefined);
    if (!regs) continue;
    const m = modeFromRegs(regs);
    if (m.mode !== 'long4') {
      tried.push(`vCPU ${vcpu} is in ${m.mode}`);
      continue;
    }
    const pa = await new AddressSpaceReader(target.phys, { mode: 'long4', root: m.root, ctx: m.context }, false).physicalOf(idleVa);
    if (pa !== undefined) return pa;
    tried.push(`vCPU ${vcpu}'s tables (CR3 ${hex(regs.cr3)}) do not map it`);
  }
  throw new HyperFrameError('TARGET', `cannot find Xen's idle_pg_table (${hex(idleVa)}): ${tried.join('; ') || 'no vCPU has registers'}; is this a running x86_64 Xen, and the xen-syms of this build?`);
}
