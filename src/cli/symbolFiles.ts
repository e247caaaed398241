import { loadElfSymbols, SymbolTable } from '../symbols';

/** Symbol tables of ELF files (xen-syms, vmlinux), merged into one. */
export async function loadSymbolFiles(paths: string[]): Promise<SymbolTable> {
  return SymbolTable.merge(await Promise.all(paths.map((p) => loadElfSymbols(p))));
}
