import { hex } from '../util/numbers';
import { displayName, openDumpFile, readExactly, type PositionalFile } from '../util/fileSource';
import { elfError, ElfFields, type ElfClass } from '../elf/header';
import { readElfSections, SHT_DYNSYM, SHT_NOBITS, SHT_STRTAB, SHT_SYMTAB, type SectionHeader } from './elfSections';
import { biasedEnd, SymbolTable } from './symbolTable';
import type { Sym, SymBinding, SymType } from './types';

// st_info = bind << 4 | type (gABI). GNU_IFUNC is code the loader resolves: a function for us.
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const STB_LOCAL = 0;
const STB_WEAK = 2;
const SHN_UNDEF = 0;
/** Section indexes from here up are special (SHN_LORESERVE); ABS is one of them. */
const SHN_LORESERVE = 0xff00;
const SHN_ABS = 0xfff1;

/** Elf32_Sym / Elf64_Sym field offsets (the two classes order the fields differently). */
const SYM_LAYOUT = {
  64: { bytes: 24, name: 0, info: 4, shndx: 6, value: 8, size: 16 },
  32: { bytes: 16, name: 0, value: 4, size: 8, info: 12, shndx: 14 },
} as const;

export interface LoadElfSymbolsOptions {
  /** Added to every symbol value: where a relocated kernel or a module was actually loaded. */
  bias?: bigint;
  /** The image name recorded on each symbol (default: the file's base name). */
  module?: string;
}

/**
 * Loads the symbols of an ELF32/ELF64 little-endian file (executable, shared object or relocatable
 * object). Reads the headers, `.symtab` (or `.dynsym` when stripped to dynamic symbols only) and
 * its string table by position, never the whole file.
 */
export async function loadElfSymbols(path: string, opts: LoadElfSymbolsOptions = {}): Promise<SymbolTable> {
  const { handle, sizeBytes } = await openDumpFile(path, 'ELF file');
  try {
    return await readElfSymbols(handle, sizeBytes, displayName(path), opts);
  } finally {
    await handle.close();
  }
}

/** `loadElfSymbols` on a file already open (`name` for messages); the caller closes it. */
export async function readElfSymbols(handle: PositionalFile, sizeBytes: bigint, name: string, opts: LoadElfSymbolsOptions = {}): Promise<SymbolTable> {
  const { elfClass, sections } = await readElfSections(handle, sizeBytes, name);
  const symtab =
    sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
  if (!symtab) {
    throw elfError(
      name,
      'no symbol table (.symtab or .dynsym): the file looks stripped; load the unstripped image (e.g. xen-syms rather than xen.gz, vmlinux rather than bzImage)',
    );
  }
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SHT_STRTAB) {
    throw elfError(
      name,
      `symbol table section ${symtab.index} links to section ${symtab.link}, which is not a string table`,
    );
  }
  const L = SYM_LAYOUT[elfClass];
  if (symtab.entsizeBytes !== BigInt(L.bytes)) {
    throw elfError(name, `symbol entry size ${symtab.entsizeBytes} is not the ELF${elfClass} size ${L.bytes}`);
  }
  const read = async (s: SectionHeader, what: string): Promise<Uint8Array> => {
    if (s.type === SHT_NOBITS) {
      throw elfError(name, `the ${what} (section ${s.index}) has no contents in the file`);
    }
    if (s.offset + s.sizeBytes > sizeBytes) {
      throw elfError(
        name,
        `truncated: the ${what} (section ${s.index}, ${s.sizeBytes} bytes at ${hex(s.offset)}) ends past the end of the file (${hex(sizeBytes)} bytes)`,
      );
    }
    if (s.sizeBytes > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw elfError(name, `the ${what} claims an impossible size ${s.sizeBytes}`);
    }
    return readExactly(handle, s.offset, Number(s.sizeBytes), name);
  };
  const symBytes = await read(symtab, 'symbol table');
  const strBytes = await read(strtab, 'string table');
  const syms = parseSymbols(symBytes, strBytes, elfClass, name, opts.module ?? name, opts.bias ?? 0n, sections);
  return SymbolTable.from(syms);
}

/** Decodes symbol entries, keeping the ones an address can usefully resolve to. */
function parseSymbols(
  symBytes: Uint8Array,
  strBytes: Uint8Array,
  elfClass: ElfClass,
  fileName: string,
  module: string,
  bias: bigint,
  sections: readonly SectionHeader[],
): Sym[] {
  const L = SYM_LAYOUT[elfClass];
  const strings = Buffer.from(strBytes.buffer, strBytes.byteOffset, strBytes.byteLength);
  const out: Sym[] = [];
  const count = Math.floor(symBytes.length / L.bytes);
  const f = new ElfFields(symBytes, elfClass);
  // Entry 0 is the reserved null symbol.
  for (let i = 1; i < count; i++) {
    const at = i * L.bytes;
    const info = f.u8(at + L.info);
    const type = symType(info & 0xf);
    const value = f.word(at + L.value);
    const shndx = f.u16(at + L.shndx);
    if (type === undefined || value === 0n || shndx === SHN_UNDEF) {
      continue;
    }
    const nameOffset = f.u32(at + L.name);
    if (nameOffset >= strings.length) {
      throw elfError(fileName, `symbol ${i} names string offset ${nameOffset}, past the string table (${strings.length} bytes)`);
    }
    const end = strings.indexOf(0, nameOffset);
    const name = strings.toString('utf8', nameOffset, end < 0 ? strings.length : end);
    // `$x`/`$d` are mapping symbols (ARM, RISC-V), not names anyone looks for.
    if (name === '' || name.startsWith('$')) {
      continue;
    }
    out.push({
      name,
      va: wrap64(value + bias),
      sizeBytes: f.word(at + L.size),
      type,
      binding: symBinding(info >> 4),
      module,
      ...extentOf(shndx, value, sections, bias),
    });
  }
  return out;
}

/**
 * What bounds a symbol's reach: its section's end, or its being absolute (in no section). A
 * section that does not hold the value (COMMON, XINDEX, a malformed index) bounds nothing.
 */
function extentOf(shndx: number, value: bigint, sections: readonly SectionHeader[], bias: bigint): Pick<Sym, 'sectionEndVa' | 'absolute'> {
  if (shndx === SHN_ABS) return { absolute: true };
  const section = shndx < SHN_LORESERVE ? sections[shndx] : undefined;
  const end = section ? section.addr + section.sizeBytes : 0n;
  // A label may sit right at its section's end (_etext): it names only itself then.
  return section && value >= section.addr && value <= end ? { sectionEndVa: biasedEnd(end, bias) } : {};
}

function symType(stt: number): SymType | undefined {
  switch (stt) {
    case STT_FUNC:
    case STT_GNU_IFUNC:
      return 'func';
    case STT_OBJECT:
      return 'object';
    case STT_NOTYPE:
      return 'notype';
    default:
      return undefined; // section, file, common, TLS: not addresses
  }
}

function symBinding(stb: number): SymBinding {
  if (stb === STB_LOCAL) return 'local';
  if (stb === STB_WEAK) return 'weak';
  return 'global'; // GLOBAL and GNU_UNIQUE
}

/** Bias arithmetic wraps like the address space does (a negative bias is a large one). */
function wrap64(v: bigint): bigint {
  return BigInt.asUintN(64, v);
}
