import { HyperFrameError } from '../util/errors';
import { bit, mask } from '../util/numbers';

/**
 * The x86 paging modes. Levels are numbered as the SDM walks them: 1 = page table (PTE),
 * 2 = page directory (PDE), 3 = PDPT, 4 = PML4, 5 = PML5.
 */
/** The modes a vCPU's control registers select; every list of modes (options, settings, checks) derives from it. */
export const CPU_PAGING_MODES = ['legacy32', 'pae', 'long4', 'long5'] as const;
export type CpuPagingMode = (typeof CPU_PAGING_MODES)[number];
/** With EPT, a hypervisor's second stage (its root comes from an EPTP, never from CR3). */
export const PAGING_MODES = [...CPU_PAGING_MODES, 'ept'] as const;
export type PagingMode = (typeof PAGING_MODES)[number];

export function isPagingMode(v: unknown): v is PagingMode {
  return PAGING_MODES.some((m) => m === v);
}

export interface ModeGeometry {
  /** Level of the root table (the one CR3 / the EPTP points at). */
  readonly topLevel: number;
  /** Bytes per entry. */
  readonly entryBytes: 4 | 8;
  /** Width of the virtual (or guest-physical) address the walk consumes. */
  readonly vaBits: number;
  /** Levels whose entries may map a page directly (PS=1). */
  readonly largeLevels: readonly number[];
}

/** EPT's walk length comes from the EPTP; `ept` here means the usual 4-level walk. */
const GEOMETRY: Record<PagingMode, ModeGeometry> = {
  legacy32: { topLevel: 2, entryBytes: 4, vaBits: 32, largeLevels: [2] },
  pae: { topLevel: 3, entryBytes: 8, vaBits: 32, largeLevels: [2] },
  long4: { topLevel: 4, entryBytes: 8, vaBits: 48, largeLevels: [2, 3] },
  long5: { topLevel: 5, entryBytes: 8, vaBits: 57, largeLevels: [2, 3] },
  ept: { topLevel: 4, entryBytes: 8, vaBits: 48, largeLevels: [2, 3] },
};

export function geometry(mode: PagingMode, eptLevels?: 4 | 5): ModeGeometry {
  if (mode === 'ept' && eptLevels === 5) return { ...GEOMETRY.ept, topLevel: 5, vaBits: 57 };
  return GEOMETRY[mode];
}

export function parseMode(text: string): PagingMode {
  const m = PAGING_MODES.find((x) => x === text.trim().toLowerCase());
  if (!m) {
    throw new HyperFrameError('BAD_ARGUMENT', `unknown paging mode '${text}': expected one of ${PAGING_MODES.join(', ')}`);
  }
  return m;
}

/** Bit position of the lowest VA bit that indexes a table at `level`. */
export function levelShift(mode: PagingMode, level: number): number {
  if (mode === 'legacy32') return 12 + 10 * (level - 1);
  return 12 + 9 * (level - 1);
}

/** Number of entries in a table of `level` (PAE's PDPT has 4). */
export function entriesAt(mode: PagingMode, level: number): number {
  if (mode === 'legacy32') return 1024;
  if (mode === 'pae' && level === 3) return 4;
  return 512;
}

/** Bytes of address space one entry at `level` covers. */
export function entryCoverage(mode: PagingMode, level: number): bigint {
  return 1n << BigInt(levelShift(mode, level));
}

export function tableBytes(mode: PagingMode, level: number): number {
  return entriesAt(mode, level) * geometry(mode).entryBytes;
}

export function indexAt(mode: PagingMode, level: number, va: bigint): number {
  return Number((va >> BigInt(levelShift(mode, level))) & BigInt(entriesAt(mode, level) - 1));
}

/**
 * Canonical form: in long modes the bits above the VA width repeat its top bit; 32-bit modes take
 * no address above 4 GiB; EPT guest-physical addresses have no sign extension.
 */
export function isCanonical(mode: PagingMode, va: bigint, eptLevels?: 4 | 5): boolean {
  const { vaBits } = geometry(mode, eptLevels);
  if (va < 0n || va >= 1n << 64n) return false;
  if (mode === 'legacy32' || mode === 'pae' || mode === 'ept') return va < 1n << BigInt(vaBits);
  const high = va >> BigInt(vaBits - 1);
  return high === 0n || high === (1n << BigInt(65 - vaBits)) - 1n;
}

/** Sign-extends a VA from the mode's width to 64 bits (long modes), else returns it unchanged. */
export function canonicalize(mode: PagingMode, va: bigint): bigint {
  if (mode !== 'long4' && mode !== 'long5') return va;
  const { vaBits } = geometry(mode);
  const low = va & mask(vaBits - 1, 0);
  return bit(low, vaBits - 1) ? low | mask(63, vaBits) : low;
}

/** MAXPHYADDR as x86 CPUs implement it: 32..52 bits (the CLI's and the console's --max-phys-bits). */
export function checkedMaxPhysBits(bits: bigint): number {
  if (bits < 32n || bits > 52n) throw new HyperFrameError('BAD_ARGUMENT', `--max-phys-bits ${bits} is outside 32..52`);
  return Number(bits);
}

/** What decoding needs to know of the CPU besides the entry itself. */
export interface PagingContext {
  /** MAXPHYADDR: physical-address width. Default 52. */
  maxPhyAddr: number;
  /** CR4.PSE: 4 MiB pages in 32-bit paging. Default true. */
  pse: boolean;
  /** EFER.NXE: bit 63 is XD rather than reserved. Default true. */
  nxe: boolean;
  /** CR4.PKE: bits 62:59 of leaves are a protection key. Default true in long modes. */
  pke: boolean;
  /** 1 GiB pages supported (CPUID Page1GB). Default true. */
  page1G: boolean;
  /** EPT only: accessed/dirty flags enabled by EPTP bit 6. Default false. */
  eptAD: boolean;
}

export const DEFAULT_CONTEXT: PagingContext = {
  maxPhyAddr: 52,
  pse: true,
  nxe: true,
  pke: true,
  page1G: true,
  eptAD: false,
};

/** Fills what `ctx` leaves out; a context that is already complete is returned as it is. */
export function withDefaults(ctx?: Partial<PagingContext>): PagingContext {
  if (!ctx) return DEFAULT_CONTEXT;
  if (isComplete(ctx)) return ctx;
  return { ...DEFAULT_CONTEXT, ...ctx };
}

function isComplete(ctx: Partial<PagingContext>): ctx is PagingContext {
  return ctx.maxPhyAddr !== undefined && ctx.pse !== undefined && ctx.nxe !== undefined && ctx.pke !== undefined && ctx.page1G !== undefined && ctx.eptAD !== undefined;
}

/** Control registers as a debugger reads them. */
export interface ControlRegs {
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
}

export interface ModeFromRegs {
  /** `none` when CR0.PG is clear: virtual = physical. */
  mode: PagingMode | 'none';
  /** Physical address of the root table. */
  root: bigint;
  /** PCID in CR3 bits 11:0 when CR4.PCIDE is set. */
  pcid?: number;
  context: PagingContext;
  /** One line for the user: "long4 (CR0.PG, CR4.PAE, EFER.LMA), root 0x…". */
  reason: string;
}

/** The paging mode CR4 and EFER select once CR0.PG is set: EFER.LMA, CR4.LA57, CR4.PAE. */
export function cr3Mode(cr4: bigint, efer: bigint): Exclude<PagingMode, 'ept'> {
  if (bit(efer, 10)) return bit(cr4, 12) ? 'long5' : 'long4';
  return bit(cr4, 5) ? 'pae' : 'legacy32';
}

/**
 * The root table's physical address in CR3 (SDM vol. 3A tables 4-3, 4-7, 4-12): bits 31:12 in
 * 32-bit paging, bits 31:5 in PAE paging (the PDPT is 32-byte aligned, bits 4:0 ignored), bits
 * M-1:12 in 4- and 5-level paging; an EPTP holds its root in bits M-1:12 as well.
 */
export function rootOfCr3(mode: PagingMode, cr3: bigint, maxPhyAddr = 52): bigint {
  if (mode === 'legacy32') return cr3 & 0xffff_f000n;
  if (mode === 'pae') return cr3 & 0xffff_ffe0n;
  return cr3 & mask(maxPhyAddr - 1, 12);
}

/** Chooses the paging mode the way the CPU does: CR0.PG, CR4.PAE, EFER.LMA, CR4.LA57. */
export function modeFromRegs(regs: ControlRegs, maxPhyAddr = 52): ModeFromRegs {
  const context = withDefaults({
    maxPhyAddr,
    pse: bit(regs.cr4, 4) === 1,
    nxe: bit(regs.efer, 11) === 1,
    pke: bit(regs.cr4, 22) === 1,
  });
  if (!bit(regs.cr0, 31)) return { mode: 'none', root: 0n, context, reason: 'paging off (CR0.PG=0): virtual = physical' };
  const mode = cr3Mode(regs.cr4, regs.efer);
  const root = rootOfCr3(mode, regs.cr3, maxPhyAddr);
  if (mode === 'long4' || mode === 'long5') {
    const pcide = bit(regs.cr4, 17) === 1;
    return {
      mode,
      root,
      pcid: pcide ? Number(regs.cr3 & 0xfffn) : undefined,
      context,
      reason: `${mode} (CR0.PG, EFER.LMA${mode === 'long5' ? ', CR4.LA57' : ''})`,
    };
  }
  return { mode, root, context, reason: mode === 'pae' ? 'pae (CR0.PG, CR4.PAE)' : 'legacy32 (CR0.PG, no CR4.PAE)' };
}
