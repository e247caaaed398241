import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { vcpusFromNotes, type CoreVcpu } from './coreCpu';
import type { ElfClass } from '../elf/header';
import { PT_LOAD, PT_NOTE, readElfLayout, type ElfMachine } from './elfHeaders';
import { parseNotes, type ElfNote } from './elfNotes';
import { displayName, openDumpFile, readExactly, type PositionalFile } from '../util/fileSource';
import { checkRequest, formatBytes, paRange } from './format';
import type { PhysMem } from './physMem';

/** One PT_LOAD: `bytes` of physical memory from `pa`, the first `fileBytes` stored at `fileOffset`. */
export interface CoreSegment {
  pa: bigint;
  bytes: bigint;
  fileOffset: bigint;
  fileBytes: bigint;
}

/** A disjoint slice of PA space and the segment that supplies it (segments may alias, see below). */
interface Piece {
  pa: bigint;
  end: bigint;
  seg: CoreSegment;
}

/** A note segment bigger than this is not a QEMU core; refuse rather than allocate it. */
const MAX_NOTE_BYTES = 64n << 20n;

/**
 * An ELF core as QEMU's dump-guest-memory writes it (ELF32 or ELF64, little-endian x86). Memory is
 * addressed by p_paddr: p_vaddr is 0, equal to p_paddr, or (with paging dumps) a guest virtual
 * address, and is never used.
 */
export class ElfCore implements PhysMem {
  readonly kind = 'elf-core' as const;
  readonly description: string;
  private closed = false;

  private constructor(
    private readonly handle: PositionalFile,
    private readonly name: string,
    readonly elfClass: ElfClass,
    readonly machine: ElfMachine,
    readonly segments: readonly CoreSegment[],
    private readonly pieces: readonly Piece[],
    readonly notes: readonly ElfNote[],
    readonly vcpus: readonly CoreVcpu[],
  ) {
    const total = pieces.reduce((sum, p) => sum + (p.end - p.pa), 0n);
    const count = `${segments.length} segment${segments.length === 1 ? '' : 's'}`;
    this.description = `ELF${elfClass} core ${name}: ${count}, ${formatBytes(total)}`;
  }

  static async open(path: string): Promise<ElfCore> {
    const { handle, sizeBytes } = await openDumpFile(path, 'ELF core');
    try {
      return await ElfCore.fromFile(handle, sizeBytes, displayName(path));
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Reads and checks a core from an open file of `sizeBytes` (`name` for messages); `close()` closes it. */
  static async fromFile(handle: PositionalFile, sizeBytes: bigint, name: string): Promise<ElfCore> {
    const { elfClass, machine, phdrs } = await readElfLayout(handle, sizeBytes, name);
    const segments: CoreSegment[] = [];
    const notes: ElfNote[] = [];
    for (const [i, ph] of phdrs.entries()) {
      if (ph.type === PT_NOTE) {
        if (ph.filesz > MAX_NOTE_BYTES) {
          const size = formatBytes(ph.filesz);
          throw new HyperFrameError('BAD_FILE', `${name}: PT_NOTE segment ${i} claims ${size}, too large for CPU notes`);
        }
        checkInFile(name, sizeBytes, ph.offset, ph.filesz, `PT_NOTE segment ${i} (CPU notes)`);
        notes.push(...parseNotes(await readExactly(handle, ph.offset, Number(ph.filesz), name), name));
      } else if (ph.type === PT_LOAD && ph.memsz > 0n) {
        const where = `PT_LOAD segment ${i} (PA ${paRange(ph.paddr, ph.memsz)})`;
        if (ph.filesz > ph.memsz) {
          const why = `stores ${ph.filesz} bytes, more than its memory size ${ph.memsz}`;
          throw new HyperFrameError('BAD_FILE', `${name}: ${where} ${why}`);
        }
        // QEMU writes p_offset = -1 with p_filesz = 0 for memory filtered out of the dump.
        if (ph.filesz > 0n) checkInFile(name, sizeBytes, ph.offset, ph.filesz, where);
        segments.push({ pa: ph.paddr, bytes: ph.memsz, fileOffset: ph.offset, fileBytes: ph.filesz });
      }
    }
    if (segments.length === 0) {
      throw new HyperFrameError('BAD_FILE', `${name}: no PT_LOAD segments, the core holds no memory`);
    }
    const vcpus = vcpusFromNotes(notes, machine, name);
    return new ElfCore(handle, name, elfClass, machine, segments, disjointPieces(segments), notes, vcpus);
  }

  async read(pa: bigint, bytes: number): Promise<Uint8Array> {
    if (this.closed) {
      throw new HyperFrameError('BAD_ARGUMENT', `ELF core ${this.name} is closed`);
    }
    checkRequest(pa, bytes);
    const out = new Uint8Array(bytes);
    const end = pa + BigInt(bytes);
    let cur = pa;
    while (cur < end) {
      const piece = this.find(cur);
      if (piece === undefined) throw this.outOfRange(pa, bytes, cur);
      const stop = piece.end < end ? piece.end : end;
      const { seg } = piece;
      // Past p_filesz a loader would zero-fill, but QEMU writes such tails only for memory it
      // filtered out of the dump: those bytes are unknown, not zeros, and zeros shown as page
      // tables would mislead. Say so instead.
      const fileStart = cur - seg.pa;
      if (fileStart >= seg.fileBytes) {
        throw new HyperFrameError(
          'OUT_OF_RANGE',
          `PA 0x${cur.toString(16)} was not dumped: core ${this.name} records memory there (segment at 0x${seg.pa.toString(16)}) but stores only its first ${seg.fileBytes} bytes`,
        );
      }
      const fileStop = stop - seg.pa < seg.fileBytes ? stop - seg.pa : seg.fileBytes;
      const data = await readExactly(this.handle, seg.fileOffset + fileStart, Number(fileStop - fileStart), this.name);
      out.set(data, Number(cur - pa));
      cur = seg.pa + fileStop;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  /** The piece holding `pa`, by binary search over the sorted disjoint pieces. */
  private find(pa: bigint): Piece | undefined {
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = this.pieces[mid];
      if (pa < p.pa) hi = mid - 1;
      else if (pa >= p.end) lo = mid + 1;
      else return p;
    }
    return undefined;
  }

  private outOfRange(pa: bigint, bytes: number, missing: bigint): HyperFrameError {
    const below = this.pieces.filter((p) => p.end <= missing).at(-1);
    const above = this.pieces.find((p) => p.pa > missing);
    let where: string;
    const span = (p: Piece) => paRange(p.pa, p.end - p.pa);
    if (below && above) where = `a hole between ${span(below)} and ${span(above)}`;
    else if (above) where = `below the first segment, which starts at ${hex(above.pa)}`;
    else where = `past the last segment, which ends at ${hex((below?.end ?? 1n) - 1n)}`;
    return new HyperFrameError(
      'OUT_OF_RANGE',
      `physical read ${paRange(pa, BigInt(bytes))} (${bytes} bytes): PA ${hex(missing)} is not in core ${this.name} (${where})`,
    );
  }
}

function checkInFile(name: string, sizeBytes: bigint, offset: bigint, bytes: bigint, what: string): void {
  if (offset + bytes > sizeBytes) {
    throw new HyperFrameError(
      'BAD_FILE',
      `${name}: truncated: ${what} needs file bytes ${hex(offset)}..${hex(offset + bytes - 1n)} but the file ends at ${hex(sizeBytes)}`,
    );
  }
}

/**
 * Paging dumps (dump-guest-memory -p) write one PT_LOAD per virtual mapping, so several segments
 * can cover the same physical bytes. Cut PA space into disjoint pieces, each served by the first
 * segment (in PA order) that covers it; aliases hold the same bytes, so the choice is harmless.
 */
function disjointPieces(segments: readonly CoreSegment[]): Piece[] {
  const sorted = [...segments].sort((a, b) => (a.pa < b.pa ? -1 : a.pa > b.pa ? 1 : 0));
  const pieces: Piece[] = [];
  let covered = -1n;
  for (const seg of sorted) {
    const end = seg.pa + seg.bytes;
    if (end <= covered) continue;
    const start = seg.pa > covered ? seg.pa : covered;
    pieces.push({ pa: start, end, seg });
    covered = end;
  }
  return pieces;
}

/** Opens and validates a QEMU ELF core; read its `vcpus` and `segments`, `close()` when done. */
export function openElfCore(path: string): Promise<ElfCore> {
  return ElfCore.open(path);
}
