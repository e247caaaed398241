import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadElfSymbols, SymbolTable } from '../../src/symbols';
import { makeWorkshop, parseNm, type NmSymbol, type Workshop } from './toolchain';

/** A small image with the symbol kinds a hypervisor has: sized functions, a static, a weak, an asm label, data. */
function source(sp: string, bp: string): string {
  return `
	.text
	.globl entry
	.type entry,@function
entry:	nop
	call helper
	ret
	.size entry,.-entry
	.type helper,@function
helper:	push %${bp}
	mov %${sp},%${bp}
	pop %${bp}
	ret
	.size helper,.-helper
	.globl asm_label
asm_label:
	hlt
	jmp asm_label
	.p2align 4
	.weak weakfn
	.type weakfn,@function
weakfn:	ret
	.size weakfn,.-weakfn
	.data
	.globl counter
	.type counter,@object
counter: .long 0, 0
	.size counter,8
	.type table,@object
table:	.zero 64
	.size table,64
`;
}

let ws: Workshop;
beforeAll(async () => {
  ws = await makeWorkshop('symbols');
  await ws.write('x64.s', source('rsp', 'rbp'));
  await ws.write('x32.s', source('esp', 'ebp'));
  ws.run('as', ['--64', '-o', 'x64.o', 'x64.s']);
  ws.run('ld', ['-o', 'x64', '-e', 'entry', '-Ttext=0xffff82d040200000', 'x64.o']);
  ws.run('as', ['--32', '-o', 'x32.o', 'x32.s']);
  ws.run('ld', ['-m', 'elf_i386', '-o', 'x32', '-e', 'entry', '-Ttext=0xc1000000', 'x32.o']);
  ws.run('ld', ['-shared', '-o', 'libx64.so', 'x64.o']);
});
afterAll(() => ws.cleanup());

/** nm's view of the symbols an address can resolve to (defined, non-zero). */
function nmTruth(file: string): NmSymbol[] {
  return parseNm(ws.run('nm', ['-S', file])).filter((s) => s.va !== 0n && s.type !== 'U' && s.type !== 'N');
}

function expectMatchesNm(table: SymbolTable, truth: NmSymbol[]): void {
  const ours = table
    .symbols()
    .map((s) => `${s.name}@${s.va.toString(16)}`)
    .sort();
  const theirs = truth.map((s) => `${s.name}@${s.va.toString(16)}`).sort();
  expect(ours).toEqual(theirs);
  for (const t of truth) {
    const hit = table.lookupAll(t.name).find((s) => s.va === t.va);
    expect(hit, t.name).toBeDefined();
    expect(hit?.sizeBytes, t.name).toBe(t.sizeBytes ?? 0n);
  }
}

/** Every byte of every sized symbol resolves to that symbol, at the right offset. */
function expectSymbolizesRanges(table: SymbolTable, truth: NmSymbol[]): void {
  for (const t of truth.filter((s) => s.sizeBytes !== undefined && s.sizeBytes > 0n)) {
    for (let off = 0n; off < (t.sizeBytes ?? 0n); off++) {
      const hit = table.symbolize(t.va + off);
      expect(hit?.sym.name, `${t.name}+${off}`).toBe(t.name);
      expect(hit?.offset).toBe(off);
    }
  }
}

describe('loadElfSymbols on binutils-built files, checked against nm -S', () => {
  it.each([
    ['ELF64 executable', 'x64'],
    ['ELF32 executable', 'x32'],
    ['ELF64 shared object', 'libx64.so'],
  ])('%s', async (_what, file) => {
    const table = await loadElfSymbols(ws.path(file));
    const truth = nmTruth(file);
    expect(truth.length).toBeGreaterThan(5);
    expectMatchesNm(table, truth);
    expectSymbolizesRanges(table, truth);
  });

  it('keeps types and bindings, and resolves names to addresses', async () => {
    const table = await loadElfSymbols(ws.path('x64'));
    const nm = new Map(nmTruth('x64').map((s) => [s.name, s]));
    expect(table.lookup('entry')).toMatchObject({ type: 'func', binding: 'global', sizeBytes: nm.get('entry')?.sizeBytes });
    expect(table.lookup('helper')).toMatchObject({ type: 'func', binding: 'local' });
    expect(table.lookup('weakfn')).toMatchObject({ type: 'func', binding: 'weak' });
    expect(table.lookup('asm_label')).toMatchObject({ type: 'notype', sizeBytes: 0n, va: nm.get('asm_label')?.va });
    expect(table.lookup('counter')).toMatchObject({ type: 'object', va: nm.get('counter')?.va, module: 'x64' });
    expect(table.lookup('x64:helper')?.va).toBe(nm.get('helper')?.va);
    expect(table.lookup('nosuch')).toBeUndefined();
    expect(table.lookup('other:helper')).toBeUndefined();
  });

  it('names an address inside an unsized asm label after the label', async () => {
    const table = await loadElfSymbols(ws.path('x64'));
    const label = table.lookup('asm_label');
    expect(label).toBeDefined();
    const va = (label?.va ?? 0n) + 1n; // the jmp after the hlt
    expect(table.formatAddress(va)).toBe('asm_label+0x1');
    expect(table.formatAddress(label?.va ?? 0n)).toBe('asm_label');
    expect(table.formatAddress(0x1000n)).toBe('0x1000');
  });

  it('a relocatable object loads too (symbols at section offset 0 have no address and are dropped)', async () => {
    const table = await loadElfSymbols(ws.path('x64.o'));
    const truth = parseNm(ws.run('nm', ['-S', 'x64.o'])).filter((s) => s.va !== 0n && s.type !== 'U');
    expectMatchesNm(table, truth);
  });

  it('falls back to .dynsym when .symtab is stripped', async () => {
    ws.run('strip', ['--strip-all', '-o', 'libx64.stripped.so', 'libx64.so']);
    const table = await loadElfSymbols(ws.path('libx64.stripped.so'));
    const truth = parseNm(ws.run('nm', ['-D', '-S', 'libx64.stripped.so'])).filter(
      (s) => s.va !== 0n && s.type !== 'U',
    );
    expect(truth.map((s) => s.name)).toContain('entry');
    expectMatchesNm(table, truth);
    expect(table.lookup('helper')).toBeUndefined(); // a static: not exported
  });

  it('applies a load bias and merges images', async () => {
    const x64 = await loadElfSymbols(ws.path('x64'));
    const biased = await loadElfSymbols(ws.path('x64'), { bias: 0x1000n, module: 'relocated' });
    expect(biased.lookup('entry')?.va).toBe((x64.lookup('entry')?.va ?? 0n) + 0x1000n);
    const x32 = await loadElfSymbols(ws.path('x32'));
    const merged = SymbolTable.merge([x64, { table: x32, bias: 0x100n }]);
    expect(merged.size).toBe(x64.size + x32.size);
    expect(merged.lookup('x32:entry')?.va).toBe((x32.lookup('entry')?.va ?? 0n) + 0x100n);
    expect(merged.lookup('x64:entry')?.va).toBe(x64.lookup('entry')?.va);
    expect(merged.symbolize((x32.lookup('helper')?.va ?? 0n) + 0x101n)).toMatchObject({
      sym: { name: 'helper', module: 'x32' },
      offset: 1n,
    });
  });

  it('completes function names by prefix, skipping data', async () => {
    const table = await loadElfSymbols(ws.path('x64'));
    expect(table.complete('', 100).map((s) => s.name)).toEqual([
      '__bss_start',
      '_edata',
      '_end',
      'asm_label',
      'entry',
      'helper',
      'weakfn',
    ]);
    expect(table.complete('e').map((s) => s.name)).toEqual(['entry']);
    expect(table.complete('_', 2).map((s) => s.name)).toEqual(['__bss_start', '_edata']);
    expect(table.complete('count')).toEqual([]);
  });
});
