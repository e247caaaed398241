// The public face of symbols/: symbol tables (ELF images, System.map) and address <-> name resolution.
export type { Sym, SymType, SymBinding, Symbolized } from './types';
export { SymbolTable, DEFAULT_NEAREST_BOUND_BYTES, type MergePart } from './symbolTable';
export { loadElfSymbols, type LoadElfSymbolsOptions } from './elfSymbols';
export { parseSystemMap } from './systemMap';
export { loadSymbolFile, loadSymbolFiles } from './loadFiles';
