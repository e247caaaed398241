import { elfError, ElfFields, readElfHeader, readHeaderTable, type ElfClass } from '../elf/header';
import { readExactly, type PositionalFile } from '../util/fileSource';
import { hex } from '../util/numbers';

// Section types a symbol reader needs (System V gABI).
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;

export interface SectionHeader {
  index: number;
  nameOffset: number;
  type: number;
  /** Where the section is loaded (0 in relocatable objects, whose symbols are section offsets). */
  addr: bigint;
  offset: bigint;
  sizeBytes: bigint;
  link: number;
  entsizeBytes: bigint;
}

export interface ElfSections {
  elfClass: ElfClass;
  sections: SectionHeader[];
}

/**
 * Reads the ELF header and the section header table, nothing else: a vmlinux can be hundreds of
 * megabytes and its symbols live in two sections we then read by offset.
 */
export async function readElfSections(handle: PositionalFile, fileBytes: bigint, name: string): Promise<ElfSections> {
  const { elfClass, layout: L, ehdr } = await readElfHeader(handle, fileBytes, name);
  const shoff = ehdr.word(L.shoff);
  const shentsize = ehdr.u16(L.shentsize);
  if (shoff === 0n) {
    throw elfError(name, 'no section headers, so no symbol table (stripped of sections?)');
  }
  if (shentsize !== L.shdrBytes) {
    throw elfError(name, `section header size ${shentsize} is not the ELF${elfClass} size ${L.shdrBytes}`);
  }
  // With 0xff00 or more sections, e_shnum is 0 and the count sits in section 0's sh_size.
  let count = ehdr.u16(L.shnum);
  if (count === 0) {
    if (shoff + BigInt(L.shdrBytes) > fileBytes) {
      throw elfError(name, `truncated: section header 0 at offset ${hex(shoff)} ends past the end of the file (${hex(fileBytes)} bytes)`);
    }
    count = Number(new ElfFields(await readExactly(handle, shoff, L.shdrBytes, name), elfClass).word(L.sh.size));
  }
  const table = await readHeaderTable(handle, fileBytes, name, { what: 'section headers', offset: shoff, count, entryBytes: L.shdrBytes, elfClass });
  const sections = table.map(
    (f, index): SectionHeader => ({
      index,
      nameOffset: f.u32(L.sh.name),
      type: f.u32(L.sh.type),
      addr: f.word(L.sh.addr),
      offset: f.word(L.sh.offset),
      sizeBytes: f.word(L.sh.size),
      link: f.u32(L.sh.link),
      entsizeBytes: f.word(L.sh.entsize),
    }),
  );
  return { elfClass, sections };
}
