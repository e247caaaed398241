/**
 * The few things run control and the call stack need from a vCPU: pc, sp, bp, code size, and the
 * instruction at pc (is it a call, how long is it). The register names are those of QEMU's x86-64
 * target description, which it reports in every CPU mode; 32-bit names are a fallback. Registers
 * and segment state come from the per-stop cache, and the code size from its one rule
 * (`codeBitness`: CS.L and CS.D when the monitor shows CS, else EFER.LMA and CR0.PE).
 */
import { Decoder, DecoderOptions, Mnemonic, FlowControl } from 'iced-x86';
import type { Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { StopState } from './registersCache';

export type Bitness = 16 | 32 | 64;

export interface CpuView {
  /** Linear address of the next instruction: CS.base + IP outside 64-bit code. */
  pc: bigint;
  /** sp and bp as offsets in the stack segment (what the code itself compares and pushes). */
  sp: bigint;
  bp: bigint;
  bitness: Bitness;
  /** Size of a return address on the stack. */
  ptrBytes: 2 | 4 | 8;
  /** CS.base: a return address read from the stack is an offset in it (0 in 64-bit code). */
  codeBase: bigint;
  /** SS.base: where sp's offsets are in linear memory (0 in 64-bit code). */
  stackBase: bigint;
}

function pick(regs: Map<string, bigint>, names: string[]): bigint | undefined {
  for (const n of names) {
    const v = regs.get(n);
    if (v !== undefined) return v;
  }
  return undefined;
}

const MASK: Record<Bitness, bigint> = { 16: 0xffffn, 32: 0xffff_ffffn, 64: (1n << 64n) - 1n };

/** The linear address of `offset` in a segment at `base`; 64-bit code ignores segment bases. */
export function linearOf(base: bigint, offset: bigint, bitness: Bitness): bigint {
  return bitness === 64 ? offset : (base + offset) & 0xffff_ffffn;
}

/** The view from registers, a code size and the CS/SS bases (0 when not known). */
export function cpuViewOf(regs: Map<string, bigint>, bitness: Bitness, bases: { code?: bigint; stack?: bigint } = {}): CpuView {
  const ip = pick(regs, ['rip', 'eip', 'pc']);
  if (ip === undefined) throw new HyperFrameError('TARGET', 'the target reports no instruction pointer (rip/eip)');
  const narrow = (v: bigint): bigint => v & MASK[bitness];
  const codeBase = bitness === 64 ? 0n : (bases.code ?? 0n);
  return {
    pc: linearOf(codeBase, narrow(ip), bitness),
    sp: narrow(pick(regs, ['rsp', 'esp', 'sp']) ?? 0n),
    bp: narrow(pick(regs, ['rbp', 'ebp', 'fp']) ?? 0n),
    bitness,
    ptrBytes: bitness === 64 ? 8 : bitness === 32 ? 4 : 2,
    codeBase,
    stackBase: bitness === 64 ? 0n : (bases.stack ?? 0n),
  };
}

/**
 * The vCPU as the stop cache sees it. Outside 64-bit code the segment bases come from the
 * monitor's `info registers`; without it, real mode's selector × 16 (protected mode: 0).
 */
export async function cpuView(state: StopState, vcpu: number): Promise<CpuView> {
  const regs = await state.registers(vcpu);
  const bitness = await state.bitness(vcpu);
  if (bitness === 64) return cpuViewOf(regs, bitness);
  const segments = (await state.segments(vcpu)).regs?.segments;
  const realMode = ((regs.get('cr0') ?? 1n) & 1n) === 0n;
  const base = (name: 'cs' | 'ss'): bigint => segments?.get(name)?.base ?? (realMode ? (regs.get(name) ?? 0n) << 4n : 0n);
  return cpuViewOf(regs, bitness, { code: base('cs'), stack: base('ss') });
}

/** A little-endian pointer at linear `addr` as `vcpu` sees memory. */
export async function readPointer(target: Target, vcpu: number, addr: bigint, ptrBytes: 2 | 4 | 8): Promise<bigint> {
  const b = await target.readVirtual(vcpu, addr, ptrBytes);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (ptrBytes === 8) return dv.getBigUint64(0, true);
  return BigInt(ptrBytes === 4 ? dv.getUint32(0, true) : dv.getUint16(0, true));
}

/** Reads code as `vcpu` sees it (a reader that shows the original bytes under our breakpoints). */
export type CodeReader = (vcpu: number, address: bigint, bytes: number) => Promise<Uint8Array>;

export interface DecodedAt {
  length: number;
  /** A near or far `call` (direct or indirect): what `next` steps over. */
  isCall: boolean;
  text: string;
}

const MAX_INSN = 15;

/** Bytes at `pc` for one instruction, shortened at a page end when the next page is unmapped. */
async function codeBytes(read: CodeReader, vcpu: number, pc: bigint): Promise<Uint8Array> {
  try {
    return await read(vcpu, pc, MAX_INSN);
  } catch (e) {
    const toPageEnd = Number(0x1000n - (pc & 0xfffn));
    if (toPageEnd >= MAX_INSN) throw e;
    return read(vcpu, pc, toPageEnd);
  }
}

/** Decodes the instruction at linear `pc`; undefined when its bytes are not an instruction. */
export async function decodeAt(read: CodeReader, vcpu: number, pc: bigint, bitness: Bitness): Promise<DecodedAt | undefined> {
  const bytes = await codeBytes(read, vcpu, pc);
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
