import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openElfCore } from '../../src/memory';
import { buildElfCore, pattern, type CoreSpec } from '../helpers/elfCoreWriter';
import { makeTempDir, rejection, type TempDir } from './tempFiles';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await makeTempDir();
});
afterAll(() => tmp.cleanup());

/** Opens `bytes` as a core and returns the error it must fail with. */
async function openFails(name: string, bytes: Uint8Array): Promise<Error & { code?: string }> {
  return rejection(openElfCore(await tmp.file(name, bytes)));
}

describe.each([64, 32] as const)('truncated ELF%i cores', (elfClass) => {
  const spec: CoreSpec = {
    elfClass,
    segments: [
      { pa: 0n, data: pattern(0x2000, 1) },
      { pa: 0x100000n, data: pattern(0x1000, 2) },
    ],
    vcpus: [{ regs: { rax: 1n } }, { regs: { rax: 2n } }],
  };
  const whole = buildElfCore(spec);
  const ehdr = elfClass === 64 ? 64 : 52;
  const phdrs = ehdr + 3 * (elfClass === 64 ? 56 : 32);
  const dataStart = whole.length - 0x3000;

  // Each cut point, and the words its message must contain.
  const cuts: [string, number, RegExp][] = [
    ['inside the identification', 10, /truncated: the ELF header is cut at 10 bytes/],
    ['inside the ELF header', ehdr - 4, new RegExp(`ELF${elfClass} header needs ${ehdr} bytes`)],
    ['right after the ELF header', ehdr, /truncated: 3 program headers .* past the end of the file/],
    ['inside the program headers', phdrs - 1, /truncated: 3 program headers/],
    ['inside the CPU notes', phdrs + 20, /truncated: PT_NOTE segment 0 \(CPU notes\)/],
    ['at the start of memory', dataStart, /truncated: PT_LOAD segment 1 \(PA 0x0\.\.0x1fff\)/],
    ['inside the first segment', dataStart + 0x1000, /truncated: PT_LOAD segment 1/],
    ['one byte short', whole.length - 1, /truncated: PT_LOAD segment 2 \(PA 0x100000\.\.0x100fff\) needs file bytes .* but the file ends at/],
  ];

  it.each(cuts)('reports a file cut %s as BAD_FILE', async (_where, at, words) => {
    const e = await openFails(`cut${elfClass}-${at}.elf`, whole.slice(0, at));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toMatch(words);
    expect(e.message).toContain(`cut${elfClass}-${at}.elf`);
  });

  it('opens the uncut file', async () => {
    const core = await openElfCore(await tmp.file(`whole${elfClass}.elf`, whole));
    expect(core.vcpus).toHaveLength(2);
    await core.close();
  });
});

describe('malformed ELF cores', () => {
  const spec: CoreSpec = { segments: [{ pa: 0n, data: pattern(0x1000, 1) }], vcpus: [{ regs: {} }] };
  const broken: [string, CoreSpec['patch'], RegExp][] = [
    ['wrong magic', { magic: [0x7f, 0x45, 0x4c, 0x47] }, /not an ELF file \(no \\x7fELF magic\)/],
    ['an unknown class', { elfClassByte: 3 }, /unknown ELF class 3/],
    ['big-endian data', { dataByte: 2 }, /not little-endian/],
    ['an executable, not a core', { type: 2 }, /ELF type 2 is not a core dump/],
    ['an AArch64 machine', { machine: 183 }, /ELF machine 183 is not x86/],
  ];

  it.each(broken)('refuses %s with BAD_FILE', async (what, patch, words) => {
    const e = await openFails(`${what.replace(/\W+/g, '-')}.elf`, buildElfCore({ ...spec, patch }));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toMatch(words);
  });

  it('refuses a tiny non-ELF file', async () => {
    const e = await openFails('tiny.elf', new Uint8Array([1, 2]));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toContain('not an ELF file');
  });

  it('refuses a core with no PT_LOAD', async () => {
    const e = await openFails('noload.elf', buildElfCore({ segments: [], vcpus: [{ regs: {} }] }));
    expect(e.message).toContain('no PT_LOAD segments');
  });

  it('refuses a note whose descriptor runs past its segment', async () => {
    const bytes = buildElfCore(spec);
    const firstNote = 64 + 2 * 56; // after the ELF64 header and two program headers
    new DataView(bytes.buffer).setUint32(firstNote + 4, 0x10000, true); // n_descsz
    const e = await openFails('badnote.elf', bytes);
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toContain('note 0 (5-byte name, 65536-byte descriptor) runs past the end of its PT_NOTE segment');
  });

  it('refuses a QEMU note too short for QEMUCPUState', async () => {
    const bytes = buildElfCore(spec);
    const qemuNote = 64 + 2 * 56 + (12 + 8 + 336); // after the CORE note
    new DataView(bytes.buffer).setUint32(qemuNote + 4, 100, true);
    const e = await openFails('shortqemu.elf', bytes);
    expect(e.message).toContain('QEMU CPU state note is 100 bytes, expected at least 432');
  });

  it('refuses a segment storing more than its memory size', async () => {
    const bytes = buildElfCore(spec);
    const load = 64 + 56; // second program header
    new DataView(bytes.buffer).setBigUint64(load + 40, 0x800n, true); // p_memsz < p_filesz
    const e = await openFails('filesz.elf', bytes);
    expect(e.message).toContain('stores 4096 bytes, more than its memory size 2048');
  });

  it('reports a missing core by name', async () => {
    const missing = join(tmp.dir, 'absent.elf');
    const e = await rejection(openElfCore(missing));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toBe(`cannot open ELF core '${missing}': no such file`);
  });
});
