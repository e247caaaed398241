import { hex } from '../util/numbers';
import { type MemReader, readOrExplain } from './reader';

const NT_GNU_BUILD_ID = 3;

/**
 * The GNU build-id in an ELF note (namesz, descsz, type, "GNU\0", desc), as the linker writes
 * `.note.gnu.build-id`. Xen keeps the note in memory at `__note_gnu_build_id_start`, so the
 * running hypervisor tells which xen-syms describes it. Undefined when the bytes are not that note.
 */
export function parseBuildIdNote(bytes: Uint8Array): string | undefined {
  if (bytes.length < 16) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const namesz = dv.getUint32(0, true);
  const descsz = dv.getUint32(4, true);
  const type = dv.getUint32(8, true);
  if (namesz !== 4 || type !== NT_GNU_BUILD_ID || descsz < 8 || descsz > 64) return undefined;
  if (bytes[12] !== 0x47 || bytes[13] !== 0x4e || bytes[14] !== 0x55 || bytes[15] !== 0) return undefined; // "GNU\0"
  if (bytes.length < 16 + descsz) return undefined;
  return Buffer.from(bytes.subarray(16, 16 + descsz)).toString('hex');
}

/** The build-id the running hypervisor carries at `noteVa` (xen-syms' `__note_gnu_build_id_start`). */
export async function readBuildId(mem: MemReader, noteVa: bigint): Promise<string | undefined> {
  return parseBuildIdNote(await readOrExplain(mem, noteVa, 16 + 64, `the build-id note at ${hex(noteVa)}`));
}
