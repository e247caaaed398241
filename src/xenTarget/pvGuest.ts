import { modeFromRegs, type PagingMode } from '../paging/modes';
import type { PagingSpec } from '../paging/spec';
import type { SymbolTable } from '../symbols';
import { AddressSpaceReader } from '../target/virtualThroughTables';
import type { Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { type DomainState, type E820Entry, P2mTree, type P2mRange, readE820Table, readSharedInfoP2m } from '../xen';
import { readLinearP2m, type SharedP2mPage } from './p2mLive';
import { guestSymbol } from './symbolSides';
import type { XenSystem } from './xenSystem';

export interface PvGuestOptions {
  /** The vCPU whose tables are the guest's (default 0). */
  vcpu?: number;
  /** A PV domain by id: its first vCPU's guest_table (needs xen-syms). */
  domain?: number;
}

export interface GuestP2m {
  kind: 'linear' | 'tree';
  /** Where the P2M's address came from, for the user. */
  from: string;
  address: bigint;
  entries: bigint;
  /** The tables the list was read through (CR3 value). */
  cr3: bigint;
  runs: P2mRange[];
  sharedPages: SharedP2mPage[];
  notes: string[];
}

/**
 * A 64-bit PV guest as HyperFrame reads it: its page tables (a vCPU's CR3, or a domain's
 * guest_table through Xen), its kernel's symbols when they describe it (System.map, vmlinux), and
 * from them its P2M, memory map and start_info. Make one per stop.
 */
export class PvGuest {
  private constructor(
    readonly target: Target,
    readonly symbols: SymbolTable,
    readonly tables: PagingSpec,
    readonly reader: AddressSpaceReader,
    /** "vCPU 0's CR3 0x32a10000", "d0 vCPU 0's guest_table". */
    readonly tablesText: string,
    /** Whether the kernel symbols loaded describe this guest (they translate in its tables). */
    readonly symbolsApply: boolean,
    readonly xen?: XenSystem,
    readonly domain?: DomainState,
  ) {}

  static async open(target: Target, symbols: SymbolTable, xen: XenSystem | undefined, opts: PvGuestOptions = {}): Promise<PvGuest> {
    const probe = guestSymbol(symbols, 'xen_start_info') ?? guestSymbol(symbols, 'xen_p2m_addr') ?? guestSymbol(symbols, 'p2m_top');
    const make = async (root: bigint, text: string, domain?: DomainState): Promise<PvGuest> => {
      const spec: PagingSpec = { mode: 'long4', root };
      const reader = new AddressSpaceReader(target.phys, spec, true, text);
      const applies = probe !== undefined && (await reader.physicalOf(probe.va)) !== undefined;
      return new PvGuest(target, symbols, spec, reader, text, applies, xen, domain);
    };
    if (opts.domain !== undefined) {
      if (!xen) throw new HyperFrameError('BAD_ARGUMENT', `a domain by id needs Xen's symbols (xen-syms) to find it`);
      const domain = (await xen.domains()).find((d) => d.id === opts.domain);
      if (!domain) throw new HyperFrameError('BAD_ARGUMENT', `there is no domain ${opts.domain} on domain_list`);
      if (domain.hvm) throw new HyperFrameError('BAD_ARGUMENT', `d${domain.id} is an HVM guest: its P2M is Xen's (EPT/NPT), not a list in the guest`);
      const v = domain.vcpus.find((x) => x.guestTableMfn !== 0n);
      if (!v) throw new HyperFrameError('TARGET', `d${domain.id} has no vCPU with a guest_table`);
      return make(v.guestTableMfn << 12n, `d${domain.id} vCPU ${v.id}'s guest_table (mfn ${hex(v.guestTableMfn)})`, domain);
    }
    const domains = xen?.buildKnown ? await xen.domains() : [];
    const owner = (root: bigint): DomainState | undefined => domains.find((d) => d.vcpus.some((v) => v.guestTableMfn << 12n === root));
    const onVcpu = async (vcpu: number): Promise<PvGuest> => {
      const regs = await target.controlRegs(vcpu);
      const m = modeFromRegs(regs);
      if ((m.mode as PagingMode) !== 'long4') throw new HyperFrameError('TARGET', `vCPU ${vcpu} is in ${m.mode}: a 64-bit PV guest runs in 4-level paging`);
      const domain = owner(m.root);
      return make(m.root, `vCPU ${vcpu}'s CR3 ${hex(regs.cr3)}${domain ? ` (d${domain.id})` : ''}`, domain);
    };
    if (opts.vcpu !== undefined) return onVcpu(opts.vcpu);
    // A CPU may be idle (on Xen's own tables): the guest is where its kernel's symbols translate,
    // else, through Xen, on a PV domain's own vCPU tables (dom0 first).
    const n = await target.vcpuCount();
    let first: PvGuest | undefined;
    for (let vcpu = 0; vcpu < n; vcpu++) {
      const g = await onVcpu(vcpu).catch(() => undefined);
      if (g?.symbolsApply || (g && !probe && g.domain)) return g;
      first ??= g;
    }
    for (const d of domains.filter((x) => !x.hvm)) {
      const v = d.vcpus.find((x) => x.guestTableMfn !== 0n);
      if (!v) continue;
      const g = await make(v.guestTableMfn << 12n, `d${d.id} vCPU ${v.id}'s guest_table (mfn ${hex(v.guestTableMfn)})`, d);
      if (g.symbolsApply || !probe) return g;
    }
    if (first) return first;
    throw new HyperFrameError('TARGET', 'no vCPU runs in 4-level paging: there is no 64-bit PV guest to read');
  }

  /** A guest kernel symbol's address, when the symbols describe this guest. */
  symbol(name: string): bigint | undefined {
    return this.symbolsApply ? guestSymbol(this.symbols, name)?.va : undefined;
  }

  /** The unsigned long stored at a guest symbol. */
  async word(name: string): Promise<bigint | undefined> {
    const va = this.symbol(name);
    if (va === undefined) return undefined;
    const b = await this.reader.read(va, 8);
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);
  }

  /** The guest's memory map as it printed it at boot (Linux's e820_table_firmware). */
  async e820(): Promise<E820Entry[] | undefined> {
    const table = (await this.word('e820_table_firmware')) ?? (await this.word('e820_table'));
    return table ? readE820Table(this.reader, table) : undefined;
  }

  private async frameOfPointer(name: string): Promise<bigint | undefined> {
    const va = await this.word(name);
    if (!va) return undefined;
    const pa = await this.reader.physicalOf(va);
    return pa === undefined ? undefined : pa >> 12n;
  }

  /** The guest's P2M: from its symbols (xen_p2m_addr, or p2m_top for old kernels), else from its shared_info. */
  async p2m(): Promise<GuestP2m> {
    const addr = await this.word('xen_p2m_addr');
    const size = await this.word('xen_p2m_size');
    const cr3 = this.tables.root;
    if (addr !== undefined && size !== undefined) {
      const identityMfn = await this.frameOfPointer('p2m_identity');
      const missingMfn = await this.frameOfPointer('p2m_missing');
      const read = await readLinearP2m(this.target.phys, { tables: this.tables, address: addr, entries: size, identityMfn, missingMfn });
      return { kind: 'linear', from: 'xen_p2m_addr and xen_p2m_size (kernel symbols)', address: addr, entries: size, cr3, ...read, notes: [] };
    }
    const top = await this.word('p2m_top');
    if (top !== undefined) return this.treeP2m(top);
    if (this.xen && this.domain) {
      const si = await readSharedInfoP2m(this.xen.mem, this.domain.sharedInfoVa, this.xen.build.sharedInfo);
      if (si.p2mCr3 === 0n || si.p2mVaddr === 0n) throw new HyperFrameError('TARGET', `d${this.domain.id}'s shared_info has no p2m_vaddr/p2m_cr3: the guest has not published its P2M list`);
      const tables: PagingSpec = { mode: 'long4', root: si.p2mCr3 & ~0xfffn };
      const read = await readLinearP2m(this.target.phys, { tables, address: si.p2mVaddr, entries: si.maxPfn });
      const notes = si.p2mGeneration & 1n ? [`p2m_generation ${si.p2mGeneration} is odd: the guest was changing the list's mappings`] : [];
      if (read.sharedPages.some((p) => p.name === 'shared')) notes.push("without the kernel's symbols the shared placeholder pages cannot be told apart: their pfns read as missing, p2m_identity's would be identity");
      return { kind: 'linear', from: `d${this.domain.id}'s shared_info.arch (p2m_vaddr, max_pfn, p2m_cr3)`, address: si.p2mVaddr, entries: si.maxPfn, cr3: si.p2mCr3, ...read, notes };
    }
    throw new HyperFrameError(
      'BAD_ARGUMENT',
      `cannot find the P2M of the guest in ${this.tablesText}: load its kernel's System.map or vmlinux (xen_p2m_addr), or xen-syms to read it from its shared_info`,
    );
  }

  /** Seed 001's three-level tree (Linux before 3.19): p2m_top → p2m_mid → leaves. */
  private async treeP2m(top: bigint): Promise<GuestP2m> {
    const need = async (n: string): Promise<bigint> => {
      const v = await this.word(n);
      if (v === undefined) throw new HyperFrameError('BAD_ARGUMENT', `the kernel has p2m_top but no ${n}: its symbols are incomplete`);
      return v;
    };
    const tree = new P2mTree(this.reader, { bitsPerLong: 64, top, midMissing: await need('p2m_mid_missing'), missing: await need('p2m_missing'), identity: await need('p2m_identity') });
    const maxPfn = (await this.word('xen_max_p2m_pfn')) ?? tree.geometry.maxPfn;
    const runs: P2mRange[] = [];
    for await (const r of tree.ranges(0n, maxPfn)) runs.push(r);
    return { kind: 'tree', from: 'p2m_top (kernel symbols)', address: top, entries: maxPfn, cr3: this.tables.root, runs, sharedPages: [], notes: [] };
  }

  /** start_info's guest VA: the kernel's xen_start_info pointer. */
  async startInfoVa(): Promise<{ va: bigint; found: string } | undefined> {
    const va = await this.word('xen_start_info');
    return va ? { va, found: 'xen_start_info (kernel symbols)' } : undefined;
  }
}
