import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { type MemReader, readOrExplain } from './reader';

/**
 * A Linux guest's memory map as it prints it at boot ("Xen: [mem 0x…-0x…] usable"): struct
 * e820_table { u32 nr_entries; struct e820_entry entries[]; } with packed 20-byte entries
 * { u64 addr; u64 size; u32 type; } (arch/x86/include/asm/e820/types.h). `e820_table_firmware`
 * keeps the table exactly as memory_setup (xen_memory_setup() for a PV guest) returned it.
 */
export interface E820Entry {
  start: bigint;
  /** Exclusive. */
  end: bigint;
  type: number;
}

/** E820 type names as Linux's e820_print_type() writes them. */
export function e820TypeName(type: number): string {
  switch (type) {
    case 1:
      return 'usable';
    case 2:
      return 'reserved';
    case 3:
      return 'ACPI data';
    case 4:
      return 'ACPI NVS';
    case 5:
      return 'unusable';
    case 7:
    case 12:
      return `persistent (type ${type})`;
    case 0xefffffff:
      return 'soft reserved';
    default:
      return `type ${type}`;
  }
}

const ENTRY_BYTES = 20;
/** E820_MAX_ENTRIES is 128 + 3 * MAX_NUMNODES: a few thousand at most. */
const MAX_ENTRIES = 4096;

export async function readE820Table(mem: MemReader, tableVa: bigint): Promise<E820Entry[]> {
  const head = await readOrExplain(mem, tableVa, 4, `struct e820_table at ${hex(tableVa)}`);
  const n = new DataView(head.buffer, head.byteOffset).getUint32(0, true);
  if (n > MAX_ENTRIES) throw new HyperFrameError('TARGET', `struct e820_table at ${hex(tableVa)} claims ${n} entries: not an E820 table`);
  const buf = await readOrExplain(mem, tableVa + 4n, n * ENTRY_BYTES, `the ${n} E820 entries at ${hex(tableVa + 4n)}`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: E820Entry[] = [];
  for (let i = 0; i < n; i++) {
    const start = dv.getBigUint64(i * ENTRY_BYTES, true);
    const size = dv.getBigUint64(i * ENTRY_BYTES + 8, true);
    out.push({ start, end: start + size, type: dv.getUint32(i * ENTRY_BYTES + 16, true) });
  }
  return out;
}

/** The type at physical address `pa`: the entry's name, or 'gap' outside every entry. */
export function e820TypeAt(map: readonly E820Entry[], pa: bigint): string {
  const e = map.find((x) => pa >= x.start && pa < x.end);
  return e ? e820TypeName(e.type) : 'gap';
}

/**
 * The types [startPa, endPa) covers, in order of first appearance, gaps included: what a run of
 * the P2M lies over ("usable", "gap, reserved").
 */
export function e820TypesIn(map: readonly E820Entry[], startPa: bigint, endPa: bigint): string {
  const types: string[] = [];
  const add = (t: string): void => {
    if (!types.includes(t)) types.push(t);
  };
  let pa = startPa;
  for (const e of [...map].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))) {
    if (e.end <= pa || e.start >= endPa) continue;
    if (e.start > pa) add('gap');
    add(e820TypeName(e.type));
    pa = e.end;
    if (pa >= endPa) break;
  }
  if (pa < endPa) add('gap');
  return types.join(', ');
}
