import { HyperFrameError } from '../util/errors';
import { bit, bits, mask } from '../util/numbers';
import { decodeEptEntry } from './ept';
import { geometry, levelShift, type PagingContext, type PagingMode, withDefaults } from './modes';
import type { DecodedEntry, EntryFields } from './types';

export type { DecodedEntry, EntryFields, EntryKind } from './types';

const b = bit;

/** Decodes one paging-structure entry as the CPU would at `level` in `mode`. */
export function decodeEntry(raw: bigint, mode: PagingMode, level: number, ctx?: Partial<PagingContext>): DecodedEntry {
  const c = withDefaults(ctx);
  if (mode === 'ept') return decodeEptEntry(raw, level, c);
  if (mode === 'legacy32') return decodeLegacy(raw & 0xffffffffn, level, c);
  return decode64(raw, mode, level, c);
}

/** Highest level a lone entry of `mode` can be read at; EPT's is 5 (the 5-level walk). */
export function maxEntryLevel(mode: PagingMode): number {
  return mode === 'ept' ? 5 : geometry(mode).topLevel;
}

/**
 * The level a value the user gives is read at: `level` when given (checked against the mode),
 * else a PTE, or a large-page PDE when PS (bit 7) is set.
 */
export function entryLevel(mode: PagingMode, raw: bigint, level?: number): number {
  if (level === undefined) return b(raw, 7) ? 2 : 1;
  const top = maxEntryLevel(mode);
  if (!Number.isInteger(level) || level < 1 || level > top) {
    throw new HyperFrameError('BAD_ARGUMENT', `level ${level} does not exist in ${mode} (levels 1..${top}: 1 = PTE, 2 = PDE, …)`);
  }
  return level;
}

function notPresent(raw: bigint, mode: PagingMode, level: number): DecodedEntry {
  // Guests keep swap entries and other software state here: keep the raw value, claim nothing.
  return { raw, mode, level, kind: 'not-present', address: 0n, fields: { P: 0 }, reserved: 0n, problems: [] };
}

function commonFields(raw: bigint): EntryFields {
  return { P: b(raw, 0), RW: b(raw, 1), US: b(raw, 2), PWT: b(raw, 3), PCD: b(raw, 4), A: b(raw, 5) };
}

function decodeLegacy(raw: bigint, level: number, c: PagingContext): DecodedEntry {
  if (!b(raw, 0)) return notPresent(raw, 'legacy32', level);
  const fields = commonFields(raw);
  fields.AVL = Number(bits(raw, 11, 9));
  if (level === 1) {
    Object.assign(fields, { D: b(raw, 6), PAT: b(raw, 7), G: b(raw, 8) });
    return { raw, mode: 'legacy32', level, kind: 'page', address: raw & 0xfffff000n, pageSize: 4096n, fields, reserved: 0n, problems: [] };
  }
  if (c.pse && b(raw, 7)) {
    Object.assign(fields, { D: b(raw, 6), PS: 1, G: b(raw, 8), PAT: b(raw, 12) });
    // PSE-36/40: PDE bits 20:13 give physical-address bits 39:32; bit 21 is always reserved,
    // and bits 20:13 beyond MAXPHYADDR too.
    const high = bits(raw, 20, 13);
    const highWidth = Math.min(Math.max(c.maxPhyAddr, 32), 40) - 32;
    let reserved = raw & (1n << 21n);
    if (highWidth < 8) reserved |= raw & mask(20, 13 + highWidth);
    const address = (raw & 0xffc00000n) | ((high & ((1n << BigInt(highWidth)) - 1n)) << 32n);
    return { raw, mode: 'legacy32', level, kind: 'page', address, pageSize: 4n << 20n, fields, reserved, problems: [] };
  }
  // Without CR4.PSE bit 7 is ignored; in a table PDE it must be 0 anyway.
  Object.assign(fields, { PS: b(raw, 7) });
  return { raw, mode: 'legacy32', level, kind: 'table', address: raw & 0xfffff000n, fields, reserved: 0n, problems: [] };
}

function decode64(raw: bigint, mode: PagingMode, level: number, c: PagingContext): DecodedEntry {
  if (!b(raw, 0)) return notPresent(raw, mode, level);
  const M = c.maxPhyAddr;
  // Bits M..51 are reserved in every 64-bit-format entry; bit 63 too unless EFER.NXE.
  let reserved = M < 52 ? raw & mask(51, M) : 0n;
  if (!c.nxe) reserved |= raw & (1n << 63n);

  if (mode === 'pae' && level === 3) {
    // A PAE PDPTE has only P, PWT, PCD and the address; RW/US/XD are reserved there. Bit 5 is
    // reserved too in the SDM, but QEMU's walker sets it as an accessed flag on every walk, so
    // flagging it would fail every PAE walk on QEMU: it is shown as A instead.
    reserved = raw & (mask(2, 1) | mask(8, 6) | mask(63, Math.min(M, 52)));
    const fields: EntryFields = { P: 1, PWT: b(raw, 3), PCD: b(raw, 4), A: b(raw, 5), AVL: Number(bits(raw, 11, 9)) };
    return { raw, mode, level, kind: 'table', address: raw & mask(M - 1, 12), fields, reserved, problems: [] };
  }

  const fields = commonFields(raw);
  if (c.nxe) fields.XD = b(raw, 63);
  const ps = b(raw, 7);
  const isTop = (mode === 'long4' && level === 4) || (mode === 'long5' && level >= 4);
  const canBeLarge = level === 2 || (level === 3 && mode !== 'pae' && c.page1G);
  const leaf = level === 1 || (ps === 1 && canBeLarge);

  if (isTop && ps) reserved |= 1n << 7n; // PML4E/PML5E bit 7 must be 0
  // PAE entries have no ignored high bits: 62:M are reserved.
  if (mode === 'pae') reserved |= raw & mask(62, Math.min(M, 52));
  if (level === 3 && mode !== 'pae' && ps && !c.page1G) reserved |= 1n << 7n;

  if (!leaf) {
    fields.PS = ps;
    fields.AVL = Number(bits(raw, 11, 9));
    if (mode !== 'pae') fields.AVL_HI = Number(bits(raw, 62, 52));
    return { raw, mode, level, kind: 'table', address: raw & mask(M - 1, 12), fields, reserved, problems: [] };
  }

  const large = level > 1;
  Object.assign(fields, { D: b(raw, 6), G: b(raw, 8), PAT: large ? b(raw, 12) : b(raw, 7) });
  if (large) fields.PS = 1;
  const shift = levelShift(mode, level);
  if (large) reserved |= raw & mask(shift - 1, 13); // between PAT and the page's base address
  fields.AVL = Number(bits(raw, 11, 9));
  if (mode !== 'pae') {
    if (c.pke) {
      fields.PK = Number(bits(raw, 62, 59));
      fields.AVL_HI = Number(bits(raw, 58, 52));
    } else {
      fields.AVL_HI = Number(bits(raw, 62, 52));
    }
  }
  const size = 1n << BigInt(shift);
  return { raw, mode, level, kind: 'page', address: raw & mask(M - 1, shift), pageSize: size, fields, reserved, problems: [] };
}
