import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disassembleAround, type Instruction } from '../../src/disasm';
import { makeWorkshop, type Workshop } from '../symbols/toolchain';
import { fakeMemory, fill } from './fakeMemory';
import { parseObjdump } from './objdump';

function fail(name: string): never {
  throw new Error(`${name} was not built`);
}

/** Each entry ends where the next begins: no gaps, no overlaps, addresses only go up. */
function expectContiguous(out: Instruction[]): void {
  for (let i = 0; i + 1 < out.length; i++) {
    expect(out[i].address + BigInt(out[i].length), `entry ${i}`).toBe(out[i + 1].address);
  }
}

function expectMonotonic(out: Instruction[]): void {
  for (let i = 0; i + 1 < out.length; i++) expect(out[i + 1].address >= out[i].address).toBe(true);
}

const COPIES = 8;
const NO_UNWIND = ['-fno-asynchronous-unwind-tables'];

describe('disassembleAround on real code: negative offsets land exactly on the anchor', () => {
  let ws: Workshop;
  /** Back-to-back copies of each .text; instruction starts known from objdump. */
  const code = new Map<string, { va: bigint; bytes: Uint8Array; starts: bigint[]; perCopy: number }>();
  const builds: Array<[name: string, bitness: 32 | 64, build: (ws: Workshop) => void]> = [
    ['hv64', 64, (w) => w.run('as', ['--64', '-o', 'hv64.o', 'hv64.s'])],
    ['hv32', 32, (w) => w.run('as', ['--32', '-o', 'hv32.o', 'hv32.s'])],
    ['gcc64', 64, (w) => w.run('gcc', ['-O2', '-c', ...NO_UNWIND, '-o', 'gcc64.o', 'compiled.c'])],
    ['gcc32', 32, (w) => w.run('gcc', ['-O2', '-m32', '-ffreestanding', '-c', ...NO_UNWIND, '-o', 'gcc32.o', 'compiled.c'])],
  ];

  beforeAll(async () => {
    ws = await makeWorkshop('disasm-around');
    for (const f of ['hv64.s', 'hv32.s', 'compiled.c']) {
      await ws.write(f, await readFile(new URL(`./fixtures/${f}`, import.meta.url)));
    }
    for (const [name, bitness, build] of builds) {
      build(ws);
      ws.run('objcopy', ['-O', 'binary', '--only-section=.text', `${name}.o`, `${name}.text`]);
      const text = new Uint8Array(await readFile(ws.path(`${name}.text`)));
      const one = parseObjdump(ws.run('objdump', ['-d', '-M', 'intel', '-j', '.text', `${name}.o`])).map((l) => l.address);
      const va = bitness === 64 ? 0xffff82d040200000n : 0xc1000000n;
      const bytes = new Uint8Array(text.length * COPIES);
      const starts: bigint[] = [];
      for (let c = 0; c < COPIES; c++) {
        bytes.set(text, c * text.length);
        starts.push(...one.map((o) => va + BigInt(c * text.length) + o));
      }
      code.set(name, { va, bytes, starts, perCopy: one.length });
    }
  });
  afterAll(() => ws.cleanup());

  const cases = builds.map(([name, bitness]) => [name, bitness] as const);
  it.each(cases)('%s: any anchor, any offset back, any count', async (name, bitness) => {
    const { va, bytes, starts, perCopy } = code.get(name) ?? fail(name);
    expect(perCopy).toBeGreaterThan(20);
    const mem = fakeMemory([{ va, bytes }]);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: perCopy * 3, max: perCopy * 4 - 1 }), // three copies before, four after
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 60 }),
        async (anchorIndex, back, count) => {
          const out = await disassembleAround(mem.read, starts[anchorIndex], -back, count, bitness);
          expect(out).toHaveLength(count);
          expect(out.map((i) => i.address)).toEqual(starts.slice(anchorIndex - back, anchorIndex - back + count));
          expect(out.every((i) => !i.invalid)).toBe(true);
          expectContiguous(out);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('positive offsets skip forward; counts shorter than the offset stop before the anchor', async () => {
    const { va, bytes, starts } = code.get('hv64') ?? fail('hv64');
    const mem = fakeMemory([{ va, bytes }]);
    const k = starts.length / 2;
    const fwd = await disassembleAround(mem.read, starts[k], 5, 3, 64);
    expect(fwd.map((i) => i.address)).toEqual(starts.slice(k + 5, k + 8));
    const back = await disassembleAround(mem.read, starts[k], -10, 4, 64);
    expect(back.map((i) => i.address)).toEqual(starts.slice(k - 10, k - 6));
    const around = await disassembleAround(mem.read, starts[k], -2, 5, 64);
    expect(around.map((i) => i.address)).toEqual(starts.slice(k - 2, k + 3));
    expect(await disassembleAround(mem.read, starts[k], -2, 0, 64)).toEqual([]);
  });

  it('passes the symbolizer through', async () => {
    const { va, bytes } = code.get('hv64') ?? fail('hv64');
    const mem = fakeMemory([{ va, bytes }]);
    const out = await disassembleAround(mem.read, va, 0, 2, 64, { symbolize: (a) => (a === va ? 'f' : undefined) });
    expect(out[0].symbol).toBe('f');
  });
});

describe('disassembleAround over unreadable memory', () => {
  const nop = 0x90;

  it('a hole between readable pages becomes one ?? entry per page, both directions', async () => {
    const mem = fakeMemory([
      { va: 0x1000n, bytes: fill(0x1000, nop) },
      { va: 0x3000n, bytes: fill(0x1000, nop) },
    ]);
    const out = await disassembleAround(mem.read, 0x3000n, -5, 10, 64);
    expect(out.map((i) => [i.address, i.text, i.length])).toEqual([
      [0x1ffcn, 'nop', 1],
      [0x1ffdn, 'nop', 1],
      [0x1ffen, 'nop', 1],
      [0x1fffn, 'nop', 1],
      [0x2000n, '??', 0x1000],
      [0x3000n, 'nop', 1],
      [0x3001n, 'nop', 1],
      [0x3002n, 'nop', 1],
      [0x3003n, 'nop', 1],
      [0x3004n, 'nop', 1],
    ]);
    expect(out[4]).toMatchObject({ invalid: true, unreadable: true, bytes: new Uint8Array(0) });
    expectContiguous(out);
    const fwd = await disassembleAround(mem.read, 0x1ffen, 0, 4, 64);
    expect(fwd.map((i) => [i.address, i.text])).toEqual([
      [0x1ffen, 'nop'],
      [0x1fffn, 'nop'],
      [0x2000n, '??'],
      [0x3000n, 'nop'],
    ]);
  });

  it('an instruction cut by an unreadable page is one invalid entry, then the placeholder', async () => {
    const page = fill(0x1000, nop);
    page.set([0x48, 0x8b], 0xffe); // the first two bytes of a mov
    const mem = fakeMemory([{ va: 0x1000n, bytes: page }]);
    const out = await disassembleAround(mem.read, 0x1ffcn, 0, 5, 64);
    expect(out.map((i) => [i.address, i.text, i.length, i.invalid])).toEqual([
      [0x1ffcn, 'nop', 1, false],
      [0x1ffdn, 'nop', 1, false],
      [0x1ffen, '(bad)', 2, true],
      [0x2000n, '??', 0x1000, true],
      [0x3000n, '??', 0x1000, true],
    ]);
  });

  it('the anchor itself unreadable: placeholders all round, and a throwing reader is the same as an unreadable page', async () => {
    for (const throwOnUnreadable of [false, true]) {
      const mem = fakeMemory([], { throwOnUnreadable });
      const out = await disassembleAround(mem.read, 0x5123n, -2, 4, 64);
      expect(out.map((i) => [i.address, i.length, i.text])).toEqual([
        [0x4000n, 0x1000, '??'],
        [0x5000n, 0x123, '??'],
        [0x5123n, 0xedd, '??'],
        [0x6000n, 0x1000, '??'],
      ]);
    }
  });

  it('a page readable only in part splits at the last readable byte', async () => {
    const mem = fakeMemory([{ va: 0x1000n, bytes: fill(0x800, nop) }, { va: 0x2000n, bytes: fill(0x1000, nop) }]);
    const out = await disassembleAround(mem.read, 0x2000n, -3, 4, 64);
    expect(out.map((i) => [i.address, i.text, i.length])).toEqual([
      [0x17fen, 'nop', 1],
      [0x17ffn, 'nop', 1],
      [0x1800n, '??', 0x800],
      [0x2000n, 'nop', 1],
    ]);
  });

  it('reads each page once per request, in page-sized aligned chunks', async () => {
    const mem = fakeMemory([{ va: 0x10000n, bytes: fill(0x3000, nop) }]);
    await disassembleAround(mem.read, 0x11000n, -100, 300, 64);
    const bases = mem.reads.map(([a]) => a);
    expect(new Set(bases).size).toBe(bases.length);
    expect(mem.reads.every(([a, n]) => a % 0x1000n === 0n && n === 0x1000)).toBe(true);
  });

  it('bottom and top of the address space still give exactly count entries, monotonic', async () => {
    const low = fakeMemory([{ va: 0n, bytes: fill(0x1000, nop) }]);
    const out = await disassembleAround(low.read, 3n, -10, 12, 64);
    expect(out).toHaveLength(12);
    expectMonotonic(out);
    expect(out.slice(0, 7).every((i) => i.unreadable && i.address === 0n && i.length === 0)).toBe(true);
    expect(out.slice(7).map((i) => [i.address, i.text])).toEqual([
      [0n, 'nop'],
      [1n, 'nop'],
      [2n, 'nop'],
      [3n, 'nop'],
      [4n, 'nop'],
    ]);

    const topPage = 0xffff_ffff_ffff_f000n;
    const high = fakeMemory([{ va: topPage, bytes: fill(0x1000, nop) }]);
    const top = await disassembleAround(high.read, 0xffff_ffff_ffff_fffen, 0, 4, 64);
    expect(top).toHaveLength(4);
    expectMonotonic(top);
    expect(top.map((i) => [i.address, i.text])).toEqual([
      [0xffff_ffff_ffff_fffen, 'nop'],
      [0xffff_ffff_ffff_ffffn, 'nop'],
      [0xffff_ffff_ffff_ffffn, '??'],
      [0xffff_ffff_ffff_ffffn, '??'],
    ]);
  });

  it('refuses nonsense arguments', async () => {
    const mem = fakeMemory([]);
    await expect(disassembleAround(mem.read, 0n, 0, -1, 64)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(disassembleAround(mem.read, 0n, 0.5, 1, 64)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(disassembleAround(mem.read, -1n, 0, 1, 64)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(disassembleAround(mem.read, 0n, 0, 1, 64, { chunkBytes: 100 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});

describe('disassembleAround invariants on arbitrary bytes and page layouts', () => {
  it('exactly count entries, contiguous, the anchor where the offset says', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0x4000, maxLength: 0x4000 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 0x3fff }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(16 as const, 32 as const, 64 as const),
        async (bytes, readable, anchorOffset, back, after, bitness) => {
          const regions = readable.flatMap((r, page) =>
            r ? [{ va: 0x10000n + BigInt(page * 0x1000), bytes: bytes.subarray(page * 0x1000, (page + 1) * 0x1000) }] : [],
          );
          const mem = fakeMemory(regions);
          const anchor = 0x10000n + BigInt(anchorOffset);
          const out = await disassembleAround(mem.read, anchor, -back, back + after, bitness);
          expect(out).toHaveLength(back + after);
          expect(out[back].address).toBe(anchor);
          expectContiguous(out);
        },
      ),
      { numRuns: 150 },
    );
  });
});
