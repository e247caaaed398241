import type { FileHandle } from 'node:fs/promises';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { readExactly } from './fileSource';

// ELF constants (System V gABI), only those a QEMU x86 core uses.
export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ET_CORE = 4;
export const EM_386 = 3;
export const EM_X86_64 = 62;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
/** e_phnum value meaning "too many: the real count is in section header 0's sh_info". */
const PN_XNUM = 0xffff;

export type ElfClass = 32 | 64;
export type ElfMachine = 'x86_64' | 'i386';

export interface ProgramHeader {
  type: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
}

export interface ElfLayout {
  elfClass: ElfClass;
  machine: ElfMachine;
  phdrs: ProgramHeader[];
}

/** Little-endian field access on a header buffer; a class-sized "word" is 4 or 8 bytes. */
class Fields {
  private readonly dv: DataView;
  constructor(
    buf: Uint8Array,
    private readonly elfClass: ElfClass,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u16(off: number): number {
    return this.dv.getUint16(off, true);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, true);
  }
  /** An address or offset: Elf32_Addr/Off are 4 bytes, Elf64_Addr/Off 8. */
  word(off: number): bigint {
    return this.elfClass === 64 ? this.dv.getBigUint64(off, true) : BigInt(this.dv.getUint32(off, true));
  }
}

/** Byte offsets of the fields we read, per class (from the gABI structure layouts). */
const LAYOUT = {
  64: {
    ehdrBytes: 64,
    phoff: 32,
    shoff: 40,
    phentsize: 54,
    phnum: 56,
    phdrBytes: 56,
    shdrBytes: 64,
    shInfo: 44,
    ph: { type: 0, offset: 8, vaddr: 16, paddr: 24, filesz: 32, memsz: 40 },
  },
  32: {
    ehdrBytes: 52,
    phoff: 28,
    shoff: 32,
    phentsize: 42,
    phnum: 44,
    phdrBytes: 32,
    shdrBytes: 40,
    shInfo: 28,
    ph: { type: 0, offset: 4, vaddr: 8, paddr: 12, filesz: 16, memsz: 20 },
  },
} as const;

function bad(name: string, why: string): HyperFrameError {
  return new HyperFrameError('BAD_FILE', `${name}: ${why}`);
}

export function hasElfMagic(head: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => head[i] === b);
}

/**
 * Reads and validates the ELF header and program header table of an x86 core. Every range is
 * checked against the file size first so a cut file reports what is missing instead of reading
 * garbage.
 */
export async function readElfLayout(handle: FileHandle, sizeBytes: bigint, name: string): Promise<ElfLayout> {
  const identBytes = 16n;
  if (sizeBytes < 4n) {
    throw bad(name, `not an ELF file (only ${sizeBytes} bytes)`);
  }
  const ident = await readExactly(handle, 0n, Number(sizeBytes < identBytes ? sizeBytes : identBytes), name);
  if (!hasElfMagic(ident)) {
    throw bad(name, 'not an ELF file (no \\x7fELF magic)');
  }
  if (sizeBytes < identBytes) {
    throw bad(name, `truncated: the ELF header is cut at ${sizeBytes} bytes`);
  }
  const cls = ident[4];
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) {
    throw bad(name, `unknown ELF class ${cls} (expected 1 for ELF32 or 2 for ELF64)`);
  }
  if (ident[5] !== ELFDATA2LSB) {
    throw bad(name, `ELF data encoding ${ident[5]} is not little-endian; only little-endian x86 cores are supported`);
  }
  const elfClass: ElfClass = cls === ELFCLASS64 ? 64 : 32;
  const L = LAYOUT[elfClass];
  if (sizeBytes < BigInt(L.ehdrBytes)) {
    throw bad(name, `truncated: the ELF${elfClass} header needs ${L.ehdrBytes} bytes, the file has ${sizeBytes}`);
  }
  const ehdr = new Fields(await readExactly(handle, 0n, L.ehdrBytes, name), elfClass);

  const type = ehdr.u16(16);
  if (type !== ET_CORE) {
    throw bad(name, `ELF type ${type} is not a core dump (ET_CORE = 4); is this an executable or object file?`);
  }
  const em = ehdr.u16(18);
  if (em !== EM_X86_64 && em !== EM_386) {
    throw bad(name, `ELF machine ${em} is not x86 (EM_X86_64 = 62 or EM_386 = 3)`);
  }
  const machine: ElfMachine = em === EM_X86_64 ? 'x86_64' : 'i386';

  const phoff = ehdr.word(L.phoff);
  const phentsize = ehdr.u16(L.phentsize);
  let phnum = ehdr.u16(L.phnum);
  if (phnum === PN_XNUM) {
    phnum = await readExtendedPhnum(handle, sizeBytes, name, ehdr.word(L.shoff), elfClass);
  }
  if (phnum === 0) {
    throw bad(name, 'no program headers: the core holds no memory');
  }
  if (phentsize !== L.phdrBytes) {
    throw bad(name, `program header size ${phentsize} is not the ELF${elfClass} size ${L.phdrBytes}`);
  }
  const tableBytes = BigInt(phnum) * BigInt(L.phdrBytes);
  if (phoff + tableBytes > sizeBytes) {
    throw bad(
      name,
      `truncated: ${phnum} program headers at offset ${hex(phoff)} end at ${hex(phoff + tableBytes)}, past the end of the file (${hex(sizeBytes)} bytes)`,
    );
  }
  const table = await readExactly(handle, phoff, Number(tableBytes), name);
  const phdrs: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const f = new Fields(table.subarray(i * L.phdrBytes, (i + 1) * L.phdrBytes), elfClass);
    phdrs.push({
      type: f.u32(L.ph.type),
      offset: f.word(L.ph.offset),
      vaddr: f.word(L.ph.vaddr),
      paddr: f.word(L.ph.paddr),
      filesz: f.word(L.ph.filesz),
      memsz: f.word(L.ph.memsz),
    });
  }
  return { elfClass, machine, phdrs };
}

/** With more than 0xfffe program headers the count lives in section header 0 (as QEMU writes it). */
async function readExtendedPhnum(
  handle: FileHandle,
  sizeBytes: bigint,
  name: string,
  shoff: bigint,
  elfClass: ElfClass,
): Promise<number> {
  const L = LAYOUT[elfClass];
  if (shoff === 0n || shoff + BigInt(L.shdrBytes) > sizeBytes) {
    throw bad(name, `e_phnum is PN_XNUM but section header 0 (at ${hex(shoff)}) is missing or cut`);
  }
  const shdr = new Fields(await readExactly(handle, shoff, L.shdrBytes, name), elfClass);
  return shdr.u32(L.shInfo);
}
