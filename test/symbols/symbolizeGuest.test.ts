/**
 * How far a symbol names the addresses after it, on a real image: the long4spin test guest, whose
 * symbols are of every kind a hand-written kernel has — sized functions with local labels inside,
 * labels without a size, absolute constants (`.set TRAMPOLINE, 0x7000`, page-table addresses,
 * flag values). The truth is binutils' own view of the file: `nm -S` for each symbol's address,
 * size and absoluteness (type `a`/`A`), `objdump -h` for where its sections end, and the rule as
 * the issue states it, written out independently below.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadElfSymbols, type SymbolTable } from '../../src/symbols';
import { buildGuest } from '../guests/build';
import { makeWorkshop, parseNm, type NmSymbol } from './toolchain';

interface Section {
  name: string;
  va: bigint;
  end: bigint;
}

/** `objdump -h`: `Idx Name Size VMA LMA File-off Algn`, then a line of flags (ALLOC …). */
function parseSections(out: string): Section[] {
  const lines = out.split('\n');
  const sections: Section[] = [];
  lines.forEach((line, i) => {
    const m = /^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s/.exec(line);
    if (!m || !/\bALLOC\b/.test(lines[i + 1] ?? '')) return;
    const va = BigInt(`0x${m[3]}`);
    sections.push({ name: m[1], va, end: va + BigInt(`0x${m[2]}`) });
  });
  return sections;
}

const isAbsolute = (s: NmSymbol): boolean => s.type === 'a' || s.type === 'A';
const sized = (s: NmSymbol): boolean => (s.sizeBytes ?? 0n) > 0n;
const holds = (s: NmSymbol, va: bigint): boolean => sized(s) && s.va <= va && va < s.va + (s.sizeBytes ?? 0n);

/**
 * The names an address may get, by the rule: a sized symbol holding it (the closest below); else a
 * label without a size at the highest symbol address below it — but not past its section's end,
 * not past a sized symbol it lies in, not past a sized symbol at the same address, and an absolute
 * symbol names its own address only. Empty: the bare address.
 */
function expectedNames(syms: NmSymbol[], sections: Section[], va: bigint): { names: string[]; offset: bigint } {
  const holding = syms.filter((s) => holds(s, va));
  if (holding.length) {
    const top = holding.reduce((m, s) => (s.va > m ? s.va : m), 0n);
    return { names: holding.filter((s) => s.va === top).map((s) => s.name), offset: va - top };
  }
  const below = syms.filter((s) => s.va <= va);
  if (!below.length) return { names: [], offset: 0n };
  const top = below.reduce((m, s) => (s.va > m ? s.va : m), 0n);
  const offset = va - top;
  const labels = below.filter((s) => s.va === top && !sized(s)).filter((s) => {
    if (offset === 0n) return true;
    if (isAbsolute(s)) return false;
    const section = sections.find((x) => x.va <= s.va && s.va < x.end);
    if (!section || va >= section.end) return false;
    return !syms.some((x) => holds(x, s.va));
  });
  return { names: labels.map((s) => s.name), offset };
}

let table: SymbolTable;
let syms: NmSymbol[];
let sections: Section[];

beforeAll(async () => {
  const elf = await buildGuest('long4spin');
  const ws = await makeWorkshop('symbolize');
  try {
    // Our loader drops symbols whose value is 0 (nothing is named at address 0).
    syms = parseNm(ws.run('nm', ['-S', elf])).filter((s) => s.va !== 0n && s.type !== 'U');
    sections = parseSections(ws.run('objdump', ['-h', elf]));
  } finally {
    await ws.cleanup();
  }
  table = await loadElfSymbols(elf);
});

describe('symbolize on the long4spin guest, against nm -S and objdump -h', () => {
  it('the guest has what the rule is about: sized functions with labels inside, absolute symbols, a section end', () => {
    expect(syms.filter(sized).map((s) => s.name)).toEqual(expect.arrayContaining(['spin_main', 'spin_func', 'spin_recurse', 'spin_counter']));
    expect(syms.filter(isAbsolute).map((s) => s.name)).toEqual(expect.arrayContaining(['TRAMPOLINE', 'PML4', 'IMAGE_BASE']));
    expect(sections.map((s) => s.name)).toEqual(['.text']);
  });

  it('names every probe address as the rule says: around each symbol, its end, its section end', () => {
    const probes = new Set<bigint>([0xe96f1n]); // the pc of the BIOS the issue saw named TRAMPOLINE+0xe26f1
    for (const s of syms) {
      for (const d of [0n, 1n, 2n]) probes.add(s.va + d);
      if (s.va > 0n) probes.add(s.va - 1n);
      if (sized(s)) for (const d of [-1n, 0n, 1n, 0x10n]) probes.add(s.va + (s.sizeBytes ?? 0n) + d);
    }
    for (const sec of sections) for (const d of [-1n, 0n, 1n]) probes.add(sec.end + d);
    let named = 0;
    let bare = 0;
    for (const va of [...probes].sort((a, b) => (a < b ? -1 : 1))) {
      const want = expectedNames(syms, sections, va);
      const got = table.symbolize(va);
      const what = `0x${va.toString(16)}: ours ${got ? `${got.sym.name}+0x${got.offset.toString(16)}` : 'bare'}, expected ${want.names.join('|') || 'bare'}`;
      if (!want.names.length) {
        expect(got, what).toBeUndefined();
        bare++;
        continue;
      }
      expect(want.names, what).toContain(got?.sym.name);
      expect(got?.offset, what).toBe(want.offset);
      named++;
    }
    // Both outcomes are exercised many times over.
    expect(named).toBeGreaterThan(50);
    expect(bare).toBeGreaterThan(20);
  });

  it('the issue\'s cases: the BIOS is not TRAMPOLINE+0xe26f1; past a function is a bare address', () => {
    expect(table.label(0x7000n)).toBe('TRAMPOLINE');
    expect(table.formatAddress(0x7000n + 0xe26f1n)).toBe('0xe96f1');
    const main = syms.find((s) => s.name === 'spin_main')!;
    const end = main.va + main.sizeBytes!;
    expect(table.label(end - 1n)).toBe(`spin_main+0x${(main.sizeBytes! - 1n).toString(16)}`);
    expect(table.symbolize(end)).toBeUndefined(); // a label inside spin_main does not reach past it
    const text = sections[0];
    expect(table.symbolize(text.end)).toBeUndefined(); // nothing past .text
  });
});
