/** What an ELF symbol names: code, data, or an untyped label (assembly entry points, linker marks). */
export type SymType = 'func' | 'object' | 'notype';

/** ELF binding; lookups prefer global over weak over local when a name occurs more than once. */
export type SymBinding = 'global' | 'weak' | 'local';

export interface Sym {
  name: string;
  /** Virtual address, with any load bias already added. */
  va: bigint;
  /** st_size; 0 for labels whose extent the toolchain did not record. */
  sizeBytes: bigint;
  type: SymType;
  binding: SymBinding;
  /** The image the symbol came from (e.g. `xen-syms`), when tables were merged or loaded with one. */
  module?: string;
}

/** An address resolved to the symbol it falls in. */
export interface Symbolized {
  sym: Sym;
  /** addr − sym.va */
  offset: bigint;
}
