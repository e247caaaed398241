import { decodeEntry } from '../paging/entry';
import { decodeEptp } from '../paging/ept';
import { entryLines, entryName, ENTRY_FIELD_ORDER, sizeText } from '../paging/format';
import { geometry, parseMode, type PagingMode } from '../paging/modes';
import type { DecodedEntry } from '../paging/types';
import { HyperFrameError } from '../util/errors';
import { hex, parseNumber } from '../util/numbers';
import type { CliIo } from './io';
import { entryJson } from '../paging/json';
import { parse, str } from './options';

export const DECODE_HELP = `hyperframe decode <value> [--mode legacy32|pae|long4|long5|ept|eptp] [--level N] [--max-phys-bits N] [--json]
  Decodes one paging-structure entry. Without --mode: the 32-bit and the 64-bit readings side by side.
  Without --level: level 1 (PTE), or 2 (PDE) when PS (bit 7) is set.`;

export async function decodeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, { mode: { type: 'string' }, level: { type: 'string' }, 'max-phys-bits': { type: 'string' }, json: { type: 'boolean' } }, 'decode');
  if (positionals.length !== 1) throw new HyperFrameError('BAD_ARGUMENT', `decode takes one value, got ${positionals.length}`);
  const raw = parseNumber(positionals[0], 'entry value');
  if (raw >= 1n << 64n) throw new HyperFrameError('BAD_NUMBER', `entry value ${positionals[0]} does not fit in 64 bits`);
  const maxPhyAddr = str(v, 'max-phys-bits') === undefined ? 52 : Number(parseNumber(str(v, 'max-phys-bits')!, 'MAXPHYADDR'));
  const modeText = str(v, 'mode');

  if (modeText?.toLowerCase() === 'eptp') {
    const d = decodeEptp(raw, maxPhyAddr);
    if (v.json) io.out(JSON.stringify({ raw: hex(d.raw), memoryType: d.memoryType, memoryTypeName: d.memoryTypeName, levels: d.levels, accessedDirty: d.accessedDirty, sssEnforced: d.sssEnforced, root: hex(d.root), problems: d.problems }, null, 2));
    else {
      io.out(`EPTP ${hex(raw, 16)}: root ${hex(d.root)}, ${d.levels}-level walk, memory type ${d.memoryType} (${d.memoryTypeName}), A/D ${d.accessedDirty ? 'enabled' : 'disabled'}${d.sssEnforced ? ', supervisor shadow stacks enforced' : ''}`);
      for (const p of d.problems) io.out(`  ! ${p}`);
    }
    return 0;
  }

  const modes: PagingMode[] = modeText === undefined ? ['legacy32', 'long4'] : [parseMode(modeText)];
  const readings = modes.map((mode) => {
    const level = levelFor(str(v, 'level'), mode, raw);
    const value = mode === 'legacy32' ? raw & 0xffffffffn : raw;
    return decodeEntry(value, mode, level, { maxPhyAddr: mode === 'legacy32' ? Math.min(maxPhyAddr, 40) : maxPhyAddr });
  });

  if (v.json) {
    const obj = modeText === undefined ? Object.fromEntries(readings.map((r) => [r.mode, entryJson(r)])) : entryJson(readings[0]);
    io.out(JSON.stringify(obj, null, 2));
    return 0;
  }
  if (readings.length === 1) printEntry(readings[0], io);
  else printSideBySide(raw, readings, io);
  return 0;
}

function levelFor(text: string | undefined, mode: PagingMode, raw: bigint): number {
  const top = geometry(mode).topLevel;
  if (text === undefined) return ((raw >> 7n) & 1n) === 1n ? 2 : 1; // PS set: read it as a large-page PDE
  const level = Number(parseNumber(text, 'level'));
  if (level < 1 || level > (mode === 'ept' ? 5 : top)) {
    throw new HyperFrameError('BAD_ARGUMENT', `level ${level} does not exist in ${mode} (levels 1..${mode === 'ept' ? 5 : top}: 1 = PTE, 2 = PDE, …)`);
  }
  return level;
}

export function printEntry(e: DecodedEntry, io: CliIo): void {
  for (const line of entryLines(e)) io.out(line);
}

/** Two readings of one value in columns: field by field, as 32-bit and as 64-bit paging. */
function printSideBySide(raw: bigint, readings: DecodedEntry[], io: CliIo): void {
  const w = 22;
  const cell = (t: string) => t.padEnd(w);
  io.out(`${cell(hex(raw))}${readings.map((r) => cell(`${r.mode} ${entryName(r.mode, r.level)}`)).join('')}`.trimEnd());
  if (raw > 0xffffffffn) io.out(`  (the 32-bit reading takes the low 32 bits: ${hex(raw & 0xffffffffn, 8)})`);
  const row = (label: string, values: string[]) => io.out(`  ${label.padEnd(w - 2)}${values.map(cell).join('')}`.trimEnd());
  row('means', readings.map((r) => (r.kind === 'not-present' ? 'not present' : r.kind === 'table' ? 'next table' : `${sizeText(r.pageSize!)} page`)));
  row('address', readings.map((r) => (r.kind === 'not-present' ? '-' : hex(r.address))));
  for (const k of ENTRY_FIELD_ORDER) {
    const vals = readings.map((r) => (r.fields as Record<string, number | undefined>)[k]);
    if (vals.every((x) => x === undefined)) continue;
    row(k, vals.map((x) => (x === undefined ? '-' : String(x))));
  }
  if (readings.some((r) => r.reserved)) row('reserved bits set', readings.map((r) => (r.reserved ? hex(r.reserved) : 'none')));
}
