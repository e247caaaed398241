import type { FileHandle } from 'node:fs/promises';
import { HyperFrameError } from '../util/errors';
import { displayName, openDumpFile, readExactly } from '../util/fileSource';
import { checkRequest, formatBytes, paRange } from './format';
import type { PhysMem } from './physMem';

export interface RawImageOptions {
  /** The physical address of file offset 0 (default 0). */
  base?: bigint;
}

/**
 * A raw physical memory image: byte N of the file is PA base+N, with no header. The file size
 * fixes what the image holds. Read-only: no front end offers to change a dump.
 */
export class RawImage implements PhysMem {
  readonly kind = 'raw' as const;
  readonly description: string;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly name: string,
    readonly base: bigint,
    readonly sizeBytes: bigint,
  ) {
    const where = sizeBytes === 0n ? 'empty' : `PA ${paRange(base, sizeBytes)}`;
    this.description = `raw image ${name}: ${formatBytes(sizeBytes)}, ${where}`;
  }

  static async open(path: string, options: RawImageOptions = {}): Promise<RawImage> {
    const base = options.base ?? 0n;
    if (base < 0n) {
      throw new HyperFrameError('BAD_ARGUMENT', `raw image base ${base} is negative`);
    }
    const { handle, sizeBytes } = await openDumpFile(path, 'raw image');
    return new RawImage(handle, displayName(path), base, sizeBytes);
  }

  async read(pa: bigint, bytes: number): Promise<Uint8Array> {
    const offset = this.locate(pa, bytes);
    return bytes === 0 ? new Uint8Array(0) : readExactly(this.handle, offset, bytes, this.name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  /** The file offset of `pa`, after checking that [pa, pa+bytes) lies wholly inside the image. */
  private locate(pa: bigint, bytes: number): bigint {
    if (this.closed) {
      throw new HyperFrameError('BAD_ARGUMENT', `raw image ${this.name} is closed`);
    }
    checkRequest(pa, bytes);
    const end = pa + BigInt(bytes);
    if (pa < this.base || end > this.base + this.sizeBytes) {
      const holds = this.sizeBytes === 0n ? 'nothing (empty file)' : `PA ${paRange(this.base, this.sizeBytes)}`;
      throw new HyperFrameError(
        'OUT_OF_RANGE',
        `physical read ${paRange(pa, BigInt(bytes))} (${bytes} bytes) is outside raw image ${this.name}, which holds ${holds}`,
      );
    }
    return pa - this.base;
  }
}

/** Opens a raw image; see RawImageOptions. */
export function openRawImage(path: string, options: RawImageOptions = {}): Promise<RawImage> {
  return RawImage.open(path, options);
}
