/**
 * Memory through `m` (reads) and `X`/`M` (writes), at whatever addresses the stub currently
 * understands (virtual by default; physical inside a QEMU PhyMemMode batch).
 *
 * Reads are split into chunks. Stubs may cap `m` below what PacketSize suggests (QEMU refuses more
 * than half its packet buffer with E22), so the chunk size is learned: when a read that is larger
 * than any read seen to succeed fails, and both of its halves then succeed, the failure was about
 * size, and the half becomes the new chunk size. A 1-byte probe first tells "address not readable"
 * (fails too) from "too large" without walking down by halves.
 */
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { bytesToHex, bytesToLatin1, escapedLength, hexToBytes } from './codec';
import { GdbConnection } from './connection';
import { StubError, classifyReply, replyError } from './replies';

export interface MemoryOptions {
  /** PacketSize from qSupported, if the stub gave one. */
  packetSize?: number;
  /** First `m` size to try; defaults to PacketSize/2 (the reply is hex), or 0x200 without one. */
  initialReadChunk?: number;
}

/** Room for `X<addr>,<len>:` and the frame around it. */
const WRITE_HEADER_BYTES = 32;
/** The smallest page: the unit in which a stub can fail part of a write. */
const PAGE_BYTES = 0x1000n;

/** A write the stub refused part-way: the first `bytesWritten` bytes were written. */
export class MemoryWriteError extends HyperFrameError {
  constructor(
    refusal: HyperFrameError,
    readonly bytesWritten: number,
    message: string,
  ) {
    super(refusal.code, message);
    this.name = 'MemoryWriteError';
  }
}

export class MemoryAccess {
  /** Current `m` size. */
  readChunkBytes: number;
  /** Set once a size cap was actually learned from a refusal. */
  learnedCap: number | undefined;
  /** Largest `m` size that ever succeeded: failures at or below it are about the address. */
  private confirmedBytes = 0;
  private binaryWrite: boolean | undefined;
  private readonly packetSize: number;

  constructor(
    private readonly conn: GdbConnection,
    options: MemoryOptions = {},
  ) {
    this.packetSize = options.packetSize ?? 0x400;
    this.readChunkBytes = Math.max(1, options.initialReadChunk ?? (options.packetSize ? Math.floor(options.packetSize / 2) : 0x200));
  }

  async read(addr: bigint, bytes: number): Promise<Uint8Array> {
    checkLength(bytes);
    const chunk = this.readChunkBytes;
    if (this.conn.pipelineDepth > 1 && bytes > chunk && this.confirmedBytes >= chunk) {
      // The chunk size is known to work: ask for every chunk at once and let the connection
      // pipeline them. A short answer (rare) sends the whole read down the one-by-one path.
      const sizes = Array.from({ length: Math.ceil(bytes / chunk) }, (_, i) => Math.min(chunk, bytes - i * chunk));
      const parts = await Promise.all(sizes.map((n, i) => this.readSpan(addr + BigInt(i * chunk), n)));
      if (parts.every((p, i) => p.length === sizes[i])) {
        const out = new Uint8Array(bytes);
        parts.forEach((p, i) => out.set(p, i * chunk));
        return out;
      }
    }
    const out = new Uint8Array(bytes);
    let done = 0;
    while (done < bytes) {
      const chunk = await this.readSpan(addr + BigInt(done), Math.min(bytes - done, this.readChunkBytes));
      if (chunk.length === 0) {
        throw new StubError('m', undefined, `the stub returned no data for ${hex(addr + BigInt(done))}`);
      }
      out.set(chunk.subarray(0, bytes - done), done); // a stub may return less than asked: go on from there
      done += chunk.length;
    }
    return out;
  }

  /**
   * Writes `data` at `addr`. No packet crosses a 4 KiB boundary: a stub writes page by page and
   * stops at the first page it cannot reach (QEMU), yet refuses the whole packet, so only whole
   * packets can be counted. A refusal throws a MemoryWriteError saying how many bytes landed.
   */
  async write(addr: bigint, data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    if (this.binaryWrite === undefined) this.binaryWrite = await this.probeBinaryWrite(addr);
    for (let done = 0; done < data.length; ) {
      const at = addr + BigInt(done);
      const toPageEnd = Number(PAGE_BYTES - (at % PAGE_BYTES));
      const fit = this.binaryWrite ? this.binaryChunk(data, done) : Math.min(data.length - done, Math.floor((this.packetSize - WRITE_HEADER_BYTES) / 2));
      const n = Math.min(fit, toPageEnd);
      const piece = data.subarray(done, done + n);
      const head = `${at.toString(16)},${n.toString(16)}:`;
      const packet = this.binaryWrite ? `X${head}${bytesToLatin1(piece)}` : `M${head}${bytesToHex(piece)}`;
      const reply = await this.conn.request(packet);
      const r = classifyReply(reply);
      if (r.kind !== 'ok') {
        const cause = replyError(packet.slice(0, 1 + head.length), r, `writing ${n} bytes at ${hex(at)}`);
        const landed = done ? ` (the first ${done} of ${data.length} bytes from ${hex(addr)} were written)` : '';
        throw new MemoryWriteError(cause, done, `${cause.message}${landed}`);
      }
      done += n;
    }
  }

  /** `X` with length 0 tells whether the stub takes binary writes (gdb's own probe). */
  private async probeBinaryWrite(addr: bigint): Promise<boolean> {
    const reply = await this.conn.request(`X${addr.toString(16)},0:`);
    return reply !== '';
  }

  /** How many bytes from `start` fit in one `X` packet once escaped. */
  private binaryChunk(data: Uint8Array, start: number): number {
    const budget = this.packetSize - WRITE_HEADER_BYTES;
    let n = 0;
    let size = 0;
    while (start + n < data.length) {
      const b = data[start + n];
      const cost = escapedLength(String.fromCharCode(b));
      if (size + cost > budget) break;
      size += cost;
      n++;
    }
    return Math.max(1, n);
  }

  private async readSpan(addr: bigint, bytes: number): Promise<Uint8Array> {
    const packet = `m${addr.toString(16)},${bytes.toString(16)}`;
    // An answer is the bytes in hex (a stub may give fewer) or an error: nothing else fits a read.
    const valid = (p: string): boolean => (p.length <= bytes * 2 && p.length % 2 === 0) || /^E[0-9a-fA-F]{2}$/.test(p);
    const reply = await this.conn.request(packet, { pipeline: { valid } });
    const r = classifyReply(reply);
    if (r.kind === 'data') {
      const data = hexToBytes(reply);
      if (data.length > bytes) throw new HyperFrameError('PROTOCOL', `'${packet}' returned ${data.length} bytes`);
      if (data.length === bytes) this.confirmedBytes = Math.max(this.confirmedBytes, bytes);
      return data;
    }
    const failure = replyError(packet, r, `reading ${bytes} bytes at ${hex(addr)} (${packet})`);
    if (r.kind !== 'error' || bytes <= this.confirmedBytes || bytes === 1) throw failure;
    // Too large, or not readable? A byte at the same address tells most cases apart.
    const probePacket = `m${addr.toString(16)},1`;
    const probe = classifyReply(await this.conn.request(probePacket));
    if (probe.kind !== 'data') throw replyError(probePacket, probe, `reading ${bytes} bytes at ${hex(addr)} (${probePacket})`);
    const half = Math.floor(bytes / 2);
    const first = await this.readSpan(addr, half);
    if (first.length < half) return first;
    const second = await this.readSpan(addr + BigInt(half), bytes - half);
    if (second.length === bytes - half) {
      // Both halves read where the whole did not: a size cap, not an address problem.
      this.readChunkBytes = Math.min(this.readChunkBytes, bytes - half);
      this.learnedCap = this.readChunkBytes;
    }
    const out = new Uint8Array(first.length + second.length);
    out.set(first);
    out.set(second, first.length);
    return out;
  }
}

function checkLength(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new HyperFrameError('BAD_ARGUMENT', `bad length ${bytes}`);
}
