import { hex } from '../util/numbers';
import { type MemReader, readOrExplain } from './reader';
import type { SharedInfoOffsets } from './structLayouts';

/**
 * What a PV guest publishes about its P2M in its shared_info page (struct arch_shared_info,
 * xen/include/public/arch-x86/xen.h): for the toolstack, and for HyperFrame without the guest's
 * symbols. Linux fills it in xen_setup_mfn_list_list().
 */
export interface SharedInfoP2m {
  /** Entries of the P2M valid through p2m_vaddr / the frame-list tree: [0, max_pfn). */
  maxPfn: bigint;
  /** MFN of the three-level MFN tree's top page; 0 = not set up, ~0 = use p2m_vaddr. */
  frameListList: bigint;
  /** CR3 value (xen_pfn_to_cr3 format) of the address space where p2m_vaddr is valid; 0 = unset. */
  p2mCr3: bigint;
  /** Guest VA of the linear P2M list. */
  p2mVaddr: bigint;
  /** Odd while the guest changes the list's mappings. */
  p2mGeneration: bigint;
}

export async function readSharedInfoP2m(mem: MemReader, sharedInfoVa: bigint, o: SharedInfoOffsets): Promise<SharedInfoP2m> {
  const first = o.arch_max_pfn;
  const bytes = await readOrExplain(mem, sharedInfoVa + BigInt(first), o.arch_p2m_generation + 8 - first, `shared_info.arch at ${hex(sharedInfoVa)}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = (off: number) => dv.getBigUint64(off - first, true);
  return {
    maxPfn: at(o.arch_max_pfn),
    frameListList: at(o.arch_pfn_to_mfn_frame_list_list),
    p2mCr3: at(o.arch_p2m_cr3),
    p2mVaddr: at(o.arch_p2m_vaddr),
    p2mGeneration: at(o.arch_p2m_generation),
  };
}
