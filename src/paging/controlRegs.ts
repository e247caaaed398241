import { bit } from '../util/numbers';
import { decodeFields, type FieldDef, type RegisterBit } from '../util/bitFields';
import { cr3Mode, rootOfCr3 } from './modes';

// SDM vol. 3A, 2.5 (CR0, CR4) and 2.2.1 (EFER).
const CR0: FieldDef[] = [
  ['PE', 0, 'Protection Enable'],
  ['MP', 1, 'Monitor Coprocessor'],
  ['EM', 2, 'Emulation'],
  ['TS', 3, 'Task Switched'],
  ['ET', 4, 'Extension Type'],
  ['NE', 5, 'Numeric Error'],
  ['WP', 16, 'Write Protect (supervisor writes honour RW)'],
  ['AM', 18, 'Alignment Mask'],
  ['NW', 29, 'Not Write-through'],
  ['CD', 30, 'Cache Disable'],
  ['PG', 31, 'Paging'],
];
const CR4: FieldDef[] = [
  ['VME', 0, 'Virtual-8086 Mode Extensions'],
  ['PVI', 1, 'Protected-Mode Virtual Interrupts'],
  ['TSD', 2, 'Time Stamp Disable'],
  ['DE', 3, 'Debugging Extensions'],
  ['PSE', 4, 'Page Size Extensions (4 MiB pages in 32-bit paging)'],
  ['PAE', 5, 'Physical Address Extension'],
  ['MCE', 6, 'Machine-Check Enable'],
  ['PGE', 7, 'Page Global Enable'],
  ['PCE', 8, 'Performance-Monitoring Counter Enable'],
  ['OSFXSR', 9, 'OS supports FXSAVE/FXRSTOR'],
  ['OSXMMEXCPT', 10, 'OS supports unmasked SIMD exceptions'],
  ['UMIP', 11, 'User-Mode Instruction Prevention'],
  ['LA57', 12, '57-bit linear addresses (5-level paging)'],
  ['VMXE', 13, 'VMX Enable'],
  ['SMXE', 14, 'SMX Enable'],
  ['FSGSBASE', 16, 'RDFSBASE/WRFSBASE… enabled'],
  ['PCIDE', 17, 'PCID Enable'],
  ['OSXSAVE', 18, 'XSAVE and processor extended states enabled'],
  ['KL', 19, 'Key Locker Enable'],
  ['SMEP', 20, 'Supervisor-Mode Execution Prevention'],
  ['SMAP', 21, 'Supervisor-Mode Access Prevention'],
  ['PKE', 22, 'Protection Keys for user pages'],
  ['CET', 23, 'Control-flow Enforcement Technology'],
  ['PKS', 24, 'Protection Keys for supervisor pages'],
  ['UINTR', 25, 'User Interrupts Enable'],
];
const EFER: FieldDef[] = [
  ['SCE', 0, 'SYSCALL Enable'],
  ['LME', 8, 'Long Mode Enable'],
  ['LMA', 10, 'Long Mode Active'],
  ['NXE', 11, 'Execute-Disable (XD) bit enable'],
  ['SVME', 12, 'Secure Virtual Machine Enable (AMD)'],
  ['LMSLE', 13, 'Long Mode Segment Limit Enable (AMD)'],
  ['FFXSR', 14, 'Fast FXSAVE/FXRSTOR (AMD)'],
  ['TCE', 15, 'Translation Cache Extension (AMD)'],
];

export const decodeCr0 = (v: bigint): RegisterBit[] => decodeFields(v, CR0);
export const decodeCr4 = (v: bigint): RegisterBit[] => decodeFields(v, CR4);
export const decodeEfer = (v: bigint): RegisterBit[] => decodeFields(v, EFER);

/**
 * CR3 as the paging mode that CR4 and EFER select reads it (SDM vol. 3A tables 4-3, 4-7, 4-12,
 * 4-13): the root table's address (bits 31:12 in 32-bit paging, 31:5 in PAE paging, M-1:12 in
 * 4- and 5-level paging), then PCID (bits 11:0) when CR4.PCIDE, else PWT/PCD, which PAE paging
 * does not have. With KPTI, Linux keeps the user half's root one page above the kernel's.
 */
export function decodeCr3(cr3: bigint, cr4: bigint, efer: bigint, maxPhyAddr = 52): RegisterBit[] {
  const mode = cr3Mode(cr4, efer);
  const lo = mode === 'pae' ? 5 : 12;
  const hi = mode === 'legacy32' || mode === 'pae' ? 32 : maxPhyAddr;
  const out: RegisterBit[] = [{ name: 'root', bit: lo, width: hi - lo, value: rootOfCr3(mode, cr3, maxPhyAddr), meaning: 'Physical address of the top-level table' }];
  if (mode === 'pae') return out;
  if (mode !== 'legacy32' && bit(cr4, 17)) {
    out.push({ name: 'PCID', bit: 0, width: 12, value: cr3 & 0xfffn, meaning: 'Process-Context Identifier' });
    out.push({ name: 'NOFLUSH', bit: 63, width: 1, value: BigInt(bit(cr3, 63)), meaning: 'Keep TLB entries of this PCID on the write (write-only)' });
  } else {
    out.push({ name: 'PWT', bit: 3, width: 1, value: BigInt(bit(cr3, 3)), meaning: 'Page-level Write-Through for the root table' });
    out.push({ name: 'PCD', bit: 4, width: 1, value: BigInt(bit(cr3, 4)), meaning: 'Page-level Cache Disable for the root table' });
  }
  return out;
}
