import { readFile } from 'node:fs/promises';
import { displayName, openDumpFile, readExactly } from '../util/fileSource';
import { loadElfSymbols } from './elfSymbols';
import { SymbolTable } from './symbolTable';
import { parseSystemMap } from './systemMap';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** One symbol file: an ELF image (xen-syms, vmlinux) or a System.map, told apart by the ELF magic. */
export async function loadSymbolFile(path: string): Promise<SymbolTable> {
  const { handle, sizeBytes } = await openDumpFile(path, 'symbol file');
  let head: Uint8Array;
  try {
    head = sizeBytes >= 4n ? await readExactly(handle, 0n, 4, displayName(path)) : new Uint8Array(0);
  } finally {
    await handle.close();
  }
  if (ELF_MAGIC.every((b, i) => head[i] === b)) return loadElfSymbols(path);
  return parseSystemMap(await readFile(path, 'latin1'), displayName(path));
}

/** Several symbol files (hypervisor, dom0 kernel, modules) merged into one table. */
export async function loadSymbolFiles(paths: readonly string[]): Promise<SymbolTable> {
  if (paths.length === 0) return SymbolTable.empty();
  return SymbolTable.merge(await Promise.all(paths.map((p) => loadSymbolFile(p))));
}
