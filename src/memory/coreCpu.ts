import { HyperFrameError } from '../util/errors';
import { bit, hex } from '../util/numbers';
import type { ElfMachine } from './elfHeaders';
import type { ElfNote } from './elfNotes';

/** One vCPU's registers as the core recorded them (plus an inferred EFER; see `inferred`). */
export interface CoreVcpu {
  /** Position among the vCPUs in the core, from 0 (QEMU writes them in cpu_index order). */
  index: number;
  /**
   * Lower-case names. x86_64 cores: rax…r15, rip, rflags; i386 cores: eax…edi, esp, ebp, eip,
   * eflags. Both: cs ds es fs gs ss (selectors), fs_base, gs_base and, when QEMU's CPU note is
   * present, gdtr_base/limit, idtr_base/limit, tr, tr_base, tr_limit, ldtr, ldtr_base, cr0, cr2,
   * cr3, cr4, efer (inferred) and kernel_gs_base (only if this QEMU wrote it).
   */
  regs: Map<string, bigint>;
  /** Sentences for the user about values that are guesses rather than read from the dump. */
  inferred: string[];
}

export const NT_PRSTATUS = 1;
/** QEMU's own per-vCPU note: owner "QEMU", type 0, descriptor QEMUCPUState. */
const QEMU_NOTE_NAME = 'QEMU';

// elf_prstatus as the kernel lays it out and QEMU fills it: only pr_reg matters here.
// x86_64: pr_reg at byte 112, 27 longs of user_regs_struct in this order.
const PRSTATUS64_REGS_AT = 112;
const USER_REGS64 = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi',
  'rdi', 'orig_rax', 'rip', 'cs', 'rflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
// i386: pr_reg at byte 72; 32-bit registers, selectors are 16-bit halves of 32-bit slots.
const PRSTATUS32_REGS_AT = 72;
const USER_REGS32: [string, number, 2 | 4][] = [
  ['ebx', 0, 4], ['ecx', 4, 4], ['edx', 8, 4], ['esi', 12, 4], ['edi', 16, 4], ['ebp', 20, 4],
  ['eax', 24, 4], ['ds', 28, 2], ['es', 32, 2], ['fs', 36, 2], ['gs', 40, 2], ['eip', 48, 4],
  ['cs', 52, 2], ['eflags', 56, 4], ['esp', 60, 4], ['ss', 64, 2],
];
const USER_REGS32_BYTES = 68;

// QEMUCPUState (target/i386/arch_dump.c), the same struct in ELF32 and ELF64 cores:
// u32 version, u32 size, 18 u64 (rax rbx rcx rdx rsi rdi rsp rbp r8…r15 rip rflags),
// 10 segments {u32 selector, limit, flags, pad; u64 base} (cs ds es fs gs ss ldt tr gdt idt),
// u64 cr[5], then u64 kernel_gs_base in newer QEMUs (detected by `size`).
const QEMU_GPRS = [
  'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags',
] as const;
const QEMU_SEGS_AT = 8 + 8 * QEMU_GPRS.length; // 152
const QEMU_SEG_BYTES = 24;
const QEMU_SEGS = ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'ldt', 'tr', 'gdt', 'idt'] as const;
const QEMU_CR_AT = QEMU_SEGS_AT + QEMU_SEG_BYTES * QEMU_SEGS.length; // 392
const QEMU_STATE_MIN_BYTES = QEMU_CR_AT + 5 * 8; // 432: version 1 without kernel_gs_base
const QEMU_KERNEL_GS_BASE_AT = QEMU_STATE_MIN_BYTES;

/** QEMU keeps the descriptor's high dword in SegmentCache.flags, so L (64-bit code) is bit 21. */
const DESC_L_BIT = 21;
const CR0_PG_BIT = 31;
const CR4_PAE_BIT = 5;
const EFER_LME = 1n << 8n;
const EFER_LMA = 1n << 10n;
const EFER_NXE = 1n << 11n;

/** The 64-bit register names map onto i386 names for 32-bit cores. */
const NAMES32: Record<string, string> = {
  rax: 'eax', rbx: 'ebx', rcx: 'ecx', rdx: 'edx', rsi: 'esi', rdi: 'edi', rsp: 'esp', rbp: 'ebp',
  rip: 'eip', rflags: 'eflags',
};
const GPR32 = new Set(Object.keys(NAMES32));

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function fromPrstatus(desc: Uint8Array, machine: ElfMachine, fileName: string): Map<string, bigint> {
  const regs = new Map<string, bigint>();
  const dv = view(desc);
  if (machine === 'x86_64') {
    need(desc, PRSTATUS64_REGS_AT + USER_REGS64.length * 8, 'x86_64 NT_PRSTATUS', fileName);
    USER_REGS64.forEach((name, i) => {
      if (name !== 'orig_rax') regs.set(name, dv.getBigUint64(PRSTATUS64_REGS_AT + i * 8, true));
    });
  } else {
    need(desc, PRSTATUS32_REGS_AT + USER_REGS32_BYTES, 'i386 NT_PRSTATUS', fileName);
    for (const [name, off, size] of USER_REGS32) {
      const at = PRSTATUS32_REGS_AT + off;
      regs.set(name, BigInt(size === 4 ? dv.getUint32(at, true) : dv.getUint16(at, true)));
    }
  }
  return regs;
}

interface QemuState {
  regs: Map<string, bigint>;
  csFlags: bigint;
}

function fromQemuNote(desc: Uint8Array, machine: ElfMachine, fileName: string): QemuState {
  need(desc, QEMU_STATE_MIN_BYTES, 'QEMU CPU state', fileName);
  const dv = view(desc);
  const u64 = (at: number): bigint => dv.getBigUint64(at, true);
  const u32 = (at: number): bigint => BigInt(dv.getUint32(at, true));
  const declaredBytes = dv.getUint32(4, true);
  const regs = new Map<string, bigint>();
  QEMU_GPRS.forEach((name, i) => {
    const value = u64(8 + i * 8);
    if (machine === 'x86_64') regs.set(name, value);
    else if (GPR32.has(name)) regs.set(NAMES32[name], value & 0xffff_ffffn);
  });
  const seg = (name: (typeof QEMU_SEGS)[number]) => {
    const at = QEMU_SEGS_AT + QEMU_SEGS.indexOf(name) * QEMU_SEG_BYTES;
    return { selector: u32(at), limit: u32(at + 4), flags: u32(at + 8), base: u64(at + 16) };
  };
  for (const s of ['cs', 'ds', 'es', 'fs', 'gs', 'ss'] as const) regs.set(s, seg(s).selector);
  regs.set('fs_base', seg('fs').base);
  regs.set('gs_base', seg('gs').base);
  regs.set('gdtr_base', seg('gdt').base);
  regs.set('gdtr_limit', seg('gdt').limit);
  regs.set('idtr_base', seg('idt').base);
  regs.set('idtr_limit', seg('idt').limit);
  regs.set('tr', seg('tr').selector);
  regs.set('tr_base', seg('tr').base);
  regs.set('tr_limit', seg('tr').limit);
  regs.set('ldtr', seg('ldt').selector);
  regs.set('ldtr_base', seg('ldt').base);
  for (const n of [0, 2, 3, 4]) regs.set(`cr${n}`, u64(QEMU_CR_AT + n * 8));
  // kernel_gs_base was appended later without a version bump; `size` says whether it is there.
  if (declaredBytes >= QEMU_KERNEL_GS_BASE_AT + 8 && desc.length >= QEMU_KERNEL_GS_BASE_AT + 8) {
    regs.set('kernel_gs_base', u64(QEMU_KERNEL_GS_BASE_AT));
  }
  return { regs, csFlags: seg('cs').flags };
}

function need(desc: Uint8Array, bytes: number, what: string, fileName: string): void {
  if (desc.length < bytes) {
    throw new HyperFrameError('BAD_FILE', `${fileName}: ${what} note is ${desc.length} bytes, expected at least ${bytes}`);
  }
}

/**
 * QEMU's note carries CR0–CR4 but not EFER, which the page walker needs (LMA picks 4-level
 * paging, NXE makes bit 63 a permission instead of a reserved bit). Infer it and say how.
 */
function inferEfer(machine: ElfMachine, regs: Map<string, bigint>, csFlags: bigint, inferred: string[]): void {
  const cr0 = regs.get('cr0') ?? 0n;
  const cr4 = regs.get('cr4') ?? 0n;
  const csL = bit(csFlags, DESC_L_BIT) === 1;
  const pagingPae = bit(cr0, CR0_PG_BIT) === 1 && bit(cr4, CR4_PAE_BIT) === 1;
  let why: string | undefined;
  if (csL) why = 'the CS descriptor (L=1)';
  else if (machine === 'x86_64' && pagingPae) {
    why = 'e_machine EM_X86_64 with CR0.PG=1 and CR4.PAE=1 (CS.L=0: compatibility-mode code)';
  }
  if (why !== undefined) {
    const efer = EFER_LME | EFER_LMA | EFER_NXE;
    regs.set('efer', efer);
    inferred.push(`EFER not in the dump: long mode inferred from ${why}, so EFER.LME and EFER.LMA are set`);
    inferred.push(
      `EFER.NXE cannot be known from the dump: assumed set (Linux and Xen always enable it), EFER = ${hex(efer)}; ` +
        'if this guest runs with NX off, bit 63 of its page-table entries is really reserved',
    );
    return;
  }
  regs.set('efer', 0n);
  const state = `CS.L=0, CR0.PG=${bit(cr0, CR0_PG_BIT)}, CR4.PAE=${bit(cr4, CR4_PAE_BIT)}`;
  inferred.push(
    machine === 'i386'
      ? `EFER not in the dump: 32-bit core (EM_386, ${state}), EFER taken as 0 (no long mode; NXE cannot be known and is taken as clear)`
      : `EFER not in the dump: no sign of long mode on this vCPU (${state}), EFER taken as 0 (NXE cannot be known and is taken as clear)`,
  );
}

/**
 * Builds the vCPU list from a core's notes. QEMU writes every vCPU's NT_PRSTATUS ("CORE") first,
 * then every vCPU's "QEMU" note, both in cpu_index order: the i-th of each kind is vCPU i. The QEMU
 * note is the richer and full-width one, so it wins; PRSTATUS alone (cores from other writers)
 * still gives the general registers.
 */
export function vcpusFromNotes(notes: ElfNote[], machine: ElfMachine, fileName: string): CoreVcpu[] {
  const prstatus = notes.filter((n) => n.name === 'CORE' && n.type === NT_PRSTATUS);
  const qemu = notes.filter((n) => n.name === QEMU_NOTE_NAME && n.type === 0);
  const count = Math.max(prstatus.length, qemu.length);
  const vcpus: CoreVcpu[] = [];
  for (let index = 0; index < count; index++) {
    const inferred: string[] = [];
    let regs: Map<string, bigint>;
    if (index < qemu.length) {
      const state = fromQemuNote(qemu[index].desc, machine, fileName);
      regs = state.regs;
      inferEfer(machine, regs, state.csFlags, inferred);
    } else {
      regs = fromPrstatus(prstatus[index].desc, machine, fileName);
      inferred.push('no QEMU CPU-state note for this vCPU: control registers, descriptor tables and EFER are unknown');
    }
    vcpus.push({ index, regs, inferred });
  }
  return vcpus;
}
