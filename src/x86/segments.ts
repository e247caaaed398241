import { bit } from '../util/numbers';

/**
 * Segment state beyond the selectors gdb's registers carry: the hidden parts of the segment
 * registers (base, limit, attributes), LDTR, TR, GDTR and IDTR; what to make of it (attribute
 * bits, the code size the CPU decodes with).
 */

export interface SegmentState {
  selector: bigint;
  base: bigint;
  limit: bigint;
  /** The descriptor's attribute bits as QEMU keeps them (bits 8-23 of the descriptor's high dword). */
  attributes?: bigint;
  /** QEMU's reading of the attributes: `DPL=0 CS64 [-R-]`. */
  text?: string;
}

export interface TableRegister {
  base: bigint;
  limit: bigint;
}

export interface SegmentRegisters {
  /** es cs ss ds fs gs ldtr tr, by lower-case name. */
  segments: Map<string, SegmentState>;
  gdtr?: TableRegister;
  idtr?: TableRegister;
}

/**
 * The state from a register map that holds it (QEMU ELF cores: gdtr_base,
 * gdtr_limit, idtr_*, tr, tr_base, tr_limit, ldtr, ldtr_base), or undefined when it does not.
 */
export function tablesFromRegisters(regs: Map<string, bigint>): SegmentRegisters | undefined {
  if (!regs.has('gdtr_base') && !regs.has('idtr_base')) return undefined;
  const out: SegmentRegisters = { segments: new Map() };
  const table = (n: string) => (regs.has(`${n}_base`) ? { base: regs.get(`${n}_base`)!, limit: regs.get(`${n}_limit`) ?? 0n } : undefined);
  out.gdtr = table('gdtr');
  out.idtr = table('idtr');
  for (const n of ['ldtr', 'tr']) {
    if (!regs.has(n)) continue;
    out.segments.set(n, { selector: regs.get(n)!, base: regs.get(`${n}_base`) ?? 0n, limit: regs.get(`${n}_limit`) ?? 0n });
  }
  return out;
}

/** Decoded attribute bits of a segment descriptor (SDM vol. 3A, 3.4.5). */
export function segmentAttributes(attributes: bigint): { name: string; value: bigint; meaning: string }[] {
  const a = attributes;
  return [
    { name: 'type', value: (a >> 8n) & 0xfn, meaning: 'Segment type' },
    { name: 'S', value: BigInt(bit(a, 12)), meaning: '1 = code/data, 0 = system' },
    { name: 'DPL', value: (a >> 13n) & 3n, meaning: 'Descriptor privilege level' },
    { name: 'P', value: BigInt(bit(a, 15)), meaning: 'Present' },
    { name: 'L', value: BigInt(bit(a, 21)), meaning: '64-bit code segment' },
    { name: 'DB', value: BigInt(bit(a, 22)), meaning: 'Default operand size 32 (code) / big (stack)' },
    { name: 'G', value: BigInt(bit(a, 23)), meaning: 'Granularity: limit in 4 KiB units' },
  ];
}

/**
 * The code size the CPU decodes with: 64 in a 64-bit code segment of long mode, else 32 or 16 by
 * CS.D in protected mode, 16 in real mode. Without CS's attributes (no monitor): 64 when EFER.LMA,
 * 32 when CR0.PE, else 16.
 */
export function codeBitness(cr0: bigint, efer: bigint, csAttributes?: bigint): 16 | 32 | 64 {
  const pe = bit(cr0, 0) === 1;
  const lma = bit(efer, 10) === 1;
  if (csAttributes === undefined) return lma ? 64 : pe ? 32 : 16;
  if (!pe) return 16;
  if (lma && bit(csAttributes, 21)) return 64;
  return bit(csAttributes, 22) ? 32 : 16;
}
