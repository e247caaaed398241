import { ELF_LAYOUT, elfError, ElfFields, readElfHeader, readHeaderTable, type ElfClass } from '../elf/header';
import { hex } from '../util/numbers';
import { readExactly, type PositionalFile } from '../util/fileSource';

// ELF constants (System V gABI) a QEMU x86 core uses.
const ET_CORE = 4;
const EM_386 = 3;
const EM_X86_64 = 62;
export const PT_LOAD = 1;
export const PT_NOTE = 4;
/** e_phnum value meaning "too many: the real count is in section header 0's sh_info". */
const PN_XNUM = 0xffff;

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

/** Reads and validates the ELF header and program header table of an x86 core. */
export async function readElfLayout(handle: PositionalFile, sizeBytes: bigint, name: string): Promise<ElfLayout> {
  const { elfClass, layout: L, ehdr } = await readElfHeader(handle, sizeBytes, name);
  const type = ehdr.u16(16);
  if (type !== ET_CORE) {
    throw elfError(name, `ELF type ${type} is not a core dump (ET_CORE = 4); is this an executable or object file?`);
  }
  const em = ehdr.u16(18);
  if (em !== EM_X86_64 && em !== EM_386) {
    throw elfError(name, `ELF machine ${em} is not x86 (EM_X86_64 = 62 or EM_386 = 3)`);
  }
  const machine: ElfMachine = em === EM_X86_64 ? 'x86_64' : 'i386';

  const phentsize = ehdr.u16(L.phentsize);
  let phnum = ehdr.u16(L.phnum);
  if (phnum === PN_XNUM) {
    phnum = await readExtendedPhnum(handle, sizeBytes, name, ehdr.word(L.shoff), elfClass);
  }
  if (phnum === 0) {
    throw elfError(name, 'no program headers: the core holds no memory');
  }
  if (phentsize !== L.phdrBytes) {
    throw elfError(name, `program header size ${phentsize} is not the ELF${elfClass} size ${L.phdrBytes}`);
  }
  const table = await readHeaderTable(handle, sizeBytes, name, { what: 'program headers', offset: ehdr.word(L.phoff), count: phnum, entryBytes: L.phdrBytes, elfClass });
  const phdrs = table.map(
    (f): ProgramHeader => ({
      type: f.u32(L.ph.type),
      offset: f.word(L.ph.offset),
      vaddr: f.word(L.ph.vaddr),
      paddr: f.word(L.ph.paddr),
      filesz: f.word(L.ph.filesz),
      memsz: f.word(L.ph.memsz),
    }),
  );
  return { elfClass, machine, phdrs };
}

/** With more than 0xfffe program headers the count lives in section header 0 (as QEMU writes it). */
async function readExtendedPhnum(handle: PositionalFile, sizeBytes: bigint, name: string, shoff: bigint, elfClass: ElfClass): Promise<number> {
  const { shdrBytes, sh } = ELF_LAYOUT[elfClass];
  if (shoff === 0n || shoff + BigInt(shdrBytes) > sizeBytes) {
    throw elfError(name, `e_phnum is PN_XNUM but section header 0 (at ${hex(shoff)}) is missing or cut`);
  }
  return new ElfFields(await readExactly(handle, shoff, shdrBytes, name), elfClass).u32(sh.info);
}
