import { Decoder, DecoderError, DecoderOptions, Instruction as IcedInstruction } from 'iced-x86';
import { HyperFrameError } from '../util/errors';
import { formatInstruction } from './format';
import type { Bitness, DisassembleOptions, Instruction } from './types';

/** A label names the start of a symbol when it carries no `+0x…` offset. */
const OFFSET_SUFFIX = /\+0x[0-9a-f]+$/i;

export function checkBitness(bitness: number): asserts bitness is Bitness {
  if (bitness !== 16 && bitness !== 32 && bitness !== 64) {
    throw new HyperFrameError('BAD_ARGUMENT', `bitness ${bitness} is not 16, 32 or 64`);
  }
}

/**
 * Decodes `bytes` as code at `address`. Undecodable bytes come back as `(bad)` entries marked
 * invalid, so every byte is accounted for; an encoding cut off by the end of `bytes` becomes one
 * invalid entry covering the rest.
 */
export function disassemble(
  bytes: Uint8Array,
  address: bigint,
  bitness: Bitness,
  opts: DisassembleOptions = {},
): Instruction[] {
  checkBitness(bitness);
  const { syntax = 'intel', symbolize, maxInstructions = Infinity } = opts;
  const out: Instruction[] = [];
  if (bytes.length === 0 || maxInstructions <= 0) return out;

  const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
  const instr = new IcedInstruction();
  try {
    decoder.ip = address;
    while (decoder.canDecode && out.length < maxInstructions) {
      const start = decoder.position;
      const at = BigInt.asUintN(64, address + BigInt(start));
      decoder.decodeOut(instr);
      if (decoder.lastError === DecoderError.NoMoreBytes) {
        out.push(invalidEntry(at, bytes.slice(start), symbolize?.(at)));
        break;
      }
      const { text, branchTarget } = formatInstruction(instr, syntax, symbolize);
      const entry: Instruction = {
        address: at,
        bytes: bytes.slice(start, start + instr.length),
        length: instr.length,
        text,
        invalid: instr.isInvalid,
      };
      if (branchTarget !== undefined) entry.branchTarget = branchTarget;
      const label = symbolize?.(at);
      if (label !== undefined && !OFFSET_SUFFIX.test(label)) entry.symbol = label;
      out.push(entry);
    }
  } finally {
    instr.free();
    decoder.free();
  }
  return out;
}

export function invalidEntry(address: bigint, bytes: Uint8Array, label?: string): Instruction {
  const entry: Instruction = { address, bytes, length: bytes.length, text: '(bad)', invalid: true };
  if (label !== undefined && !OFFSET_SUFFIX.test(label)) entry.symbol = label;
  return entry;
}
