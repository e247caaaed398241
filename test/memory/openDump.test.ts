import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDump, PageCache } from '../../src/memory';
import { buildElfCore, pattern } from '../helpers/elfCoreWriter';
import { makeTempDir, rejection, type TempDir } from './tempFiles';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await makeTempDir();
});
afterAll(() => tmp.cleanup());

describe('openDump', () => {
  const data = pattern(0x2000, 9);

  it('opens an ELF core by its magic', async () => {
    const path = await tmp.file('guest.elf', buildElfCore({ segments: [{ pa: 0x1000n, data }] }));
    const dump = await openDump(path);
    try {
      expect(dump.kind).toBe('elf-core');
      const cached = new PageCache(dump);
      expect(await cached.read(0x1000n, 0x2000)).toEqual(data);
      expect(cached.stats.sourceReads).toBe(1);
    } finally {
      await dump.close();
    }
  });

  it('opens a raw image only when asked, at the given base', async () => {
    const path = await tmp.file('ram.bin', data);
    const refused = await rejection(openDump(path));
    expect(refused.code).toBe('BAD_FILE');
    expect(refused.message).toBe(
      `'${path}' is not an ELF core (starts with ${[...data.slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}); ` +
        'if it is a raw physical memory image, open it with --raw',
    );
    const dump = await openDump(path, { raw: true, base: 0x4000n });
    try {
      expect(dump.kind).toBe('raw');
      expect(await dump.read(0x4010n, 4)).toEqual(data.slice(0x10, 0x14));
    } finally {
      await dump.close();
    }
  });

  it('lets --raw win over an ELF magic', async () => {
    const bytes = buildElfCore({ segments: [{ pa: 0n, data }] });
    const dump = await openDump(await tmp.file('forced.bin', bytes), { raw: true });
    try {
      expect(dump.kind).toBe('raw');
      expect(await dump.read(0n, 4)).toEqual(bytes.slice(0, 4));
    } finally {
      await dump.close();
    }
  });

  it('refuses a base address for an ELF core', async () => {
    const path = await tmp.file('based.elf', buildElfCore({ segments: [{ pa: 0n, data }] }));
    expect((await rejection(openDump(path, { base: 0x1000n }))).code).toBe('BAD_ARGUMENT');
  });

  it('names kdump-compressed dumps and empty files', async () => {
    const kdump = await tmp.file('vmcore.kdump', new TextEncoder().encode('KDUMP   and the rest'));
    expect((await rejection(openDump(kdump))).message).toContain('kdump-compressed');
    const empty = await tmp.file('empty', new Uint8Array(0));
    expect((await rejection(openDump(empty))).message).toContain('starts with nothing: empty file');
  });

  it('reports a missing file', async () => {
    const missing = join(tmp.dir, 'gone.elf');
    const e = await rejection(openDump(missing));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toBe(`cannot open dump '${missing}': no such file`);
  });
});
