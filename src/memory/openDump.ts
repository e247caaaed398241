import { HyperFrameError } from '../util/errors';
import { ElfCore } from './elfCore';
import { hasElfMagic } from '../elf/header';
import { openDumpFile, readExactly } from '../util/fileSource';
import { RawImage } from './rawImage';

/** What `openDump` returns: switch on `kind` ('elf-core' | 'raw'). */
export type Dump = ElfCore | RawImage;

export interface OpenDumpOptions {
  /** Treat the file as a raw physical image even if it starts like an ELF file. */
  raw?: boolean;
  /** PA of the raw image's first byte (raw images only). */
  base?: bigint;
}

const KDUMP_MAGIC = 'KDUMP   '; // QEMU's dump-guest-memory -z/-l/-s (kdump-compressed) format

/**
 * Opens a dump file by its content: an ELF core by its magic; a raw image only when asked, since
 * any file "is" a raw image and guessing would turn a wrong file into garbage page tables. An
 * explicit `raw` wins over the magic.
 */
export async function openDump(path: string, options: OpenDumpOptions = {}): Promise<Dump> {
  if (options.raw) return RawImage.open(path, { base: options.base });

  const { handle, sizeBytes } = await openDumpFile(path, 'dump');
  let head: Uint8Array;
  try {
    head = await readExactly(handle, 0n, Number(sizeBytes < 8n ? sizeBytes : 8n), path);
  } finally {
    await handle.close();
  }
  if (hasElfMagic(head)) {
    if (options.base !== undefined) {
      throw new HyperFrameError('BAD_ARGUMENT', `'${path}' is an ELF core: a base address applies only to raw images`);
    }
    return ElfCore.open(path);
  }
  if (new TextDecoder('latin1').decode(head) === KDUMP_MAGIC) {
    throw new HyperFrameError(
      'BAD_FILE',
      `'${path}' is a kdump-compressed dump, which is not supported: write an ELF core (dump-guest-memory without -z, -l or -s)`,
    );
  }
  const bytes = [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new HyperFrameError(
    'BAD_FILE',
    `'${path}' is not an ELF core (starts with ${bytes || 'nothing: empty file'}); if it is a raw physical memory image, open it with --raw`,
  );
}
