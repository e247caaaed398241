import { hex } from './numbers';

/** One named bit (or field) of a register, as the SDM names it. */
export interface RegisterBit {
  name: string;
  /** Lowest bit of the field. */
  bit: number;
  /** Width in bits (1 for flags). */
  width: number;
  value: bigint;
  meaning: string;
}

/** A field's definition: name, lowest bit, meaning, width (default 1). */
export type FieldDef = readonly [name: string, bit: number, meaning: string, width?: number];

/** `value` split into the fields `defs` name. */
export function decodeFields(value: bigint, defs: readonly FieldDef[]): RegisterBit[] {
  return defs.map(([name, b, meaning, width = 1]) => ({ name, bit: b, width, value: (value >> BigInt(b)) & ((1n << BigInt(width)) - 1n), meaning }));
}

/** The bits a field occupies in its register. */
export function fieldMask(b: RegisterBit): bigint {
  return ((1n << BigInt(b.width)) - 1n) << BigInt(b.bit);
}

/** `value` with the field `b` replaced by `field`. */
export function withField(value: bigint, b: RegisterBit, field: bigint): bigint {
  const m = fieldMask(b);
  return (value & ~m) | ((field << BigInt(b.bit)) & m);
}

/** A field's value as shown: `1`/`0` for flags, decimal for small fields, else hex. */
export function formatBit(b: RegisterBit): string {
  if (b.width === 1 || b.value < 10n) return b.value.toString();
  return hex(b.value);
}

/** Names of the flags set, e.g. "PE MP ET NE WP AM PG". */
export function setBitNames(bits: RegisterBit[]): string {
  return bits
    .filter((b) => b.width === 1 && b.value === 1n)
    .map((b) => b.name)
    .join(' ');
}
