import { PAGE_INFO_417 } from './pageInfo';
import type { SharedInfoOffsets, XenBuild } from './structLayouts';

/**
 * The builds of Xen whose structures HyperFrame knows, by the GNU build-id of their xen-syms.
 *
 * Debian 12's xen-hypervisor-4.17-amd64 4.17.7+13-g2445b30a44-0+deb12u1: Xen at tag RELEASE-4.17.7
 * (the nearest public tag: Debian's 13 further commits are XSA fixes), built with the
 * configuration Debian ships as boot/xen-4.17-amd64.config: CONFIG_PV=y, CONFIG_PV32 not set,
 * CONFIG_HVM=y, CONFIG_SHADOW_PAGING not set, CONFIG_BIGMEM not set, CONFIG_HAS_PASSTHROUGH=y,
 * CONFIG_HAS_PCI=y, CONFIG_HAS_VPCI=y, CONFIG_NUMA=y, CONFIG_IOREQ_SERVER=y, CONFIG_COMPAT=y,
 * CONFIG_NR_CPUS=256, no CONFIG_MEM_SHARING, CONFIG_MEM_PAGING, CONFIG_STATIC_MEMORY, CONFIG_ARGO,
 * CONFIG_XSM, CONFIG_DEBUG or lock debugging/profiling.
 *
 * The offsets are summed by hand from the headers at RELEASE-4.17.7 under that configuration,
 * x86_64 natural alignment (bool/uint8_t 1, uint16_t 2, int/atomic_t 4, long/pointer 8). Sizes
 * used on the way: spinlock_t 8 (a 4-byte ticket pair and a 2-byte recursion bitfield, align 4,
 * without CONFIG_DEBUG_LOCKS / CONFIG_DEBUG_LOCK_PROFILE), rwlock_t 12 (atomic_t + spinlock_t),
 * rcu_read_lock_t 0 (an empty struct), struct page_list_head 16 (two pointers without BIGMEM),
 * struct list_head 16, struct timer 48 (expires 8, a 16-byte union, function 8, data 8, cpu and
 * status in the last 8), struct radix_tree_root 40, SMP_CACHE_BYTES 128 (L1_CACHE_SHIFT 7).
 * Each offset was also checked by compiling these headers with this configuration (offsetof),
 * and against a running Debian Xen 4.17.7 (test/xen): Xen's 'q' debug key prints the same page
 * counts, vCPU placement and page_info words HyperFrame reads through these offsets.
 */
const DEBIAN_4177_DOMAIN = {
  domain_id: 0, // domid_t, first
  max_vcpus: 4, // after the 2-byte domain_id, aligned to 4
  vcpu: 8, // struct vcpu **, aligned to 8
  shared_info: 16,
  // rcu_lock (0 bytes) and domain_lock (spinlock_t) at 24, page_alloc_lock at 32, then three
  // page_list_heads (page_list, extra_page_list, xenpage_list) at 40, 56, 72; no resv_page_list
  // (CONFIG_STATIC_MEMORY unset).
  tot_pages: 88,
  xenheap_pages: 92,
  outstanding_pages: 96,
  max_pages: 100,
  extra_pages: 104,
  // no shr_pages / paged_pages (MEM_SHARING, MEM_PAGING unset); sched_priv at 112 (aligned),
  // sched_unit_list 120, cpupool 128.
  next_in_list: 136,
  // next_in_hashbucket 144, rangesets (list_head) 152, rangesets_lock 168, evtchn 176,
  // evtchn_group[NR_EVTCHN_GROUPS = 4] 184..216 (struct evtchn is aligned(64), so 64 per bucket
  // page, 512 buckets per group: 32768 channels, and MAX_NR_EVTCHNS = 1 << 17 makes 4 groups),
  // max_evtchn_port 216, valid/active/xen/next_evtchn 220..232, event_lock (rwlock_t) 236..248,
  // evtchn_port_ops 248, evtchn_fifo 256, grant_table 264, pirq_tree 272..312, nr_pirqs 312.
  options: 316,
  is_dying: 320,
  // controller_pause_count 324, time_offset {int64_t, bool} 328..344, pdev_list (CONFIG_HAS_PCI)
  // 344..360, iommu (struct domain_iommu: arch_iommu 72 = mapping_lock 8, pgtables {list 16,
  // lock 8}, identity_maps 16, a 24-byte vtd/amd union; then platform_ops 8, node (NUMA) 1,
  // features[1] 8, hap_pt_share, need_sync: 104 bytes) 360..464, auto_node_affinity 464.
  is_privileged: 465,
  // is_console 466, debugger_attached 467, creation_finished 468, target 472, poll_mask 480 (a
  // pointer: MAX_VIRT_CPUS 8192 > BITS_PER_LONG), caps_lock 488..500, iomem_caps 504, irq_caps
  // 512, shutdown_lock 520, is_shutting_down 528, is_shut_down 529, shutdown_code 532,
  // suspend_evtchn 536.
  pause_count: 540,
  refcnt: 544,
  vm_assist: 552,
  // dirty_cpumask 560 (a pointer: NR_CPUS 256 > 2 * BITS_PER_LONG); struct arch_domain is
  // __cacheline_aligned, so arch starts at 640. In arch_domain: perdomain_l3_pg 0, no
  // hv_compat_vstart (CONFIG_PV32 unset), physaddr_bitsize 8, ioport_caps 16, pci_cf8 24,
  // cmos_idx 28, scf 29, then the pv/hvm union aligned to 8 at 32 (672). In struct pv_domain:
  // gdt_ldt_l1tab 0, nr_l4_pages 8, is_32bit 12, xpti 13, pcid 14.
  arch_pv_nr_l4_pages: 680,
  arch_pv_is_32bit: 684,
  arch_pv_xpti: 685,
  arch_pv_pcid: 686,
};

const DEBIAN_4177_VCPU = {
  vcpu_id: 0, // int, first
  processor: 4,
  vcpu_info: 8,
  domain: 16,
  // next_in_list 24, periodic_timer_lock 32, periodic_period 40, periodic_last_event 48,
  // periodic/singleshot/poll timers 56/104/152 (48 each), sched_unit 200, runstate_guest (a
  // handle union, CONFIG_COMPAT) 208, runstate (vcpu_runstate_info: int + 5 uint64_t = 48) 216,
  // runstate_seq 264, new_state 268, fpu_initialised 272, fpu_dirtied 273, is_initialised 274.
  is_running: 275,
  // is_urgent .. hcall_preempted 276..281, hcall_compat 282 (COMPAT), mapcache_invalidate 283
  // (IOREQ_SERVER), dirty_cpu 284, poll_evtchn 288, pirq_evtchn_head 292.
  pause_flags: 296,
  // pause_count 304, vm_event_pause_count 308, controller_pause_count 312, maptrack lock and
  // head/tail 316..332, virq_to_evtchn[NR_VIRQS = 24] 332..428, virq_lock 428..440,
  // continue_hypercall_tasklet (40) 440, mc_state (flags + 64-byte multicall_entry) 480,
  // waitqueue_vcpu 552, vcpu_info_mfn 560, evtchn_fifo 568, vpci (CONFIG_HAS_VPCI: 24) 576,
  // vmtrace 600, then struct arch_vcpu, aligned to 64 by its hvm_vcpu member: arch at 640.
  // In arch_vcpu: fpu_ctxt 0, user_regs (200) 8, dr[4] 208, dr7 240, dr6 248, flags 256,
  // vpmu (64) 264, async_exception_state[2] 328, async_exception_mask 332, the pv/hvm union
  // aligned to 64 at 384, as big as struct hvm_vcpu (1792: the VMX/SVM state, whose size was
  // taken from the compiler rather than summed), so guest_table_user at 384 + 1792 = 2176.
  arch_guest_table_user: 640 + 2176,
  arch_guest_table: 640 + 2184,
  // old_guest_table 2192, old_guest_ptpg 2200, old_guest_table_partial 2208.
  arch_cr3: 640 + 2216,
};

/**
 * struct shared_info on x86_64 (public ABI, every version): vcpu_info[XEN_LEGACY_MAX_VCPUS = 32]
 * of 64 bytes (upcall_pending, upcall_mask, evtchn_pending_sel 8, arch_vcpu_info 16,
 * vcpu_time_info 32) = 2048, evtchn_pending[64] and evtchn_mask[64] longs 2048..3072,
 * wc_version, wc_sec, wc_nsec, wc_sec_hi 3072..3088, then struct arch_shared_info at 3088:
 * max_pfn, pfn_to_mfn_frame_list_list, nmi_reason, p2m_cr3, p2m_vaddr, p2m_generation.
 */
export const SHARED_INFO_X86_64: SharedInfoOffsets = {
  arch_max_pfn: 3088,
  arch_pfn_to_mfn_frame_list_list: 3096,
  arch_p2m_cr3: 3112,
  arch_p2m_vaddr: 3120,
  arch_p2m_generation: 3128,
};

export const DEBIAN_XEN_4177: XenBuild = {
  name: 'Xen 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1)',
  version: '4.17.7',
  buildId: '151b373fd64b321593bf987fd923cd10dabadac4',
  config: { bigmem: false, pv32: false, shadowPaging: false },
  domain: DEBIAN_4177_DOMAIN,
  vcpu: DEBIAN_4177_VCPU,
  pageInfo: PAGE_INFO_417, // struct page_info, 32 bytes without BIGMEM (pageInfo.ts)
  sharedInfo: SHARED_INFO_X86_64,
  source: "Xen RELEASE-4.17.7's headers with Debian's boot/xen-4.17-amd64.config",
};

export const KNOWN_BUILDS: readonly XenBuild[] = [DEBIAN_XEN_4177];

/** The known build with this GNU build-id (lower-case hex), if any. */
export function buildById(buildId: string): XenBuild | undefined {
  return KNOWN_BUILDS.find((b) => b.buildId === buildId.toLowerCase());
}
