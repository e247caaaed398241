import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openElfCore, type ElfCore } from '../../src/memory';
import { buildElfCore, pattern, type CoreSpec, type WriterSegment } from '../helpers/elfCoreWriter';
import { makeTempDir, rejection, type TempDir } from './tempFiles';

const L_BIT = 1n << 21n; // CS descriptor L, as QEMU stores segment flags (descriptor high dword)
const CR0_PG = 1n << 31n;
const CR0_PE = 1n;
const CR4_PAE = 1n << 5n;

// Three segments: A and B adjacent, then a hole, then C whose tail past p_filesz was not dumped.
const A = pattern(0x3000, 1);
const B = pattern(0x2000, 2);
const C = pattern(0x1000, 3);
const segments: WriterSegment[] = [
  { pa: 0n, data: A },
  { pa: 0x3000n, data: B, va: 0xffff_8880_0000_3000n }, // p_vaddr must be ignored
  { pa: 0x10000n, data: C, memBytes: 0x3000n },
];

let tmp: TempDir;
beforeAll(async () => {
  tmp = await makeTempDir();
});
afterAll(() => tmp.cleanup());

async function withCore<T>(name: string, spec: CoreSpec, body: (core: ElfCore) => Promise<T>): Promise<T> {
  const core = await openElfCore(await tmp.file(name, buildElfCore(spec)));
  try {
    return await body(core);
  } finally {
    await core.close();
  }
}

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe.each([64, 32] as const)('ELF%i core memory', (elfClass) => {
  const spec: CoreSpec = { elfClass, segments, vcpus: [{ regs: {} }] };

  it('reads inside a segment, and across adjacent segments', () =>
    withCore(`mem${elfClass}.elf`, spec, async (core) => {
      expect(await core.read(0x100n, 32)).toEqual(A.slice(0x100, 0x120));
      expect(await core.read(0x2ff0n, 0x20)).toEqual(concat(A.slice(0x2ff0), B.slice(0, 0x10)));
      expect(await core.read(0x3000n, 0x2000)).toEqual(B);
      expect(await core.read(0n, 0x5000)).toEqual(concat(A, B));
    }));

  it('refuses reads touching the tail past p_filesz (memory QEMU did not dump), not zeros', () =>
    withCore(`tail${elfClass}.elf`, spec, async (core) => {
      const notDumped = (pa: string) =>
        `PA ${pa} was not dumped: core tail${elfClass}.elf records memory there (segment at 0x10000) but stores only its first 4096 bytes`;
      const across = await rejection(core.read(0x10ff0n, 0x20));
      expect(across.code).toBe('OUT_OF_RANGE');
      expect(across.message).toBe(notDumped('0x11000'));
      const inside = await rejection(core.read(0x12ff8n, 8));
      expect(inside.code).toBe('OUT_OF_RANGE');
      expect(inside.message).toBe(notDumped('0x12ff8'));
      // The stored part still reads, right up to p_filesz.
      expect(await core.read(0x10ff0n, 0x10)).toEqual(C.slice(0xff0));
      expect(await core.read(0x10000n, 0x1000)).toEqual(C);
    }));

  it('names the missing PA when a read touches a hole or leaves every segment', () =>
    withCore(`hole${elfClass}.elf`, spec, async (core) => {
      const intoHole = await rejection(core.read(0x4ff0n, 0x20));
      expect(intoHole.code).toBe('OUT_OF_RANGE');
      expect(intoHole.message).toBe(
        `physical read 0x4ff0..0x500f (32 bytes): PA 0x5000 is not in core hole${elfClass}.elf ` +
          '(a hole between 0x3000..0x4fff and 0x10000..0x12fff)',
      );
      expect((await rejection(core.read(0x8000n, 1))).message).toContain('PA 0x8000 is not in core');
      // C's memory ends at 0x12fff but its tail was not dumped, so probe beyond p_memsz.
      const past = await rejection(core.read(0x13000n, 4));
      expect(past.code).toBe('OUT_OF_RANGE');
      expect(past.message).toContain('PA 0x13000');
      expect(past.message).toContain('past the last segment, which ends at 0x12fff');
      const intoTail = await rejection(core.read(0x12ffen, 4));
      expect(intoTail.code).toBe('OUT_OF_RANGE');
      expect(intoTail.message).toContain('PA 0x12ffe was not dumped');
    }));

  it('exposes segments by physical address and a one-line description', () =>
    withCore(`desc${elfClass}.elf`, spec, async (core) => {
      expect(core.elfClass).toBe(elfClass);
      expect(core.machine).toBe(elfClass === 64 ? 'x86_64' : 'i386');
      expect(core.segments.map((s) => [s.pa, s.bytes, s.fileBytes])).toEqual([
        [0n, 0x3000n, 0x3000n],
        [0x3000n, 0x2000n, 0x2000n],
        [0x10000n, 0x3000n, 0x1000n],
      ]);
      // Data follows the notes, in segment order.
      expect(core.segments[1].fileOffset - core.segments[0].fileOffset).toBe(0x3000n);
      expect(core.description).toBe(`ELF${elfClass} core desc${elfClass}.elf: 3 segments, 32 KiB`);
    }));

  it('finds the program header count in section 0 when e_phnum is PN_XNUM', () =>
    withCore(`xnum${elfClass}.elf`, { ...spec, extendedPhnum: true }, async (core) => {
      expect(core.segments).toHaveLength(3);
      expect(await core.read(0x3000n, 16)).toEqual(B.slice(0, 16));
    }));
});

describe('ELF core memory, special layouts', () => {
  it('serves aliased segments (paging dumps) and counts their bytes once', () =>
    withCore(
      'alias.elf',
      {
        segments: [
          { pa: 0x1000n, data: A.slice(0, 0x2000), va: 0xffff_8000_0000_1000n },
          { pa: 0x2000n, data: A.slice(0x1000, 0x3000), va: 0xffff_c000_0000_2000n },
        ],
      },
      async (core) => {
        expect(await core.read(0x1000n, 0x3000)).toEqual(A);
        expect(core.description).toBe('ELF64 core alias.elf: 2 segments, 12 KiB');
      },
    ));

  it('reads i386 cores written as ELF64 (QEMU does so above 4 GiB)', () =>
    withCore(
      'i386-64.elf',
      { elfClass: 64, machine: 'i386', segments: [{ pa: 0x1_0000_0000n, data: B }], vcpus: [{ regs: { eax: 5n } }] },
      async (core) => {
        expect(core.machine).toBe('i386');
        expect(await core.read(0x1_0000_0010n, 4)).toEqual(B.slice(0x10, 0x14));
        expect(core.vcpus[0].regs.get('eax')).toBe(5n);
      },
    ));

  it('matches a byte model for random layouts and reads', async () => {
    // Page-aligned segments with random gaps and not-dumped tails (p_memsz > p_filesz); any read
    // either equals the model or fails with OUT_OF_RANGE exactly when it touches a byte the model
    // cannot read (a hole or a tail), naming the first such byte and why.
    const segment = fc.record({ gapPages: fc.nat(3), pages: fc.integer({ min: 1, max: 3 }), tailPages: fc.nat(1) });
    const layouts = fc.array(segment, { minLength: 1, maxLength: 4 });
    const reads = fc.array(fc.tuple(fc.nat(0x18000), fc.integer({ min: 1, max: 0x3000 })), { maxLength: 6 });
    let n = 0;
    const property = fc.asyncProperty(layouts, reads, async (layout, asks) => {
      let pa = 0n;
      const specSegs: WriterSegment[] = [];
      for (const [i, s] of layout.entries()) {
        pa += BigInt(s.gapPages * 0x1000);
        const memBytes = BigInt((s.pages + s.tailPages) * 0x1000);
        specSegs.push({ pa, data: pattern(s.pages * 0x1000, i + 10), memBytes });
        pa += memBytes;
      }
      const byteAt = (addr: bigint): number | 'hole' | 'tail' => {
        const seg = specSegs.find((s) => addr >= s.pa && addr < s.pa + (s.memBytes ?? 0n));
        if (seg === undefined) return 'hole';
        const off = Number(addr - seg.pa);
        return off < seg.data.length ? seg.data[off] : 'tail';
      };
      await withCore(`prop${n++}.elf`, { segments: specSegs }, async (core) => {
        for (const [start, len] of asks) {
          const expected = Array.from({ length: len }, (_, k) => byteAt(BigInt(start + k)));
          const bad = expected.findIndex((b) => typeof b !== 'number');
          if (bad >= 0) {
            const e = await rejection(core.read(BigInt(start), len));
            expect(e.code).toBe('OUT_OF_RANGE');
            const why = expected[bad] === 'tail' ? 'was not dumped' : 'is not in core';
            expect(e.message).toContain(`PA 0x${(start + bad).toString(16)} ${why}`);
          } else {
            expect([...(await core.read(BigInt(start), len))]).toEqual(expected);
          }
        }
      });
    });
    await fc.assert(property, { numRuns: 40 });
  });
});

describe('ELF core registers', () => {
  const regs64: Record<string, bigint> = {
    rax: 0x1111_2222_3333_4444n, rbx: 0x2n, rcx: 0x3n, rdx: 0x4n, rsi: 0x5n, rdi: 0x6n,
    rsp: 0xffff_c900_0001_3f00n, rbp: 0xffff_c900_0001_3f80n,
    r8: 8n, r9: 9n, r10: 10n, r11: 11n, r12: 12n, r13: 13n, r14: 14n, r15: 0xfedc_ba98_7654_3210n,
    rip: 0xffff_ffff_8100_0000n, rflags: 0x246n,
    cs: 0x10n, ds: 0x18n, es: 0x18n, fs: 0n, gs: 0n, ss: 0x18n,
    fs_base: 0x7f00_0000_1000n, gs_base: 0xffff_8880_7fc0_0000n,
    gdtr_base: 0xfffffe00_00001000n, gdtr_limit: 0x7fn, idtr_base: 0xfffffe00_00000000n, idtr_limit: 0xfffn,
    tr: 0x40n, tr_base: 0xfffffe00_00003000n, tr_limit: 0x4087n, ldtr: 0n, ldtr_base: 0n,
    cr0: CR0_PG | CR0_PE | 0x50030n, cr2: 0xdead_b000n, cr3: 0x1_2345_6000n, cr4: CR4_PAE | 0x3506f0n,
    kernel_gs_base: 0x7f11_2222_3333n,
  };
  const written = (regs: Record<string, bigint>) => {
    const shown = { ...regs };
    for (const k of Object.keys(shown)) if (/_flags$/.test(k)) delete shown[k];
    return shown;
  };

  it('reads back every register QEMU writes for x86_64, with long mode from CS.L', () =>
    withCore('regs64.elf', { segments, vcpus: [{ regs: { ...regs64, cs_flags: L_BIT | 0xa09b00n } }] }, async (core) => {
      expect(core.vcpus).toHaveLength(1);
      const v = core.vcpus[0];
      expect(v.index).toBe(0);
      const { efer, ...rest } = Object.fromEntries(v.regs);
      expect(rest).toEqual(written(regs64));
      expect(efer).toBe(0xd00n); // LME | LMA | NXE
      expect(v.inferred[0]).toBe(
        'EFER not in the dump: long mode inferred from the CS descriptor (L=1), so EFER.LME and EFER.LMA are set',
      );
      expect(v.inferred[1]).toMatch(/NXE cannot be known .*assumed set/);
    }));

  it('infers long mode from EM_X86_64 with paging and PAE when CS.L is clear (compatibility mode)', () =>
    withCore('compat.elf', { segments, vcpus: [{ regs: { ...regs64, cs: 0x23n, cs_flags: 0xcffb00n } }] }, async (core) => {
      const v = core.vcpus[0];
      expect(v.regs.get('efer')).toBe(0xd00n);
      expect(v.inferred[0]).toContain('from e_machine EM_X86_64 with CR0.PG=1 and CR4.PAE=1');
    }));

  it('keeps vCPUs apart and in order, each with its own inference', () =>
    withCore(
      'smp.elf',
      {
        segments,
        vcpus: [
          { regs: { ...regs64, cs_flags: L_BIT } },
          { regs: { ...regs64, rax: 0xa1n, cr3: 0x5000n, cs_flags: L_BIT } },
          { regs: { rip: 0xfff0n, cs: 0xf000n, cs_base: 0xffff0000n, cr0: 0x60000010n } }, // AP waiting for SIPI
        ],
      },
      async (core) => {
        expect(core.vcpus.map((v) => v.index)).toEqual([0, 1, 2]);
        expect(core.vcpus[1].regs.get('rax')).toBe(0xa1n);
        expect(core.vcpus[1].regs.get('cr3')).toBe(0x5000n);
        expect(core.vcpus[2].regs.get('rip')).toBe(0xfff0n);
        expect(core.vcpus[2].regs.get('efer')).toBe(0n);
        expect(core.vcpus[2].inferred[0]).toContain('no sign of long mode on this vCPU (CS.L=0, CR0.PG=0, CR4.PAE=0)');
      },
    ));

  it('leaves kernel_gs_base out when an older QEMU did not write it', () =>
    withCore('oldqemu.elf', { segments, kernelGsBase: false, vcpus: [{ regs: regs64 }] }, async (core) => {
      expect(core.vcpus[0].regs.has('kernel_gs_base')).toBe(false);
      expect(core.vcpus[0].regs.get('cr3')).toBe(regs64.cr3);
    }));

  it('falls back to NT_PRSTATUS when there is no QEMU note', () =>
    withCore('prstatus64.elf', { segments, qemuNotes: false, vcpus: [{ regs: regs64 }] }, async (core) => {
      const v = core.vcpus[0];
      const names = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp', 'r8', 'r15', 'rip', 'rflags', 'cs', 'ss', 'ds', 'fs_base', 'gs_base'];
      for (const n of names) expect([n, v.regs.get(n)]).toEqual([n, regs64[n]]);
      expect(v.regs.has('cr3')).toBe(false);
      expect(v.regs.has('efer')).toBe(false);
      expect(v.inferred[0]).toContain('no QEMU CPU-state note');
    }));

  const regs32: Record<string, bigint> = {
    eax: 0x1234_5678n, ebx: 2n, ecx: 3n, edx: 4n, esi: 5n, edi: 6n, esp: 0xc100_0f00n, ebp: 0xc100_0f80n,
    eip: 0xc010_0000n, eflags: 0x202n, cs: 0x60n, ds: 0x7bn, es: 0x7bn, fs: 0xd8n, gs: 0xe0n, ss: 0x68n,
    fs_base: 0xc1a0_0000n, gs_base: 0n, gdtr_base: 0xc1b0_0000n, gdtr_limit: 0xffn, idtr_base: 0xc1c0_0000n,
    idtr_limit: 0x7ffn, tr: 0x80n, tr_base: 0xc1d0_0000n, tr_limit: 0x206bn, ldtr: 0n, ldtr_base: 0n,
    cr0: CR0_PG | CR0_PE, cr2: 0n, cr3: 0x1a0_0000n, cr4: CR4_PAE, kernel_gs_base: 0n,
  };

  it('reads i386 registers under 32-bit names and takes EFER as 0', () =>
    withCore('regs32.elf', { elfClass: 32, segments, vcpus: [{ regs: { ...regs32, cs_flags: 0xcf9b00n } }] }, async (core) => {
      const v = core.vcpus[0];
      const { efer, ...rest } = Object.fromEntries(v.regs);
      expect(rest).toEqual(regs32);
      expect(efer).toBe(0n);
      expect(v.inferred).toHaveLength(1);
      expect(v.inferred[0]).toContain('32-bit core (EM_386');
      expect(v.inferred[0]).toContain('EFER taken as 0');
    }));

  it('reads the i386 NT_PRSTATUS layout', () =>
    withCore('prstatus32.elf', { elfClass: 32, segments, qemuNotes: false, vcpus: [{ regs: regs32 }] }, async (core) => {
      const got = Object.fromEntries(core.vcpus[0].regs);
      const names = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'esp', 'ebp', 'eip', 'eflags', 'cs', 'ds', 'es', 'fs', 'gs', 'ss'];
      expect(got).toEqual(Object.fromEntries(names.map((n) => [n, regs32[n]])));
    }));

  it('has no vCPUs when the core has no CPU notes', () =>
    withCore('nocpu.elf', { segments }, async (core) => {
      expect(core.vcpus).toEqual([]);
    }));
});
