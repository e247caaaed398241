import { PartialWriteError } from '../target/errors';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';

export { ADDRESS_LIMIT, type AddressSpace, formatMemoryRef, type MemoryRef, parseMemoryRef, physicalRef, virtualRef } from '../shared/memoryReference';
import { ADDRESS_LIMIT, type AddressSpace, formatMemoryRef, type MemoryRef } from '../shared/memoryReference';

/** The reference moved by a signed byte offset; refuses to leave the 64-bit address space. */
export function offsetRef(ref: MemoryRef, offset: number | bigint | undefined): MemoryRef {
  if (!offset) return ref;
  const address = ref.address + BigInt(offset);
  if (address < 0n || address >= ADDRESS_LIMIT) {
    throw new HyperFrameError('BAD_ARGUMENT', `${formatMemoryRef(ref)} ${BigInt(offset) < 0n ? '-' : '+'} ${hex(BigInt(offset) < 0n ? -BigInt(offset) : BigInt(offset))} leaves the 64-bit address space`);
  }
  return { space: ref.space, address };
}

export function describeSpace(space: AddressSpace): string {
  return space.kind === 'physical' ? 'physical memory' : `virtual memory of vCPU ${space.vcpu}`;
}

/** What reading and writing a memory reference needs of the target. */
export interface SpaceMemory {
  readVirtual(vcpu: number, va: bigint, bytes: number): Promise<Uint8Array>;
  writeVirtual(vcpu: number, va: bigint, data: Uint8Array): Promise<void>;
  writePhysical(pa: bigint, data: Uint8Array): Promise<void>;
  physicalBatch<T>(fn: () => Promise<T>): Promise<T>;
  readonly phys: { read(pa: bigint, bytes: number): Promise<Uint8Array> };
}

/** The largest single read we serve: VS Code's views ask for a page or a few at a time. */
export const MAX_READ_BYTES = 16 << 20;
const PAGE = 0x1000n;

export interface PartialRead {
  /** The readable prefix. */
  data: Uint8Array;
  /** Bytes after the prefix that could not be read (the prefix ended at an unmapped page, …). */
  unreadableBytes: number;
  /** Why the read stopped short, when it did. */
  error?: string;
}

/**
 * Reads `count` bytes at `address` of `space`, returning the readable prefix rather than failing
 * on an unmapped tail: one read for the whole span first, then page by page up to the first page
 * that cannot be read.
 */
export async function readSpace(mem: SpaceMemory, space: AddressSpace, address: bigint, count: number): Promise<PartialRead> {
  if (!Number.isSafeInteger(count) || count < 0) throw new HyperFrameError('BAD_ARGUMENT', `bad byte count ${count}`);
  if (count > MAX_READ_BYTES) throw new HyperFrameError('BAD_ARGUMENT', `${count} bytes is more than one read serves (${MAX_READ_BYTES}): read in pieces`);
  const limit = ADDRESS_LIMIT - address;
  const inRange = BigInt(count) > limit ? Number(limit) : count;
  const read = (at: bigint, n: number): Promise<Uint8Array> =>
    space.kind === 'physical' ? mem.phys.read(at, n) : mem.readVirtual(space.vcpu, at, n);
  const run = async (): Promise<PartialRead> => {
    if (inRange === 0) return { data: new Uint8Array(0), unreadableBytes: count };
    try {
      const data = await read(address, inRange);
      return { data, unreadableBytes: count - inRange };
    } catch (first) {
      if (!isUnreadable(first)) throw first;
      const parts: Uint8Array[] = [];
      let done = 0;
      let error = first instanceof Error ? first.message : String(first);
      while (done < inRange) {
        const at = address + BigInt(done);
        const n = Math.min(inRange - done, Number(PAGE - (at % PAGE)));
        try {
          parts.push(await read(at, n));
          done += n;
        } catch (e) {
          if (!isUnreadable(e)) throw e;
          error = e instanceof Error ? e.message : String(e);
          break;
        }
      }
      const data = new Uint8Array(done);
      let o = 0;
      for (const p of parts) {
        data.set(p, o);
        o += p.length;
      }
      return { data, unreadableBytes: count - done, error };
    }
  };
  return space.kind === 'physical' ? mem.physicalBatch(run) : run();
}

/**
 * Whether a failed read means "this memory cannot be read" (the stub's E14, outside a dump's
 * segments, no translation) rather than a problem with the request or the connection.
 */
function isUnreadable(e: unknown): boolean {
  if (!(e instanceof HyperFrameError)) return true;
  if (e.code === 'OUT_OF_RANGE') return true;
  return e.code === 'TARGET' && e.name === 'StubError';
}

export interface SpaceWrite {
  /** Bytes written from the start: all of them, or the prefix before the first refused page. */
  bytesWritten: number;
  /** Why the write stopped short, when it did. */
  error?: string;
}

/**
 * Writes `data` at `address` of `space` (physical writes in one physical batch). Unless `partial`,
 * a virtual range is first probed page by page, so that a range that is not mapped throughout is
 * refused before any byte is written (DAP's writeMemory without allowPartial). A write the target
 * still refuses part-way reports the prefix that was written rather than failing as if nothing had.
 */
export async function writeSpace(mem: SpaceMemory, space: AddressSpace, address: bigint, data: Uint8Array, partial = false): Promise<SpaceWrite> {
  if (address + BigInt(data.length) > ADDRESS_LIMIT) throw new HyperFrameError('BAD_ARGUMENT', `a write of ${data.length} bytes at ${hex(address)} leaves the 64-bit address space`);
  if (space.kind === 'virtual' && !partial) await probePages(mem, space.vcpu, address, data.length);
  try {
    if (space.kind === 'physical') await mem.physicalBatch(() => mem.writePhysical(address, data));
    else await mem.writeVirtual(space.vcpu, address, data);
    return { bytesWritten: data.length };
  } catch (e) {
    if (e instanceof PartialWriteError && e.bytesWritten > 0) return { bytesWritten: e.bytesWritten, error: e.message };
    throw e;
  }
}

/** Reads one byte of every page of [va, va+bytes): throws, naming the first page that cannot be reached. */
async function probePages(mem: SpaceMemory, vcpu: number, va: bigint, bytes: number): Promise<void> {
  const end = va + BigInt(bytes);
  for (let at = va; at < end; at = (at / PAGE + 1n) * PAGE) {
    try {
      await mem.readVirtual(vcpu, at, 1);
    } catch (e) {
      if (!isUnreadable(e)) throw e;
      const why = e instanceof Error ? e.message : String(e);
      throw new HyperFrameError('TARGET', `nothing written: ${hex(at)} in the ${bytes}-byte range at ${hex(va)} cannot be reached on vCPU ${vcpu} (${why})`);
    }
  }
}
