import type { Sym, SymbolTable } from '../symbols';
import { HyperFrameError } from '../util/errors';

/**
 * One merged table holds the hypervisor's symbols (xen-syms) and the guest kernel's (vmlinux,
 * System.map); a few names exist in both (`_stext`). Xen's image lives in PML4 slot 261, from
 * XEN_VIRT_START (0xffff82d040000000 since 4.14, 0xffff82d080000000 before) for at most 1 GiB:
 * a symbol there is Xen's, any other is the guest's.
 */
const XEN_IMAGE_START = 0xffff_82d0_4000_0000n;
const XEN_IMAGE_END = 0xffff_82d0_c000_0000n;

export const isXenAddress = (va: bigint): boolean => va >= XEN_IMAGE_START && va < XEN_IMAGE_END;

export function xenSymbol(symbols: SymbolTable, name: string): Sym | undefined {
  return symbols.lookupAll(name).find((s) => isXenAddress(s.va));
}

export function guestSymbol(symbols: SymbolTable, name: string): Sym | undefined {
  return symbols.lookupAll(name).find((s) => !isXenAddress(s.va));
}

/** A Xen symbol that must be there: its absence means xen-syms was not loaded. */
export function needXenSymbol(symbols: SymbolTable, name: string): bigint {
  const s = xenSymbol(symbols, name);
  if (!s) {
    const hint = symbols.size === 0 ? 'no symbols are loaded' : `none of the ${symbols.size} loaded symbols is Xen's '${name}'`;
    throw new HyperFrameError('BAD_ARGUMENT', `${hint}: load the hypervisor's symbols (xen-syms, from the -dbg package) with --symbols or the launch configuration's 'symbols'`);
  }
  return s.va;
}
