import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { HyperFrameError } from './errors';
import { hex } from './numbers';

/**
 * What the dump and ELF readers need of an open file: positional reads and a close. A FileHandle
 * is one; bytes held in memory can be another (the fuzz tests read thousands of files a second).
 */
export interface PositionalFile {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** An open dump file: the handle for positional reads, and its size when opened. */
export interface OpenedFile {
  handle: FileHandle;
  sizeBytes: bigint;
}

/** Plain words for the errno values a user can act on; anything else keeps Node's code. */
function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'EROFS':
      return 'read-only file system';
    default:
      return code ?? String(e);
  }
}

/**
 * Opens a dump file for positional reads. `what` names the kind of file in messages
 * ("raw image", "ELF core"). Only regular files: their size is known and fixed, which the range
 * checks rely on.
 */
export async function openDumpFile(path: string, what: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw new HyperFrameError('BAD_FILE', `cannot open ${what} '${path}': ${describeErrno(e)}`);
  }
  try {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile()) {
      throw new HyperFrameError('BAD_FILE', `cannot open ${what} '${path}': not a regular file`);
    }
    return { handle, sizeBytes: st.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Reads exactly `bytes` at file offset `offset`. A short read means the file shrank after we
 * checked its size: that is reported as a bad file, not returned as partial data.
 */
export async function readExactly(
  handle: PositionalFile,
  offset: bigint,
  bytes: number,
  fileName: string,
): Promise<Uint8Array> {
  const buf = new Uint8Array(bytes);
  let done = 0;
  while (done < bytes) {
    const { bytesRead } = await handle.read(buf, done, bytes - done, Number(offset) + done);
    if (bytesRead === 0) {
      throw new HyperFrameError(
        'BAD_FILE',
        `${fileName}: unexpected end of file at offset ${hex(offset + BigInt(done))} (was the file truncated while open?)`,
      );
    }
    done += bytesRead;
  }
  return buf;
}

/** The name shown to users: the file's base name, not its full path. */
export function displayName(path: string): string {
  return basename(path);
}
