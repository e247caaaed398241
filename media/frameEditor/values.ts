/**
 * The data inspector's readings of the bytes at the selection: unsigned and signed integers of
 * every width (little-endian, as x86 stores them) and the value as a virtual address.
 */
export interface IntReading {
  label: string;
  text: string;
}

/** Little-endian integers of 1, 2, 4 and 8 bytes from `bytes` (as many as there are). */
export function intReadings(bytes: Uint8Array): { value64?: bigint; rows: IntReading[] } {
  const rows: IntReading[] = [];
  let value64: bigint | undefined;
  for (const width of [1, 2, 4, 8]) {
    if (bytes.length < width) break;
    let u = 0n;
    for (let i = width - 1; i >= 0; i--) u = (u << 8n) | BigInt(bytes[i]);
    const bits = BigInt(width * 8);
    const s = u >= 1n << (bits - 1n) ? u - (1n << bits) : u;
    rows.push({ label: `u${width * 8}`, text: `0x${u.toString(16).padStart(width * 2, '0')} = ${u}` });
    rows.push({ label: `i${width * 8}`, text: s.toString() });
    if (width === 8) value64 = u;
  }
  return { value64, rows };
}

/** A 64-bit value as a 4-level virtual address: its indices, or why it is not one. */
export function vaReading(v: bigint): string {
  const top = v >> 47n;
  if (top !== 0n && top !== 0x1ffffn) return 'not a canonical 4-level address';
  const idx = (shift: bigint): bigint => (v >> shift) & 0x1ffn;
  return `PML4 ${idx(39n)} · PDPT ${idx(30n)} · PD ${idx(21n)} · PT ${idx(12n)} · offset 0x${(v & 0xfffn).toString(16)}`;
}
