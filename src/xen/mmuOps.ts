/**
 * The PV MMU hypercalls' command numbers (xen/include/public/xen.h, Xen 4.17; the XenMemoryManagement wiki page's
 * HYPERVISOR_mmu_update and HYPERVISOR_mmuext_op(MMUEXT_PIN_L2_TABLE, …)).
 */

/** mmu_update: the command is in ptr[1:0] (or ptr[2:0]); the rest of ptr is the machine address. */
export const MMU_UPDATE_CMDS: Readonly<Record<number, string>> = {
  0: 'MMU_NORMAL_PT_UPDATE', // checked '*ptr = val', ptr is MA
  1: 'MMU_MACHPHYS_UPDATE', // ptr = MA of frame to modify the M2P entry for
  2: 'MMU_PT_UPDATE_PRESERVE_AD', // as NORMAL, keeping the accessed/dirty bits
  3: 'MMU_PT_UPDATE_NO_TRANSLATE', // as NORMAL, val is not translated
};

export const MMUEXT_CMDS: Readonly<Record<number, string>> = {
  0: 'MMUEXT_PIN_L1_TABLE',
  1: 'MMUEXT_PIN_L2_TABLE',
  2: 'MMUEXT_PIN_L3_TABLE',
  3: 'MMUEXT_PIN_L4_TABLE',
  4: 'MMUEXT_UNPIN_TABLE',
  5: 'MMUEXT_NEW_BASEPTR',
  6: 'MMUEXT_TLB_FLUSH_LOCAL',
  7: 'MMUEXT_INVLPG_LOCAL',
  8: 'MMUEXT_TLB_FLUSH_MULTI',
  9: 'MMUEXT_INVLPG_MULTI',
  10: 'MMUEXT_TLB_FLUSH_ALL',
  11: 'MMUEXT_INVLPG_ALL',
  12: 'MMUEXT_FLUSH_CACHE',
  13: 'MMUEXT_SET_LDT',
  15: 'MMUEXT_NEW_USER_BASEPTR',
  16: 'MMUEXT_CLEAR_PAGE',
  17: 'MMUEXT_COPY_PAGE',
  18: 'MMUEXT_FLUSH_CACHE_GLOBAL',
  19: 'MMUEXT_MARK_SUPER',
  20: 'MMUEXT_UNMARK_SUPER',
};

/** The page type pinning asks for: MMUEXT_PIN_Ln_TABLE makes the frame a PGT_ln_page_table, pinned. */
export function pinLevel(cmd: number): 1 | 2 | 3 | 4 | undefined {
  return cmd >= 0 && cmd <= 3 ? ((cmd + 1) as 1 | 2 | 3 | 4) : undefined;
}

/** Splits an mmu_update request: command in the low 2 bits, machine address of the PTE in the rest. */
export function decodeMmuUpdate(ptr: bigint, val: bigint): { cmd: string; maddr: bigint; val: bigint } {
  const c = Number(ptr & 3n);
  return { cmd: MMU_UPDATE_CMDS[c], maddr: ptr & ~3n, val };
}
