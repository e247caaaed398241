import { Decoder, DecoderError, DecoderOptions, Instruction as IcedInstruction } from 'iced-x86';
import { HyperFrameError } from '../util/errors';
import { checkBitness, disassemble, invalidEntry } from './disassemble';
import { ADDRESS_LIMIT, MemoryWindow, type ReadMemory } from './memoryWindow';
import { MAX_INSTRUCTION_BYTES, type Bitness, type DisassembleOptions, type Instruction } from './types';

export interface AroundOptions extends Omit<DisassembleOptions, 'maxInstructions'> {
  /** Granularity of reads and of unreadable placeholders (default 4096, a page). */
  chunkBytes?: number;
}

/** Bytes decoded beyond the strict minimum when walking back, so decoding has room to fall into step. */
const SYNC_SLACK_BYTES = 64;

/**
 * Instructions around `anchor` the way a DAP `disassemble` request wants them: exactly `count`
 * entries starting `instructionOffset` instructions from the anchor (negative: before it).
 * Memory that cannot be read yields `??` placeholders rather than an error, and addresses never
 * go down from one entry to the next.
 */
export async function disassembleAround(
  read: ReadMemory,
  anchor: bigint,
  instructionOffset: number,
  count: number,
  bitness: Bitness,
  opts: AroundOptions = {},
): Promise<Instruction[]> {
  checkBitness(bitness);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new HyperFrameError('BAD_ARGUMENT', `instruction count ${count} is not a non-negative integer`);
  }
  if (!Number.isSafeInteger(instructionOffset)) {
    throw new HyperFrameError('BAD_ARGUMENT', `instruction offset ${instructionOffset} is not an integer`);
  }
  if (anchor < 0n || anchor >= ADDRESS_LIMIT) {
    throw new HyperFrameError('BAD_ARGUMENT', `address ${anchor} is outside the 64-bit address space`);
  }
  const mem = new MemoryWindow(read, opts.chunkBytes);
  const out: Instruction[] = [];
  if (count === 0) return out;
  if (instructionOffset < 0) {
    const before = await decodeBackward(mem, anchor, -instructionOffset, bitness, opts);
    out.push(...before.slice(0, count));
  }
  const skip = Math.max(instructionOffset, 0);
  if (out.length < count) {
    const after = await decodeForward(mem, anchor, skip + count - out.length, bitness, opts);
    out.push(...after.slice(skip));
  }
  return out;
}

function placeholder(address: bigint, end: bigint): Instruction {
  const length = Number(end - address);
  return { address, bytes: new Uint8Array(0), length, text: '??', invalid: true, unreadable: true };
}

/** `n` entries starting at `start`. */
async function decodeForward(
  mem: MemoryWindow,
  start: bigint,
  n: number,
  bitness: Bitness,
  opts: AroundOptions,
): Promise<Instruction[]> {
  const out: Instruction[] = [];
  let at = start;
  while (out.length < n) {
    if (at >= ADDRESS_LIMIT) {
      // Past the top of the address space: nothing left to show, but the count must be met.
      out.push(placeholder(ADDRESS_LIMIT - 1n, ADDRESS_LIMIT - 1n));
      continue;
    }
    const remaining = n - out.length;
    // `remaining` instructions of at most 15 bytes each cannot run past this.
    const spanBytes = remaining * MAX_INSTRUCTION_BYTES;
    await mem.load(at, at + BigInt(spanBytes));
    if (!mem.isReadable(at)) {
      const end = mem.unreadableEndAfter(at);
      out.push(placeholder(at, end));
      at = end;
      continue;
    }
    const decoded = disassemble(mem.bytesFrom(at, spanBytes), at, bitness, { ...opts, maxInstructions: remaining });
    out.push(...decoded);
    const last = decoded[decoded.length - 1];
    at = last.address + BigInt(last.length);
  }
  return out;
}

/**
 * `n` entries ending exactly at `anchor`. x86 cannot be decoded backwards, so this decodes a
 * window before the anchor from the start that falls into step with it (see `syncedDecode`),
 * window after window, until enough entries are found; unreadable stretches become placeholders.
 */
async function decodeBackward(
  mem: MemoryWindow,
  anchor: bigint,
  n: number,
  bitness: Bitness,
  opts: AroundOptions,
): Promise<Instruction[]> {
  const pieces: Instruction[][] = [];
  let total = 0;
  let end = anchor;
  while (total < n) {
    if (end === 0n) {
      // Nothing exists below address 0; pad so the count holds and addresses stay monotonic.
      pieces.unshift(Array.from({ length: n - total }, () => placeholder(0n, 0n)));
      break;
    }
    const windowBytes = BigInt((n - total) * MAX_INSTRUCTION_BYTES + SYNC_SLACK_BYTES);
    const floor = end > windowBytes ? end - windowBytes : 0n;
    await mem.load(floor, end);
    const readableStart = mem.readableStartBefore(end, floor);
    if (readableStart === end) {
      const start = mem.unreadableStartBefore(end);
      pieces.unshift([placeholder(start, end)]);
      total += 1;
      end = start;
      continue;
    }
    const bytes = mem.bytesFrom(readableStart, Number(end - readableStart));
    const { unsynced, chain } = syncedDecode(bytes, readableStart, bitness, opts);
    if (chain.length > 0 && readableStart === floor && floor > 0n) {
      // The window, not unreadable memory, cut the run: bytes before the chain belong to
      // instructions further back, which the next window decodes.
      pieces.unshift(chain);
      total += chain.length;
      end = chain[0].address;
    } else {
      pieces.unshift([...unsynced, ...chain]);
      total += unsynced.length + chain.length;
      end = readableStart;
    }
  }
  return pieces.flat().slice(-n);
}

/**
 * Decodes `bytes` (which end where the caller's anchor begins) so that the last instruction ends
 * exactly at the end. For each offset the decoder's instruction length says where the next
 * instruction would start; walking those links from the end finds every start that lands on the
 * anchor. The earliest such start is used: it has decoded the most context and x86 decoding falls
 * into step within a few instructions, so its last instructions are the ones the code really has.
 * Bytes before that start come back as one-byte `(bad)` entries in `unsynced`.
 */
export function syncedDecode(
  bytes: Uint8Array,
  base: bigint,
  bitness: Bitness,
  opts: DisassembleOptions = {},
): { unsynced: Instruction[]; chain: Instruction[] } {
  const len = bytes.length;
  const next = new Int32Array(len).fill(-1);
  const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
  const instr = new IcedInstruction();
  try {
    for (let o = 0; o < len; o++) {
      decoder.position = o;
      decoder.decodeOut(instr);
      if (decoder.lastError !== DecoderError.NoMoreBytes) next[o] = o + instr.length;
    }
  } finally {
    instr.free();
    decoder.free();
  }
  // lands[o]: decoding from o reaches `len` exactly.
  const lands = new Uint8Array(len + 1);
  lands[len] = 1;
  let first = len;
  for (let o = len - 1; o >= 0; o--) {
    if (next[o] > o && next[o] <= len && lands[next[o]] === 1) {
      lands[o] = 1;
      first = o;
    }
  }
  const unsynced: Instruction[] = [];
  for (let o = 0; o < first; o++) {
    const at = base + BigInt(o);
    unsynced.push(invalidEntry(at, bytes.slice(o, o + 1), opts.symbolize?.(at)));
  }
  const chainOpts = { ...opts, maxInstructions: undefined };
  const chain = first < len ? disassemble(bytes.subarray(first), base + BigInt(first), bitness, chainOpts) : [];
  return { unsynced, chain };
}
