import type { DebugProtocol } from '@vscode/debugprotocol';
import { type Bitness, disassembleAround, type Instruction } from '../disasm';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { SessionContext } from './context';
import { offsetRef, parseMemoryRef, readSpace } from './memoryRefs';
import type { StopState } from './registersCache';

/** More than a screenful many times over; VS Code asks for ~50 at a time. */
const MAX_INSTRUCTIONS = 10_000;

/**
 * DAP `disassemble`: `instructionCount` instructions starting `instructionOffset` instructions
 * (negative: before) from `memoryReference + offset`, decoded as the vCPU runs (64-, 32- or 16-bit
 * from CS.L, EFER.LMA, CR0.PE). Memory that cannot be read shows as `??` rows marked invalid.
 */
export async function disassembleRequest(
  args: DebugProtocol.DisassembleArguments,
  ctx: SessionContext,
  state: StopState,
): Promise<DebugProtocol.DisassembleResponse['body']> {
  const count = args.instructionCount;
  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_INSTRUCTIONS) {
    throw new HyperFrameError('BAD_ARGUMENT', `instructionCount ${count} is not in 0..${MAX_INSTRUCTIONS}`);
  }
  const vcpu = ctx.currentVcpu();
  const ref = offsetRef(parseMemoryRef(args.memoryReference, vcpu), args.offset);
  const bitness: Bitness = await state.bitness(ref.space.kind === 'virtual' ? ref.space.vcpu : vcpu);
  const read = async (addr: bigint, bytes: number): Promise<Uint8Array | undefined> => {
    const r = await readSpace(ctx.target, ref.space, addr, bytes);
    return r.data.length ? r.data : undefined;
  };
  const symbolize = args.resolveSymbols === false ? undefined : (addr: bigint) => ctx.symbols.label(addr);
  const instructions = await disassembleAround(read, ref.address, args.instructionOffset ?? 0, count, bitness, { syntax: 'intel', symbolize });
  return { instructions: instructions.map((i) => toDap(i, bitness)) };
}

function toDap(i: Instruction, bitness: Bitness): DebugProtocol.DisassembledInstruction {
  const digits = bitness === 64 ? 16 : 8;
  return {
    address: hex(i.address, digits),
    instructionBytes: i.unreadable ? undefined : [...i.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' '),
    instruction: i.unreadable ? `?? (${i.length} bytes unreadable)` : i.text,
    ...(i.symbol ? { symbol: i.symbol } : {}),
    ...(i.invalid ? { presentationHint: 'invalid' as const } : {}),
  };
}
