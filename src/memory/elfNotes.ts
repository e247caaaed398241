import { HyperFrameError } from '../util/errors';

/** One ELF note: its owner name (without the trailing NUL), type and descriptor bytes. */
export interface ElfNote {
  name: string;
  type: number;
  desc: Uint8Array;
}

const NOTE_HEADER_BYTES = 12; // n_namesz, n_descsz, n_type: three 32-bit words in ELF32 and ELF64

/** Rounds up to 4 in plain arithmetic: sizes are 32-bit unsigned, past what `&` keeps. */
const align4 = (n: number): number => Math.ceil(n / 4) * 4;

/**
 * Splits a PT_NOTE segment into notes. Name and descriptor are padded to 4 bytes in both classes:
 * the gABI asks 8 for ELF64, but Linux and QEMU write 4, and readers of their cores must follow.
 */
export function parseNotes(segment: Uint8Array, fileName: string): ElfNote[] {
  const dv = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const notes: ElfNote[] = [];
  let off = 0;
  while (off + NOTE_HEADER_BYTES <= segment.length) {
    const namesz = dv.getUint32(off, true);
    const descsz = dv.getUint32(off + 4, true);
    const type = dv.getUint32(off + 8, true);
    const nameOff = off + NOTE_HEADER_BYTES;
    const descOff = nameOff + align4(namesz);
    if (descOff + descsz > segment.length) {
      throw new HyperFrameError(
        'BAD_FILE',
        `${fileName}: note ${notes.length} (${namesz}-byte name, ${descsz}-byte descriptor) runs past the end of its PT_NOTE segment`,
      );
    }
    let nameEnd = nameOff + namesz;
    while (nameEnd > nameOff && segment[nameEnd - 1] === 0) nameEnd--;
    notes.push({
      name: new TextDecoder('latin1').decode(segment.subarray(nameOff, nameEnd)),
      type,
      desc: segment.subarray(descOff, descOff + descsz),
    });
    off = descOff + align4(descsz);
  }
  return notes;
}
