import { open, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadElfSymbols } from '../../src/symbols';
import { buildElf, flatElf, STB, STT } from './elfWriter';
import { makeWorkshop, type Workshop } from './toolchain';

let ws: Workshop;
beforeAll(async () => {
  ws = await makeWorkshop('symbols-errors');
  await ws.write('a.s', '\t.text\n\t.globl _start\n_start:\tnop\n\tret\n');
  ws.run('as', ['--64', '-o', 'a.o', 'a.s']);
  ws.run('ld', ['-o', 'a', 'a.o']);
});
afterAll(() => ws.cleanup());

async function failure(path: string): Promise<{ code?: string; message: string }> {
  try {
    await loadElfSymbols(path);
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error(`expected loading ${path} to fail`);
}

describe('loadElfSymbols reports bad files clearly', () => {
  it('missing file', async () => {
    const e = await failure(ws.path('nope'));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toMatch(/cannot open ELF file .*nope.*no such file/);
  });

  it('not an ELF file', async () => {
    const e = await failure(await ws.write('notes.txt', 'just some text, not a kernel\n'));
    expect(e).toMatchObject({ code: 'BAD_FILE' });
    expect(e.message).toMatch(/notes\.txt: not an ELF file/);
    expect((await failure(await ws.write('tiny', 'ab'))).message).toMatch(/not an ELF file/);
  });

  it('stripped executable', async () => {
    ws.run('strip', ['-o', 'a.stripped', 'a']);
    const e = await failure(ws.path('a.stripped'));
    expect(e).toMatchObject({ code: 'BAD_FILE' });
    expect(e.message).toMatch(/a\.stripped: no symbol table.*stripped/);
  });

  it('truncated copies, cut anywhere, fail with BAD_FILE', async () => {
    const whole = await readFile(ws.path('a'));
    const e1 = await failure(await ws.write('cut-half', whole.subarray(0, whole.length >> 1)));
    expect(e1).toMatchObject({ code: 'BAD_FILE' });
    expect(e1.message).toMatch(/cut-half: truncated/);
    const e2 = await failure(await ws.write('cut-header', whole.subarray(0, 40)));
    expect(e2.message).toMatch(/cut-header: truncated: the ELF64 header needs 64 bytes/);
    for (let cut = 4; cut < whole.length; cut += 61) {
      const e = await failure(await ws.write('cut', whole.subarray(0, cut)));
      expect(e.code, `cut at ${cut}`).toBe('BAD_FILE');
    }
  });

  it('big-endian and unknown classes are refused by name', async () => {
    const be = flatElf(64, [{ name: 'f', value: 0x1000n, info: (STB.GLOBAL << 4) | STT.FUNC }]);
    be[5] = 2;
    expect((await failure(await ws.write('be', be))).message).toMatch(/not little-endian/);
    const odd = flatElf(64, []);
    odd[4] = 7;
    expect((await failure(await ws.write('odd', odd))).message).toMatch(/unknown ELF class 7/);
  });
});

describe('loadElfSymbols reads by position', () => {
  it('finds symbols behind a 5 GiB hole, in a file too big to read whole', async () => {
    const tailOffset = 5n << 30n;
    const elf = buildElf(64, [{ name: 'far_away', value: 0xffff800000001000n, size: 16n, info: (STB.GLOBAL << 4) | STT.FUNC }], tailOffset);
    const path = ws.path('sparse');
    const fh = await open(path, 'w');
    try {
      await fh.write(elf.head, 0, elf.head.length, 0);
      await fh.write(elf.tail, 0, elf.tail.length, Number(tailOffset));
    } finally {
      await fh.close();
    }
    const table = await loadElfSymbols(path);
    expect(table.lookup('far_away')).toMatchObject({ va: 0xffff800000001000n, sizeBytes: 16n });
  });
});

describe('symbol filtering on hand-built tables', () => {
  const what = 'keeps code, data and labels; drops sections, files, empty, $-names, undefined and zero';
  it.each([32, 64] as const)(`ELF%i ${what}`, async (cls) => {
    const g = (t: number): number => (STB.GLOBAL << 4) | t;
    const path = await ws.write(
      `filter${cls}`,
      flatElf(cls, [
        { name: 'func', value: 0x1000n, size: 8n, info: g(STT.FUNC) },
        { name: 'obj', value: 0x2000n, size: 4n, info: g(STT.OBJECT) },
        { name: 'label', value: 0x3000n, info: g(STT.NOTYPE) },
        { name: 'ifunc', value: 0x4000n, info: g(10) },
        { name: 'zero', value: 0n, info: g(STT.FUNC) },
        { name: '', value: 0x5000n, info: g(STT.FUNC) },
        { name: '$x', value: 0x5000n, info: g(STT.NOTYPE) },
        { name: 'undef', value: 0x6000n, info: g(STT.FUNC), shndx: 0 },
        { name: '.text', value: 0x1000n, info: STT.SECTION },
        { name: 'file.c', value: 0x1000n, info: STT.FILE },
        { name: 'absolute', value: 0x7000n, info: g(STT.NOTYPE), shndx: 0xfff1 },
      ]),
    );
    const table = await loadElfSymbols(path);
    expect(table.symbols().map((s) => [s.name, s.type])).toEqual([
      ['func', 'func'],
      ['obj', 'object'],
      ['label', 'notype'],
      ['ifunc', 'func'],
      ['absolute', 'notype'],
    ]);
  });

  it('uses .dynsym when there is no .symtab', async () => {
    const path = await ws.write('dyn', flatElf(64, [{ name: 'exported', value: 0x1000n, info: (STB.GLOBAL << 4) | STT.FUNC }], 11));
    expect((await loadElfSymbols(path)).lookup('exported')?.va).toBe(0x1000n);
  });
});
