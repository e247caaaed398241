/**
 * Writes minimal little-endian ELF files by hand, for cases binutils will not produce on demand:
 * symbol tables placed far into a sparse file, odd types and broken links.
 */
export interface RawSym {
  name: string;
  value: bigint;
  size?: bigint;
  /** st_info: bind << 4 | type */
  info: number;
  shndx?: number;
}

export interface HandElf {
  /** The ELF header, written at offset 0. */
  head: Uint8Array;
  /** Symbol table, string table and section headers, written at `tailOffset`. */
  tail: Uint8Array;
  tailOffset: bigint;
}

export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;

export function buildElf(elfClass: 32 | 64, syms: RawSym[], tailOffset: bigint, symtabType = 2): HandElf {
  const is64 = elfClass === 64;
  const ehdrBytes = is64 ? 64 : 52;
  const shdrBytes = is64 ? 64 : 40;
  const symBytes = is64 ? 24 : 16;

  const names: number[] = [0];
  const strOffsets = syms.map((s) => {
    const at = names.length;
    names.push(...Buffer.from(s.name, 'utf8'), 0);
    return at;
  });
  const symtabSize = (syms.length + 1) * symBytes;
  const strtabAt = symtabSize;
  const shoffRel = strtabAt + names.length + ((8 - ((strtabAt + names.length) % 8)) % 8);
  const tail = new Uint8Array(shoffRel + 3 * shdrBytes);
  const t = new DataView(tail.buffer);

  syms.forEach((s, k) => {
    const at = (k + 1) * symBytes;
    const shndx = s.shndx ?? 1;
    if (is64) {
      t.setUint32(at, strOffsets[k], true);
      t.setUint8(at + 4, s.info);
      t.setUint16(at + 6, shndx, true);
      t.setBigUint64(at + 8, s.value, true);
      t.setBigUint64(at + 16, s.size ?? 0n, true);
    } else {
      t.setUint32(at, strOffsets[k], true);
      t.setUint32(at + 4, Number(s.value), true);
      t.setUint32(at + 8, Number(s.size ?? 0n), true);
      t.setUint8(at + 12, s.info);
      t.setUint16(at + 14, shndx, true);
    }
  });
  tail.set(names, strtabAt);

  const shdr = (index: number, type: number, offset: bigint, size: number, link: number, entsize: number): void => {
    const at = shoffRel + index * shdrBytes;
    t.setUint32(at + 4, type, true);
    if (is64) {
      t.setBigUint64(at + 24, offset, true);
      t.setBigUint64(at + 32, BigInt(size), true);
      t.setUint32(at + 40, link, true);
      t.setBigUint64(at + 56, BigInt(entsize), true);
    } else {
      t.setUint32(at + 16, Number(offset), true);
      t.setUint32(at + 20, size, true);
      t.setUint32(at + 24, link, true);
      t.setUint32(at + 36, entsize, true);
    }
  };
  shdr(1, symtabType, tailOffset, symtabSize, 2, symBytes);
  shdr(2, 3, tailOffset + BigInt(strtabAt), names.length, 0, 0);

  const head = new Uint8Array(ehdrBytes);
  const h = new DataView(head.buffer);
  head.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1]);
  h.setUint16(16, 2, true); // ET_EXEC
  h.setUint16(18, is64 ? 62 : 3, true);
  h.setUint32(20, 1, true);
  if (is64) {
    h.setBigUint64(40, tailOffset + BigInt(shoffRel), true);
    h.setUint16(52, ehdrBytes, true);
    h.setUint16(58, shdrBytes, true);
    h.setUint16(60, 3, true);
  } else {
    h.setUint32(32, Number(tailOffset) + shoffRel, true);
    h.setUint16(40, ehdrBytes, true);
    h.setUint16(46, shdrBytes, true);
    h.setUint16(48, 3, true);
  }
  return { head, tail, tailOffset };
}

/** Head and tail in one buffer (tail placed right after the header). */
export function flatElf(elfClass: 32 | 64, syms: RawSym[], symtabType = 2): Uint8Array {
  const offset = elfClass === 64 ? 64n : 52n;
  const { head, tail } = buildElf(elfClass, syms, offset, symtabType);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
