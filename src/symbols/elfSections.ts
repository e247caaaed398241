import type { FileHandle } from 'node:fs/promises';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { readExactly } from '../memory/fileSource';

// Only what a symbol reader needs of the System V gABI: the ELF header and section headers.
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;

export type ElfClass = 32 | 64;

export interface SectionHeader {
  index: number;
  nameOffset: number;
  type: number;
  offset: bigint;
  sizeBytes: bigint;
  link: number;
  entsizeBytes: bigint;
}

export interface ElfSections {
  elfClass: ElfClass;
  sections: SectionHeader[];
}

/** Field offsets per class, from the Elf32_/Elf64_ Ehdr and Shdr layouts. */
const LAYOUT = {
  64: {
    ehdrBytes: 64,
    shoff: 40,
    shentsize: 58,
    shnum: 60,
    shdrBytes: 64,
    sh: { name: 0, type: 4, offset: 24, size: 32, link: 40, entsize: 56 },
  },
  32: {
    ehdrBytes: 52,
    shoff: 32,
    shentsize: 46,
    shnum: 48,
    shdrBytes: 40,
    sh: { name: 0, type: 4, offset: 16, size: 20, link: 24, entsize: 36 },
  },
} as const;

export function bad(name: string, why: string): HyperFrameError {
  return new HyperFrameError('BAD_FILE', `${name}: ${why}`);
}

/** Little-endian reader over one header; a "word" is 4 bytes in ELF32 and 8 in ELF64. */
export class LeFields {
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

/**
 * Reads the ELF header and the section header table, nothing else: a vmlinux can be hundreds of
 * megabytes and its symbols live in two sections we then read by offset.
 */
export async function readElfSections(handle: FileHandle, fileBytes: bigint, name: string): Promise<ElfSections> {
  const identBytes = 16;
  if (fileBytes < 4n) {
    throw bad(name, `not an ELF file (only ${fileBytes} bytes)`);
  }
  const ident = await readExactly(handle, 0n, Math.min(identBytes, Number(fileBytes)), name);
  if (!ELF_MAGIC.every((b, i) => ident[i] === b)) {
    throw bad(name, 'not an ELF file (no \\x7fELF magic)');
  }
  if (ident.length < identBytes) {
    throw bad(name, `truncated: the ELF header is cut at ${fileBytes} bytes`);
  }
  const cls = ident[4];
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) {
    throw bad(name, `unknown ELF class ${cls} (expected 1 for ELF32 or 2 for ELF64)`);
  }
  if (ident[5] !== ELFDATA2LSB) {
    throw bad(name, `ELF data encoding ${ident[5]} is not little-endian; only little-endian files are supported`);
  }
  const elfClass: ElfClass = cls === ELFCLASS64 ? 64 : 32;
  const L = LAYOUT[elfClass];
  if (fileBytes < BigInt(L.ehdrBytes)) {
    throw bad(name, `truncated: the ELF${elfClass} header needs ${L.ehdrBytes} bytes, the file has ${fileBytes}`);
  }
  const ehdr = new LeFields(await readExactly(handle, 0n, L.ehdrBytes, name), elfClass);
  const shoff = ehdr.word(L.shoff);
  const shentsize = ehdr.u16(L.shentsize);
  if (shoff === 0n) {
    throw bad(name, 'no section headers, so no symbol table (stripped of sections?)');
  }
  if (shentsize !== L.shdrBytes) {
    throw bad(name, `section header size ${shentsize} is not the ELF${elfClass} size ${L.shdrBytes}`);
  }
  const readShdr = async (index: number): Promise<LeFields> => {
    const at = shoff + BigInt(index) * BigInt(L.shdrBytes);
    if (at + BigInt(L.shdrBytes) > fileBytes) {
      throw bad(
        name,
        `truncated: section header ${index} at offset ${hex(at)} ends past the end of the file (${hex(fileBytes)} bytes)`,
      );
    }
    return new LeFields(await readExactly(handle, at, L.shdrBytes, name), elfClass);
  };

  // With 0xff00 or more sections, e_shnum is 0 and the count sits in section 0's sh_size.
  let count = ehdr.u16(L.shnum);
  if (count === 0) {
    count = Number((await readShdr(0)).word(L.sh.size));
  }
  const tableBytes = BigInt(count) * BigInt(L.shdrBytes);
  if (shoff + tableBytes > fileBytes) {
    throw bad(
      name,
      `truncated: ${count} section headers at offset ${hex(shoff)} end at ${hex(shoff + tableBytes)}, past the end of the file (${hex(fileBytes)} bytes)`,
    );
  }
  const table = await readExactly(handle, shoff, Number(tableBytes), name);
  const sections: SectionHeader[] = [];
  for (let i = 0; i < count; i++) {
    const f = new LeFields(table.subarray(i * L.shdrBytes, (i + 1) * L.shdrBytes), elfClass);
    sections.push({
      index: i,
      nameOffset: f.u32(L.sh.name),
      type: f.u32(L.sh.type),
      offset: f.word(L.sh.offset),
      sizeBytes: f.word(L.sh.size),
      link: f.u32(L.sh.link),
      entsizeBytes: f.word(L.sh.entsize),
    });
  }
  return { elfClass, sections };
}
