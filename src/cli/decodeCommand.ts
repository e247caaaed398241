import { decodeEntry, entryLevel } from '../paging/entry';
import { decodeEptp } from '../paging/ept';
import { entryLines, entryName, ENTRY_FIELD_ORDER, eptpLines, levelGuessLine, sizeText } from '../paging/format';
import { parseMode, type PagingMode } from '../paging/modes';
import type { DecodedEntry } from '../paging/types';
import { HyperFrameError } from '../util/errors';
import { hex, parseNumber } from '../util/numbers';
import type { CliIo } from './io';
import { entryJson } from '../paging/json';
import { maxPhysBits, parse, str } from './options';

export const DECODE_HELP = `hyperframe decode <value> [--mode legacy32|pae|long4|long5|ept|eptp] [--level N] [--max-phys-bits N] [--json]
  Decodes one paging-structure entry (alias: hyperframe pte, as in the Debug Console).
  Without --mode: the 32-bit and the 64-bit readings side by side.
  Without --level: level 1 (PTE), or 2 (PDE) when PS (bit 7) is set; a "level guessed" line says so.`;

export async function decodeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, { mode: { type: 'string' }, level: { type: 'string' }, 'max-phys-bits': { type: 'string' }, json: { type: 'boolean' } }, 'decode');
  if (positionals.length !== 1) throw new HyperFrameError('BAD_ARGUMENT', `decode takes one value, got ${positionals.length}`);
  const raw = parseNumber(positionals[0], 'entry value');
  if (raw >= 1n << 64n) throw new HyperFrameError('BAD_NUMBER', `entry value ${positionals[0]} does not fit in 64 bits`);
  const maxPhyAddr = maxPhysBits(v);
  const modeText = str(v, 'mode');

  if (modeText?.toLowerCase() === 'eptp') {
    const d = decodeEptp(raw, maxPhyAddr);
    if (v.json) io.out(JSON.stringify({ raw: hex(d.raw), memoryType: d.memoryType, memoryTypeName: d.memoryTypeName, levels: d.levels, accessedDirty: d.accessedDirty, sssEnforced: d.sssEnforced, root: hex(d.root), problems: d.problems }, null, 2));
    else for (const line of eptpLines(d)) io.out(line);
    return 0;
  }

  const levelText = str(v, 'level');
  const level = levelText === undefined ? undefined : Number(parseNumber(levelText, 'level'));
  const modes: PagingMode[] = modeText === undefined ? ['legacy32', 'long4'] : [parseMode(modeText)];
  // 32-bit paging reaches 40 physical bits at most (PSE-36).
  const readings = modes.map((mode) => decodeEntry(raw, mode, entryLevel(mode, raw, level), { maxPhyAddr: mode === 'legacy32' ? Math.min(maxPhyAddr, 40) : maxPhyAddr }));

  const guessed = level === undefined;
  if (v.json) {
    const json = (r: DecodedEntry) => ({ ...entryJson(r), ...(guessed ? { levelGuessed: true } : {}) });
    const obj = modeText === undefined ? Object.fromEntries(readings.map((r) => [r.mode, json(r)])) : json(readings[0]);
    io.out(JSON.stringify(obj, null, 2));
    return 0;
  }
  if (readings.length === 1) printEntry(readings[0], io);
  else printSideBySide(raw, readings, io);
  // Every reading guesses the same way (from PS alone): one line says it for all.
  if (guessed) io.out(levelGuessLine(readings[0].mode, raw, readings[0].level));
  return 0;
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
