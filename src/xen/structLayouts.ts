import type { PageInfoLayout } from './pageInfo';

/**
 * Where the fields HyperFrame reads sit in Xen's own structures, for one build. Xen's release
 * packages carry no DWARF, and the offsets move with the version and the build configuration
 * (CONFIG_PV32, CONFIG_BIGMEM, CONFIG_HVM, …), so each known build states them (knownBuilds.ts)
 * and an unknown one needs a file that does (offsetsFile.ts). Keys are the C field names.
 */

/** struct domain (xen/include/xen/sched.h), bytes from the start of the structure. */
export interface DomainOffsets {
  domain_id: number; // domid_t (uint16_t)
  max_vcpus: number; // unsigned int
  vcpu: number; // struct vcpu ** (array of max_vcpus pointers)
  shared_info: number; // shared_info_t * (a Xen VA: a xenheap page)
  tot_pages: number; // unsigned int
  xenheap_pages: number; // unsigned int
  outstanding_pages: number; // unsigned int
  max_pages: number; // unsigned int
  extra_pages: number; // unsigned int
  next_in_list: number; // struct domain *
  options: number; // unsigned int, XEN_DOMCTL_CDF_*
  is_dying: number; // enum (int)
  is_privileged: number; // bool
  pause_count: number; // atomic_t
  refcnt: number; // atomic_t
  vm_assist: number; // unsigned long
  /** struct arch_domain's pv_domain (x86, valid when the domain is PV). */
  arch_pv_nr_l4_pages: number; // atomic_t
  arch_pv_is_32bit: number; // bool
  arch_pv_xpti: number; // bool
  arch_pv_pcid: number; // bool
}

/** struct vcpu (xen/include/xen/sched.h with x86's struct arch_vcpu). */
export interface VcpuOffsets {
  vcpu_id: number; // int
  processor: number; // int
  vcpu_info: number; // vcpu_info_t *
  domain: number; // struct domain *
  is_running: number; // bool
  pause_flags: number; // unsigned long
  arch_guest_table_user: number; // pagetable_t: an mfn (x86_64 PV user-mode L4)
  arch_guest_table: number; // pagetable_t: an mfn (the guest's notion of CR3)
  arch_cr3: number; // unsigned long: machine address loaded into CR3
}

/** The x86_64 shared_info page (xen/include/public/xen.h and arch-x86/xen.h; a public ABI). */
export interface SharedInfoOffsets {
  arch_max_pfn: number;
  arch_pfn_to_mfn_frame_list_list: number;
  arch_p2m_cr3: number;
  arch_p2m_vaddr: number;
  arch_p2m_generation: number;
}

/** What shaped the structures: the CONFIG_* options that move fields or change their meaning. */
export interface BuildConfig {
  /** CONFIG_BIGMEM: 64-bit pdx, larger page_info, frame table in slots 262-264. */
  bigmem: boolean;
  /** CONFIG_PV32: 32-bit PV guests (compat M2P, PGT_pae_xen_l2, arch.hv_compat_vstart). */
  pv32: boolean;
  /** CONFIG_SHADOW_PAGING. */
  shadowPaging: boolean;
}

/** One build of Xen that HyperFrame can read: how to recognise it and its structures. */
export interface XenBuild {
  /** "Xen 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1)": what the UI calls it. */
  name: string;
  /** Xen's version, "4.17.7": picks the virtual layout. */
  version: string;
  /** The GNU build-id of xen-syms (hex), which the running hypervisor carries in memory. Absent for a settings file's layouts, which trust the user. */
  buildId?: string;
  config: BuildConfig;
  domain: DomainOffsets;
  vcpu: VcpuOffsets;
  pageInfo: PageInfoLayout;
  sharedInfo: SharedInfoOffsets;
  /** Where the offsets come from, for the user. */
  source: string;
}

/** Domain creation flags (XEN_DOMCTL_CDF_*, xen/include/public/domctl.h, Xen 4.17). */
export const CDF_FLAGS: ReadonlyArray<readonly [string, number]> = [
  ['hvm', 1 << 0],
  ['hap', 1 << 1],
  ['s3_integrity', 1 << 2],
  ['oos_off', 1 << 3],
  ['xs_domain', 1 << 4],
  ['iommu', 1 << 5],
  ['nested_virt', 1 << 6],
  ['vpmu', 1 << 7],
];

/** vCPU pause flags (_VPF_*, xen/include/xen/sched.h, Xen 4.17): why a vCPU is not runnable. */
export const VPF_FLAGS: ReadonlyArray<readonly [string, number]> = [
  ['blocked', 0],
  ['down', 1],
  ['blocked_in_xen', 2],
  ['migrating', 3],
  ['mem_paging', 4],
  ['mem_access', 5],
  ['mem_sharing', 6],
  ['in_reset', 7],
  ['parked', 8],
]; // bit numbers: VPF_x = 1UL << _VPF_x
