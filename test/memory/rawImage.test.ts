import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRawImage } from '../../src/memory';
import { DumpTarget } from '../../src/target/dumpTarget';
import type { Target } from '../../src/target/target';
import { pattern } from '../helpers/elfCoreWriter';
import { makeTempDir, rejection, type TempDir } from './tempFiles';

describe('raw image', () => {
  let tmp: TempDir;
  const data = pattern(0x3000, 7);
  let path: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    path = await tmp.file('ram.bin', data);
  });
  afterAll(() => tmp.cleanup());

  it('reads bytes at their offset when the base is 0', async () => {
    const img = await openRawImage(path);
    try {
      expect(await img.read(0x10n, 16)).toEqual(data.slice(0x10, 0x20));
      expect(await img.read(0n, 0x3000)).toEqual(data);
      expect(await img.read(0x2fffn, 1)).toEqual(data.slice(0x2fff));
      expect(await img.read(0x3000n, 0)).toEqual(new Uint8Array(0));
      expect(img.description).toBe('raw image ram.bin: 12 KiB, PA 0x0..0x2fff');
    } finally {
      await img.close();
    }
  });

  it('maps file offset 0 to the base address', async () => {
    const img = await openRawImage(path, { base: 0x100000n });
    try {
      expect(await img.read(0x101005n, 3)).toEqual(data.slice(0x1005, 0x1008));
      const below = await rejection(img.read(0xffff0n, 16));
      expect(below.code).toBe('OUT_OF_RANGE');
      expect(below.message).toBe(
        'physical read 0xffff0..0xfffff (16 bytes) is outside raw image ram.bin, which holds PA 0x100000..0x102fff',
      );
    } finally {
      await img.close();
    }
  });

  it('refuses a read that only partly overlaps the image', async () => {
    const img = await openRawImage(path);
    try {
      const e = await rejection(img.read(0x2ff0n, 0x20));
      expect(e.code).toBe('OUT_OF_RANGE');
      expect(e.message).toContain('0x2ff0..0x300f');
      expect((await rejection(img.read(0x1_0000_0000n, 1))).code).toBe('OUT_OF_RANGE');
      expect((await rejection(img.read(-1n, 1))).code).toBe('BAD_ARGUMENT');
      expect((await rejection(img.read(0n, 1.5))).code).toBe('BAD_ARGUMENT');
    } finally {
      await img.close();
    }
  });

  it('reports a missing file as BAD_FILE with its name', async () => {
    const missing = join(tmp.dir, 'nope.bin');
    const e = await rejection(openRawImage(missing));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toBe(`cannot open raw image '${missing}': no such file`);
  });

  it('refuses a directory', async () => {
    const e = await rejection(openRawImage(tmp.dir));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toContain('not a regular file');
  });

  it('as a dump target it is read-only: no writeMemory capability, physical writes refused, the file unchanged', async () => {
    const t: Target = await DumpTarget.open(path, { raw: true, base: 0x1000n });
    try {
      expect(t.capabilities.writeMemory).toBe(false);
      const e = await rejection(t.writePhysical(0x1100n, new Uint8Array([0xde, 0xad])));
      expect(e.code).toBe('TARGET');
      expect(e.message).toBe('a dump is a snapshot: it cannot be written');
    } finally {
      await t.close();
    }
    expect(new Uint8Array(await readFile(path))).toEqual(data);
  });

  it('rejects reads after close, and close twice is harmless', async () => {
    const img = await openRawImage(path);
    await img.close();
    await img.close();
    expect((await rejection(img.read(0n, 1))).message).toContain('closed');
  });

  it('describes an empty image', async () => {
    const empty = await tmp.file('empty.bin', new Uint8Array(0));
    const img = await openRawImage(empty);
    try {
      expect(img.description).toBe('raw image empty.bin: 0 bytes, empty');
      expect((await rejection(img.read(0n, 1))).message).toContain('holds nothing (empty file)');
    } finally {
      await img.close();
    }
  });
});
