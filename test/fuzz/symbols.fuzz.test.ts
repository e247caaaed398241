/**
 * Symbol files as users hand them over: ELF images whose section headers, symbol entries and
 * string offsets lie or are cut, and System.map text with anything on its lines. Loading refuses
 * with HyperFrameError; a loaded table names exactly the symbols the file holds, and resolves any
 * address to one of them or to nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readElfSymbols } from '../../src/symbols/elfSymbols';
import type { SymbolTable } from '../../src/symbols/symbolTable';
import { parseSystemMap } from '../../src/symbols/systemMap';
import { flatElf, type RawSym } from '../symbols/elfWriter';
import { fuzzParams, onlyTyped, onlyTypedAsync } from './fuzzRuns';
import { memoryFile, patchLe } from './memoryFile';

const TOP = (1n << 64n) - 1n;
const LIES = [0n, 1n, 2n, 3n, 0xffn, 0xff00n, 0xfff1n, 0xffffn, 0x7fff_ffffn, 0xffff_ffffn, 1n << 53n, 1n << 63n, TOP];

const symName = fc.oneof(fc.stringMatching(/^[A-Za-z_.$][A-Za-z0-9_.$]{0,12}$/), fc.constantFrom('', '$x', 'é名', 'a b'));
const rawSym: fc.Arbitrary<RawSym> = fc.record({
  name: symName,
  value: fc.oneof(fc.constantFrom(0n, 0x1000n, 0xffff_ffffn, 0xffff_8000_0000_0000n, TOP), fc.bigInt({ min: 0n, max: 0xffff_ffffn })),
  size: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 0x1000n }), fc.constant(TOP)),
  info: fc.integer({ min: 0, max: 255 }),
  shndx: fc.constantFrom(0, 1, 2, 3, 0xff00, 0xfff1, 0xfff2, 0xffff),
});
const elfSpec = fc.record({ elfClass: fc.constantFrom(32 as const, 64 as const), syms: fc.array(rawSym, { maxLength: 12 }), dynsym: fc.boolean() }).map((s) => ({
  ...s,
  syms: s.elfClass === 32 ? s.syms.map((x) => ({ ...x, value: x.value & 0xffff_ffffn, size: (x.size ?? 0n) & 0xffff_ffffn })) : s.syms,
}));

/** The symbols a reader must keep: typed (func, object, notype, ifunc), defined, with a value and a real name. */
function kept(syms: RawSym[]): string[] {
  return syms
    .filter((s) => [0, 1, 2, 10].includes(s.info & 0xf) && s.value !== 0n && (s.shndx ?? 1) !== 0 && s.name !== '' && !s.name.startsWith('$'))
    .map((s) => s.name)
    .sort();
}

/** Any address resolves to a symbol of the table at or below it, or to nothing. */
function checkResolves(table: SymbolTable, addrs: bigint[]): void {
  for (const a of addrs) {
    const hit = table.symbolize(a);
    if (hit === undefined) continue;
    expect(hit.sym.va).toBeLessThanOrEqual(a);
    expect(hit.offset).toBe(a - hit.sym.va);
    expect(table.label(a)).toBeDefined();
  }
}
const addresses = fc.array(fc.oneof(fc.bigInt({ min: 0n, max: TOP }), fc.bigInt({ min: 0n, max: 0x1_0000_2000n })), { maxLength: 4 });

describe('symbol files under fuzzing', () => {
  it('loads any well-formed ELF symbol table to exactly the symbols an address can name', async () => {
    await fc.assert(
      fc.asyncProperty(elfSpec, addresses, async ({ elfClass, syms, dynsym }, addrs) => {
        const bytes = flatElf(elfClass, syms, dynsym ? 11 : 2);
        const table = await readElfSymbols(memoryFile(bytes), BigInt(bytes.length), 'fuzz.elf');
        expect(table.symbols().map((s) => s.name).sort()).toEqual(kept(syms));
        checkResolves(table, addrs);
      }),
      fuzzParams(3000),
    );
  });

  it('refuses a cut or lying ELF file with a typed error, or loads it in bounds', async () => {
    const lie = fc.record({ at: fc.nat({ max: 2047 }), width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const), value: fc.oneof(fc.constantFrom(...LIES), fc.bigInt({ min: 0n, max: TOP })) });
    await fc.assert(
      fc.asyncProperty(elfSpec, fc.array(lie, { minLength: 1, maxLength: 4 }), fc.option(fc.nat(), { nil: undefined }), addresses, async ({ elfClass, syms }, lies, cut, addrs) => {
        const whole = flatElf(elfClass, syms);
        // Half the lies land in the headers (ELF header, the three section headers at the end).
        const shoff = whole.length - 3 * (elfClass === 64 ? 64 : 40);
        for (const { at, width, value } of lies) {
          const where = at % 2 === 0 ? at % whole.length : at < 1024 ? at % (elfClass === 64 ? 64 : 52) : shoff + (at % (whole.length - shoff));
          if (width === 1) whole[where] = Number(value & 0xffn);
          else patchLe(whole, where, width, value);
        }
        const bytes = cut === undefined ? whole : whole.subarray(0, cut % (whole.length + 1));
        const table = await onlyTypedAsync(() => readElfSymbols(memoryFile(bytes), BigInt(bytes.length), 'fuzz.elf'));
        if (table === undefined) return;
        // Every name comes from the file's bytes: no symbol longer than the file.
        for (const s of table.symbols()) expect(Buffer.byteLength(s.name)).toBeLessThan(bytes.length);
        checkResolves(table, addrs);
      }),
      fuzzParams(3000),
    );
  });

  it('reads System.map text of any lines, or refuses the file with a typed error', () => {
    const address = fc.oneof(fc.bigInt({ min: 0n, max: TOP }).map((v) => v.toString(16)), fc.constantFrom('', '0', 'ffffffffffffffff', '1ffffffffffffffff', 'xyz', '0x10'));
    const line = fc.oneof(
      fc.tuple(address, fc.constantFrom('T', 't', 'D', 'b', 'W', 'v', 'A', 'U', 'N', '?', 'C', 'TT', ''), symName, fc.option(symName, { nil: undefined }))
        .map(([a, t, n, m]) => `${a} ${t} ${n}${m === undefined ? '' : ` [${m}]`}`),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('', '   ', '\r', 'The real System.map is in the linux-image-6.1.0-dbg package'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), addresses, (lines, eol, addrs) => {
        const text = lines.join(eol);
        const table = onlyTyped(() => parseSystemMap(text, 'System.map'));
        if (table === undefined) return;
        expect(table.size).toBeGreaterThan(0);
        expect(table.size).toBeLessThanOrEqual(lines.length);
        checkResolves(table, addrs);
      }),
      fuzzParams(5000),
    );
  });
});
