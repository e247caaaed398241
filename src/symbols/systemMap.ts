import { HyperFrameError } from '../util/errors';
import { SymbolTable } from './symbolTable';
import type { Sym, SymBinding, SymType } from './types';

/**
 * `System.map` (and `/proc/kallsyms`, which has the same lines): `ADDRESS TYPE NAME [module]`, the
 * type letter as nm(1) prints it. Upper case is global, lower case local; `W`/`V` are weak. Text
 * (`T`) is code; data, bss and read-only data (`D B R G S`) are objects; absolute symbols (`A`)
 * are labels. Undefined (`U`), debug (`N`) and zero addresses name nothing that can be read.
 * The file records no sizes: every symbol is a label, and an address is named after the nearest
 * symbol at or below it.
 */

// Debian's linux-image packages ship a one-line placeholder where System.map would be.
const DEBIAN_PLACEHOLDER = /The real System\.map is in the (\S+) package/;

const LINE = /^([0-9a-fA-F]{1,16})\s+([a-zA-Z?])\s+(\S+)(?:\s+\[(\S+)\])?\s*$/;

function symType(letter: string): SymType | undefined {
  switch (letter.toLowerCase()) {
    case 't':
      return 'func';
    case 'd':
    case 'b':
    case 'r':
    case 'g':
    case 's':
    case 'v':
      return 'object';
    case 'a':
    case 'w':
      return 'notype';
    default:
      return undefined; // U (undefined), N (debug), ? (unknown), C (common: no address yet)
  }
}

function binding(letter: string): SymBinding {
  if (letter === 'W' || letter === 'w' || letter === 'V' || letter === 'v') return 'weak';
  return letter === letter.toUpperCase() ? 'global' : 'local';
}

/**
 * Parses the text of a System.map. `name` is the file's name for messages and the module recorded
 * on each symbol. Lines that are not symbol lines make the whole file a bad one: a wrong file
 * (a config, a binary) fails loudly rather than loading a few accidental matches.
 */
export function parseSystemMap(text: string, name: string): SymbolTable {
  const placeholder = DEBIAN_PLACEHOLDER.exec(text);
  if (placeholder) {
    throw new HyperFrameError(
      'BAD_FILE',
      `${name} is Debian's placeholder, not a symbol map: the real System.map is in the ${placeholder[1]} package (or read /proc/kallsyms of the running kernel, which has the same format)`,
    );
  }
  const syms: Sym[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) {
      throw new HyperFrameError('BAD_FILE', `${name} line ${i + 1} is not 'ADDRESS TYPE NAME' as System.map writes it: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const type = symType(m[2]);
    const va = BigInt(`0x${m[1]}`);
    if (type === undefined || va === 0n) continue;
    syms.push({ name: m[3], va, sizeBytes: 0n, type, binding: binding(m[2]), module: m[4] ?? name });
  }
  if (syms.length === 0) throw new HyperFrameError('BAD_FILE', `${name} holds no symbols with an address`);
  return SymbolTable.from(syms);
}
