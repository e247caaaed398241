import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { type MemReader, readOrExplain } from './reader';
import { CDF_FLAGS, VPF_FLAGS, type DomainOffsets, type VcpuOffsets, type XenBuild } from './structLayouts';

/**
 * Xen's domains as its own structures hold them: `domain_list` (a symbol of xen-syms) heads a list
 * of struct domain linked by next_in_list, in domain-id order; each domain has max_vcpus slots of
 * struct vcpu pointers. Every address here is a Xen VA (the xenheap, in the direct map): the reader
 * must read Xen's address space.
 */
export interface VcpuState {
  id: number;
  /** Xen VA of the struct vcpu. */
  va: bigint;
  /** The physical CPU it runs on or last ran on. */
  processor: number;
  running: boolean;
  pauseFlags: bigint;
  /** VPF_* names of the set pause flags: why it is not runnable (none: runnable). */
  pauseFlagNames: string[];
  /** arch.guest_table: mfn of the guest's top-level table (a PV vCPU's CR3; 0 if none). */
  guestTableMfn: bigint;
  /** arch.guest_table_user: a 64-bit PV guest's user-mode top-level table (0 if none). */
  guestTableUserMfn: bigint;
  /** arch.cr3: the machine address Xen loads into CR3 for this vCPU. */
  cr3: bigint;
}

export type DyingState = 'alive' | 'dying' | 'dead';

export interface DomainState {
  id: number;
  /** Xen VA of the struct domain. */
  va: bigint;
  maxVcpus: number;
  totPages: number;
  xenheapPages: number;
  outstandingPages: number;
  /** max_pages: 0xffffffff means no limit was set (dom0 without dom0_mem=max:). */
  maxPages: number;
  extraPages: number;
  options: number;
  /** XEN_DOMCTL_CDF_* names of `options`. */
  optionNames: string[];
  hvm: boolean;
  dying: DyingState;
  privileged: boolean;
  pauseCount: number;
  refcnt: number;
  vmAssist: bigint;
  /** Xen VA of the domain's shared_info page. */
  sharedInfoVa: bigint;
  /** PV domains: arch.pv. */
  pv?: { nrL4Pages: number; is32bit: boolean; xpti: boolean; pcid: boolean };
  vcpus: VcpuState[];
}

/** Bounds that catch offsets which do not fit the build (garbage reads) before they run away. */
const MAX_DOMAINS = 0x7ff0; // DOMID_FIRST_RESERVED: ids above are system domains, never listed
const MAX_VCPUS = 8192; // MAX_VIRT_CPUS on x86_64 Xen 4.x

const DYING: readonly DyingState[] = ['alive', 'dying', 'dead']; // DOMDYING_*, sched.h

class Fields {
  private readonly dv: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8(o: number): number {
    return this.buf[o];
  }
  u16(o: number): number {
    return this.dv.getUint16(o, true);
  }
  u32(o: number): number {
    return this.dv.getUint32(o, true);
  }
  i32(o: number): number {
    return this.dv.getInt32(o, true);
  }
  u64(o: number): bigint {
    return this.dv.getBigUint64(o, true);
  }
}

const flagNames = (v: bigint | number, table: ReadonlyArray<readonly [string, number]>, isBit: boolean): string[] =>
  table.filter(([, b]) => (BigInt(v) & (isBit ? 1n << BigInt(b) : BigInt(b))) !== 0n).map(([n]) => n);

/** Bytes to read so that every offset of the table (and an 8-byte field there) is covered. */
function span(offsets: DomainOffsets | VcpuOffsets): number {
  return Math.max(...Object.values(offsets)) + 8;
}

export async function readVcpu(mem: MemReader, va: bigint, build: XenBuild): Promise<VcpuState> {
  const o = build.vcpu;
  const f = new Fields(await readOrExplain(mem, va, span(o), `struct vcpu at ${hex(va)}`));
  const pauseFlags = f.u64(o.pause_flags);
  return {
    id: f.i32(o.vcpu_id),
    va,
    processor: f.i32(o.processor),
    running: f.u8(o.is_running) !== 0,
    pauseFlags,
    pauseFlagNames: flagNames(pauseFlags, VPF_FLAGS, true),
    guestTableMfn: f.u64(o.arch_guest_table),
    guestTableUserMfn: f.u64(o.arch_guest_table_user),
    cr3: f.u64(o.arch_cr3),
  };
}

/** One struct domain with its vCPUs. */
export async function readDomain(mem: MemReader, va: bigint, build: XenBuild): Promise<DomainState & { next: bigint }> {
  const o = build.domain;
  const f = new Fields(await readOrExplain(mem, va, span(o), `struct domain at ${hex(va)}`));
  const id = f.u16(o.domain_id);
  const maxVcpus = f.u32(o.max_vcpus);
  if (maxVcpus > MAX_VCPUS) {
    throw new HyperFrameError('TARGET', `struct domain at ${hex(va)} reads max_vcpus ${maxVcpus} (more than ${MAX_VCPUS}): ${build.name}'s offsets do not fit the running hypervisor`);
  }
  const options = f.u32(o.options);
  const hvm = (options & 1) !== 0; // XEN_DOMCTL_CDF_hvm
  const vcpus: VcpuState[] = [];
  const array = f.u64(o.vcpu);
  if (array !== 0n && maxVcpus > 0) {
    const ptrs = new Fields(await readOrExplain(mem, array, maxVcpus * 8, `d${id}'s vcpu array at ${hex(array)}`));
    for (let i = 0; i < maxVcpus; i++) {
      const v = ptrs.u64(i * 8);
      if (v !== 0n) vcpus.push(await readVcpu(mem, v, build)); // a NULL slot: a vCPU never brought up
    }
  }
  return {
    id,
    va,
    maxVcpus,
    totPages: f.u32(o.tot_pages),
    xenheapPages: f.u32(o.xenheap_pages),
    outstandingPages: f.u32(o.outstanding_pages),
    maxPages: f.u32(o.max_pages),
    extraPages: f.u32(o.extra_pages),
    options,
    optionNames: flagNames(options, CDF_FLAGS, false),
    hvm,
    dying: DYING[f.i32(o.is_dying)] ?? 'dead',
    privileged: f.u8(o.is_privileged) !== 0,
    pauseCount: f.i32(o.pause_count),
    refcnt: f.i32(o.refcnt),
    vmAssist: f.u64(o.vm_assist),
    sharedInfoVa: f.u64(o.shared_info),
    ...(hvm
      ? {}
      : {
          pv: {
            nrL4Pages: f.i32(o.arch_pv_nr_l4_pages),
            is32bit: f.u8(o.arch_pv_is_32bit) !== 0,
            xpti: f.u8(o.arch_pv_xpti) !== 0,
            pcid: f.u8(o.arch_pv_pcid) !== 0,
          },
        }),
    vcpus,
    next: f.u64(o.next_in_list),
  };
}

/** Every domain on `domain_list` (the value read at the symbol's address), in list order. */
export async function readDomains(mem: MemReader, domainListVa: bigint, build: XenBuild): Promise<DomainState[]> {
  const head = new Fields(await readOrExplain(mem, domainListVa, 8, `domain_list at ${hex(domainListVa)}`)).u64(0);
  const out: DomainState[] = [];
  const seen = new Set<bigint>();
  for (let va = head; va !== 0n; ) {
    if (seen.has(va)) throw new HyperFrameError('TARGET', `domain_list loops back to ${hex(va)} after ${out.length} domains: the list is being changed, or the offsets do not fit`);
    if (out.length >= MAX_DOMAINS) throw new HyperFrameError('TARGET', `domain_list runs past ${MAX_DOMAINS} domains: the offsets do not fit this hypervisor`);
    seen.add(va);
    const { next, ...d } = await readDomain(mem, va, build);
    out.push(d);
    va = next;
  }
  return out;
}

/** domain_id of the struct domain at `va` (a page owner). */
export async function readDomainId(mem: MemReader, va: bigint, build: XenBuild): Promise<number> {
  return new Fields(await readOrExplain(mem, va + BigInt(build.domain.domain_id), 2, `domain_id of struct domain ${hex(va)}`)).u16(0);
}
