/**
 * What the ELF readers share (System V gABI): identification checks, little-endian field access
 * and the per-class layouts of the ELF header, program headers and section headers. The core
 * reader (memory/elfHeaders) wants program headers, the symbol reader (symbols/elfSections)
 * section headers; both start here.
 */
import { readExactly, type PositionalFile } from '../util/fileSource';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const IDENT_BYTES = 16;

export type ElfClass = 32 | 64;

/** Byte offsets of the fields read, per class (the Elf32_/Elf64_ Ehdr, Phdr and Shdr layouts). */
export const ELF_LAYOUT = {
  64: {
    ehdrBytes: 64,
    phoff: 32,
    shoff: 40,
    phentsize: 54,
    phnum: 56,
    shentsize: 58,
    shnum: 60,
    phdrBytes: 56,
    shdrBytes: 64,
    ph: { type: 0, offset: 8, vaddr: 16, paddr: 24, filesz: 32, memsz: 40 },
    sh: { name: 0, type: 4, addr: 16, offset: 24, size: 32, link: 40, info: 44, entsize: 56 },
  },
  32: {
    ehdrBytes: 52,
    phoff: 28,
    shoff: 32,
    phentsize: 42,
    phnum: 44,
    shentsize: 46,
    shnum: 48,
    phdrBytes: 32,
    shdrBytes: 40,
    ph: { type: 0, offset: 4, vaddr: 8, paddr: 12, filesz: 16, memsz: 20 },
    sh: { name: 0, type: 4, addr: 12, offset: 16, size: 20, link: 24, info: 28, entsize: 36 },
  },
} as const;

export type ElfLayout = (typeof ELF_LAYOUT)[ElfClass];

/** A malformed file, named. */
export function elfError(name: string, why: string): HyperFrameError {
  return new HyperFrameError('BAD_FILE', `${name}: ${why}`);
}

export function hasElfMagic(head: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => head[i] === b);
}

/** Little-endian reader over one header; a "word" (Addr, Off, Xword) is 4 bytes in ELF32, 8 in ELF64. */
export class ElfFields {
  private readonly dv: DataView;
  constructor(
    buf: Uint8Array,
    private readonly elfClass: ElfClass,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8(off: number): number {
    return this.dv.getUint8(off);
  }
  u16(off: number): number {
    return this.dv.getUint16(off, true);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, true);
  }
  word(off: number): bigint {
    return this.elfClass === 64 ? this.dv.getBigUint64(off, true) : BigInt(this.dv.getUint32(off, true));
  }
}

export interface ElfHeader {
  elfClass: ElfClass;
  layout: ElfLayout;
  ehdr: ElfFields;
}

/**
 * Reads and checks the identification and the ELF header of a little-endian file. Every range is
 * checked against the file size first so that a cut file says what is missing.
 */
export async function readElfHeader(handle: PositionalFile, fileBytes: bigint, name: string): Promise<ElfHeader> {
  if (fileBytes < 4n) throw elfError(name, `not an ELF file (only ${fileBytes} bytes)`);
  const ident = await readExactly(handle, 0n, Math.min(IDENT_BYTES, Number(fileBytes)), name);
  if (!hasElfMagic(ident)) throw elfError(name, 'not an ELF file (no \\x7fELF magic)');
  if (ident.length < IDENT_BYTES) throw elfError(name, `truncated: the ELF header is cut at ${fileBytes} bytes`);
  const cls = ident[4];
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) throw elfError(name, `unknown ELF class ${cls} (expected 1 for ELF32 or 2 for ELF64)`);
  if (ident[5] !== ELFDATA2LSB) throw elfError(name, `ELF data encoding ${ident[5]} is not little-endian; only little-endian files are supported`);
  const elfClass: ElfClass = cls === ELFCLASS64 ? 64 : 32;
  const layout = ELF_LAYOUT[elfClass];
  if (fileBytes < BigInt(layout.ehdrBytes)) {
    throw elfError(name, `truncated: the ELF${elfClass} header needs ${layout.ehdrBytes} bytes, the file has ${fileBytes}`);
  }
  return { elfClass, layout, ehdr: new ElfFields(await readExactly(handle, 0n, layout.ehdrBytes, name), elfClass) };
}

/**
 * Reads a table of `count` headers of `entryBytes` at `offset` (program or section headers) and
 * splits it, after checking that it lies inside the file.
 */
export async function readHeaderTable(
  handle: PositionalFile,
  fileBytes: bigint,
  name: string,
  table: { what: string; offset: bigint; count: number; entryBytes: number; elfClass: ElfClass },
): Promise<ElfFields[]> {
  const { what, offset, count, entryBytes, elfClass } = table;
  const tableBytes = BigInt(count) * BigInt(entryBytes);
  if (offset + tableBytes > fileBytes) {
    throw elfError(name, `truncated: ${count} ${what} at offset ${hex(offset)} end at ${hex(offset + tableBytes)}, past the end of the file (${hex(fileBytes)} bytes)`);
  }
  const bytes = await readExactly(handle, offset, Number(tableBytes), name);
  return Array.from({ length: count }, (_, i) => new ElfFields(bytes.subarray(i * entryBytes, (i + 1) * entryBytes), elfClass));
}
