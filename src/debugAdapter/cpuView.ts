/**
 * The few things run control and the call stack need from a vCPU: pc, sp, bp, code size, and the
 * instruction at pc (is it a call, how long is it). The register names are those of QEMU's x86-64
 * target description, which it reports in every CPU mode; 32-bit names are a fallback.
 */
import { Decoder, DecoderOptions, Mnemonic, FlowControl } from 'iced-x86';
import type { Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';

export type Bitness = 16 | 32 | 64;

export interface CpuView {
  pc: bigint;
  sp: bigint;
  bp: bigint;
  bitness: Bitness;
  /** Size of a return address on the stack. */
  ptrBytes: 4 | 8;
}

function pick(regs: Map<string, bigint>, names: string[]): bigint | undefined {
  for (const n of names) {
    const v = regs.get(n);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * Code size from EFER.LMA and CR0.PE. The stub does not report CS's descriptor, so 64-bit is
 * assumed in long mode (compatibility-mode code would be decoded wrongly); without control
 * registers (some dumps) 64-bit is assumed.
 */
export function bitnessOf(regs: Map<string, bigint>): Bitness {
  const efer = regs.get('efer');
  const cr0 = regs.get('cr0');
  if (efer === undefined || cr0 === undefined) return 64;
  if ((efer >> 10n) & 1n) return 64;
  return cr0 & 1n ? 32 : 16;
}

export function cpuViewOf(regs: Map<string, bigint>): CpuView {
  const pc = pick(regs, ['rip', 'eip', 'pc']);
  if (pc === undefined) throw new HyperFrameError('TARGET', 'the target reports no instruction pointer (rip/eip)');
  const bitness = bitnessOf(regs);
  const narrow = (v: bigint): bigint => (bitness === 64 ? v : v & 0xffff_ffffn);
  return {
    pc,
    sp: narrow(pick(regs, ['rsp', 'esp', 'sp']) ?? 0n),
    bp: narrow(pick(regs, ['rbp', 'ebp', 'fp']) ?? 0n),
    bitness,
    ptrBytes: bitness === 64 ? 8 : 4,
  };
}

export async function cpuView(target: Target, vcpu: number): Promise<CpuView> {
  return cpuViewOf(await target.registers(vcpu));
}

/** A little-endian pointer at `addr` as `vcpu` sees memory. */
export async function readPointer(target: Target, vcpu: number, addr: bigint, ptrBytes: 4 | 8): Promise<bigint> {
  const b = await target.readVirtual(vcpu, addr, ptrBytes);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return ptrBytes === 8 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true));
}

export interface DecodedAt {
  length: number;
  /** A near or far `call` (direct or indirect): what `next` steps over. */
  isCall: boolean;
  text: string;
}

const MAX_INSN = 15;

/** Bytes at `pc` for one instruction, shortened at a page end when the next page is unmapped. */
async function codeBytes(target: Target, vcpu: number, pc: bigint): Promise<Uint8Array> {
  try {
    return await target.readVirtual(vcpu, pc, MAX_INSN);
  } catch (e) {
    const toPageEnd = Number(0x1000n - (pc & 0xfffn));
    if (toPageEnd >= MAX_INSN) throw e;
    return target.readVirtual(vcpu, pc, toPageEnd);
  }
}

/** Decodes the instruction at `pc`; undefined when its bytes are not an instruction. */
export async function decodeAt(target: Target, vcpu: number, pc: bigint, bitness: Bitness): Promise<DecodedAt | undefined> {
  const bytes = await codeBytes(target, vcpu, pc);
  const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
  try {
    decoder.ip = pc;
    const insn = decoder.decode();
    try {
      if (insn.isInvalid) return undefined;
      const isCall = insn.mnemonic === Mnemonic.Call || insn.flowControl === FlowControl.IndirectCall;
      return { length: insn.length, isCall, text: `${hex(pc)} (${insn.length} bytes)` };
    } finally {
      insn.free();
    }
  } finally {
    decoder.free();
  }
}
