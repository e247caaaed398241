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
  /**
   * Where the symbol's section ends (ELF: sh_addr + sh_size, biased like `va`): a label without a
   * size names nothing past it. Undefined when not known (tables built by hand).
   */
  sectionEndVa?: bigint;
  /**
   * An absolute symbol (SHN_ABS, `.set NAME, 0x7000`): a value that lies in no section, often a
   * constant rather than an address. It names its own address only, never what follows.
   */
  absolute?: boolean;
}

/** An address resolved to the symbol it falls in. */
export interface Symbolized {
  sym: Sym;
  /** addr − sym.va */
  offset: bigint;
}
