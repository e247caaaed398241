import { decodeCr0, decodeCr3, decodeCr4, decodeEfer } from '../paging/controlRegs';
import { hex } from '../util/numbers';
import { decodeFields, type FieldDef, type RegisterBit, setBitNames } from '../util/bitFields';

/**
 * What the register views (the adapter's scopes and console, the CLI's `regs`) know about x86
 * registers: groups and display order, widths, the RFLAGS bits, selector fields, control-register
 * decoding, and which registers hold addresses.
 */

export const GENERAL_64 = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'];
export const GENERAL_32 = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip'];
export const SELECTORS = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'];
export const SEGMENT_BASES = ['fs_base', 'gs_base', 'k_gs_base', 'kernel_gs_base'];
export const CONTROL = ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer'];

/** Registers whose value is a virtual address worth opening in a memory view. */
export const VIRTUAL_ADDRESS_REGISTERS = new Set(['rip', 'eip', 'rsp', 'esp', 'rbp', 'ebp', 'fs_base', 'gs_base', 'k_gs_base', 'kernel_gs_base', 'cr2']);

/** Hex digits a register is shown with (its size in the stub's target description). */
export function registerDigits(name: string): number {
  if (SELECTORS.includes(name)) return 4;
  if (name === 'eflags' || name === 'rflags' || /^e[a-z]{2}$/.test(name)) return 8;
  return 16;
}

export function formatRegister(name: string, value: bigint): string {
  return hex(value, registerDigits(name));
}

// SDM vol. 1, 3.4.3.
const RFLAGS: FieldDef[] = [
  ['CF', 0, 'Carry'],
  ['PF', 2, 'Parity'],
  ['AF', 4, 'Auxiliary carry'],
  ['ZF', 6, 'Zero'],
  ['SF', 7, 'Sign'],
  ['TF', 8, 'Trap (single-step)'],
  ['IF', 9, 'Interrupts enabled'],
  ['DF', 10, 'Direction'],
  ['OF', 11, 'Overflow'],
  ['IOPL', 12, 'I/O privilege level', 2],
  ['NT', 14, 'Nested task'],
  ['RF', 16, 'Resume'],
  ['VM', 17, 'Virtual-8086 mode'],
  ['AC', 18, 'Alignment check / SMAP override'],
  ['VIF', 19, 'Virtual interrupt flag'],
  ['VIP', 20, 'Virtual interrupt pending'],
  ['ID', 21, 'CPUID available'],
];

export const decodeRflags = (v: bigint): RegisterBit[] => decodeFields(v, RFLAGS);

/** A selector's fields: descriptor index, table indicator (0 GDT, 1 LDT), requested privilege level. */
export function decodeSelector(selector: bigint): RegisterBit[] {
  return [
    { name: 'index', bit: 3, width: 13, value: (selector >> 3n) & 0x1fffn, meaning: 'Descriptor index in the GDT or LDT' },
    { name: 'TI', bit: 2, width: 1, value: (selector >> 2n) & 1n, meaning: 'Table indicator: 0 = GDT, 1 = LDT' },
    { name: 'RPL', bit: 0, width: 2, value: selector & 3n, meaning: 'Requested privilege level' },
  ];
}

/**
 * What the text views print after a control register: the flags set in CR0, CR4 and EFER, CR3's
 * fields as the mode CR4/EFER select reads them; empty for the others (CR2, CR8).
 */
export function controlRegisterText(name: string, regs: Map<string, bigint>, maxPhyAddr = 52): string {
  const v = regs.get(name);
  if (v === undefined) return '';
  if (name === 'cr0') return setBitNames(decodeCr0(v));
  if (name === 'cr4') return setBitNames(decodeCr4(v));
  if (name === 'efer') return setBitNames(decodeEfer(v));
  if (name === 'cr3') return decodeCr3(v, regs.get('cr4') ?? 0n, regs.get('efer') ?? 0n, maxPhyAddr).map((b) => `${b.name}=${hex(b.value)}`).join(' ');
  return '';
}

const LOW32: Record<string, string> = { eax: 'rax', ebx: 'rbx', ecx: 'rcx', edx: 'rdx', esi: 'rsi', edi: 'rdi', ebp: 'rbp', esp: 'rsp', eip: 'rip' };
const ALIASES: Record<string, string[]> = { rflags: ['eflags'], eflags: ['rflags'], pc: ['rip', 'eip'], sp: ['rsp', 'esp'], fp: ['rbp', 'ebp'], kernel_gs_base: ['k_gs_base'], k_gs_base: ['kernel_gs_base'] };

/**
 * A register by the name a user types: the stub's own names, `rflags` for eflags, `pc`/`sp`/`fp`,
 * and the 32-bit halves (eax, eip…) of a 64-bit register file. Undefined when there is none.
 */
export function registerByName(regs: Map<string, bigint>, name: string): bigint | undefined {
  const n = name.toLowerCase();
  const direct = regs.get(n);
  if (direct !== undefined) return direct;
  // Own properties only: `constructor` or `toString` typed as a register name is not an alias.
  for (const a of Object.hasOwn(ALIASES, n) ? ALIASES[n] : []) {
    const v = regs.get(a);
    if (v !== undefined) return v;
  }
  const wide = Object.hasOwn(LOW32, n) ? LOW32[n] : undefined;
  if (wide !== undefined && regs.has(wide)) return regs.get(wide)! & 0xffff_ffffn;
  return undefined;
}
