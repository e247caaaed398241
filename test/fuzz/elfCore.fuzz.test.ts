/**
 * ELF cores as a crash, a bad copy or a hostile file leaves them: cut anywhere, header fields that
 * lie, segments that overlap, wrap past 2^64 or claim more than the file holds, notes of any size.
 * Opening refuses with HyperFrameError; an opened core reads exactly what its segments say (the
 * first segment in PA order that holds an address serves it) or refuses with OUT_OF_RANGE.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ElfCore } from '../../src/memory/elfCore';
import { parseNotes } from '../../src/memory/elfNotes';
import { HyperFrameError } from '../../src/util/errors';
import { buildElfCore, pattern, type CoreSpec, type WriterSegment } from '../helpers/elfCoreWriter';
import { fuzzParams, onlyTyped, onlyTypedAsync } from './fuzzRuns';
import { memoryFile, patchLe } from './memoryFile';

const TOP = (1n << 64n) - 1n;
/** Values a lying field likes: edges of 16, 32 and 64 bits, and sizes near the file's. */
const LIES = [0n, 1n, 4n, 0x7fn, 0xffffn, 0x7fff_ffffn, 0x8000_0000n, 0xffff_fff4n, 0xffff_ffffn, 1n << 32n, 1n << 63n, TOP - 0xfffn, TOP];

const segment: fc.Arbitrary<WriterSegment> = fc
  .record({
    pa: fc.oneof(fc.constantFrom(0n, 0x1000n, 0x1800n, 0x2000n, 0xfffff000n, TOP - 0xfffn), fc.bigInt({ min: 0n, max: 0x4000n })),
    bytes: fc.integer({ min: 0, max: 0x1800 }),
    extra: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 0x2000n }), fc.constant(1n << 62n)),
    seed: fc.nat(),
  })
  .map(({ pa, bytes, extra, seed }) => ({ pa, data: pattern(bytes, seed), memBytes: BigInt(bytes) + extra }));

const coreSpec: fc.Arbitrary<CoreSpec> = fc.record({
  elfClass: fc.constantFrom(32 as const, 64 as const),
  segments: fc.array(segment, { minLength: 1, maxLength: 4 }),
  vcpus: fc.array(fc.record({ regs: fc.record({ cr0: fc.constantFrom(0n, 0x8000_0011n), cr4: fc.constantFrom(0n, 0x20n), cs_flags: fc.constantFrom(0n, 1n << 21n) }) }), { maxLength: 3 }),
  qemuNotes: fc.boolean(),
  kernelGsBase: fc.boolean(),
  extendedPhnum: fc.boolean(),
}).map((s) => ({
  ...s,
  // ELF32 fields are 32 bits wide: keep the addresses its writer can store.
  segments: s.elfClass === 32 ? s.segments.map((g) => ({ ...g, pa: g.pa & 0xffff_f000n, memBytes: BigInt(g.data.length) })) : s.segments,
}));

/**
 * How a file goes wrong: header fields (or any of its first KiB) overwritten with a lie, then a
 * cut. A lie names a field by `field` (see `fieldOffsets`) or a byte offset.
 */
const damage = fc.record({
  lies: fc.array(
    fc.record({
      field: fc.option(fc.nat(), { nil: undefined }),
      at: fc.nat({ max: 1023 }),
      width: fc.constantFrom(2 as const, 4 as const, 8 as const),
      value: fc.oneof(fc.constantFrom(...LIES), fc.bigInt({ min: 0n, max: TOP })),
    }),
    { maxLength: 4 },
  ),
  cut: fc.option(fc.nat(), { nil: undefined }),
});

/** Offsets and widths of the fields a reader trusts: e_phoff…e_shnum, each p_offset…p_memsz, the first note's sizes. */
function fieldOffsets(spec: CoreSpec): [number, 2 | 4 | 8][] {
  const is64 = spec.elfClass !== 32;
  const w = is64 ? 8 : 4;
  const ehdr: [number, 2 | 4 | 8][] = is64 ? [[32, 8], [40, 8], [54, 2], [56, 2], [58, 2], [60, 2]] : [[28, 4], [32, 4], [42, 2], [44, 2], [46, 2], [48, 2]];
  const phdrAt = is64 ? 64 : 52;
  const phdrBytes = is64 ? 56 : 32;
  const phnum = spec.segments.length + 1;
  const fields = is64 ? [8, 24, 32, 40] : [4, 12, 16, 20];
  const phdrs = Array.from({ length: phnum }, (_, i) => fields.map((f): [number, 2 | 4 | 8] => [phdrAt + i * phdrBytes + f, w])).flat();
  const shdrAt = phdrAt + phnum * phdrBytes; // section header 0, with PN_XNUM: its sh_info is e_phnum
  const notesAt = shdrAt + (spec.extendedPhnum ? (is64 ? 64 : 40) : 0);
  return [...ehdr, ...phdrs, [shdrAt + (is64 ? 44 : 28), 4], [notesAt, 4], [notesAt + 4, 4]];
}

/**
 * The bytes of [pa, pa+n) as the spec lays them out: each from the first segment in PA order that
 * holds it, undefined when one of them is in no segment or was not stored.
 */
function expectedBytes(spec: CoreSpec, pa: bigint, n: number): Uint8Array | undefined {
  const sorted = spec.segments.filter((s) => (s.memBytes ?? 0n) > 0n).sort((a, b) => (a.pa < b.pa ? -1 : a.pa > b.pa ? 1 : 0));
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const at = pa + BigInt(i);
    const seg = sorted.find((s) => at >= s.pa && at < s.pa + s.memBytes!);
    if (seg === undefined || at - seg.pa >= BigInt(seg.data.length)) return undefined;
    out[i] = seg.data[Number(at - seg.pa)];
  }
  return out;
}

/** Reads that start on and around the segments' edges. */
function probes(spec: CoreSpec, picks: [number, bigint, number][]): [bigint, number][] {
  const edges = spec.segments.flatMap((s) => [s.pa, s.pa + BigInt(s.data.length), s.pa + (s.memBytes ?? 0n)]);
  return picks.map(([k, delta, bytes]) => {
    const pa = edges[k % edges.length] + delta;
    return [pa < 0n ? 0n : pa, bytes];
  });
}
const readPicks = fc.array(fc.tuple(fc.nat(), fc.bigInt({ min: -0x40n, max: 0x40n }), fc.integer({ min: 1, max: 0x1800 })), { minLength: 1, maxLength: 3 });

describe('ELF cores under fuzzing', () => {
  it('reads a well-formed core of any segments exactly as its segments lay the bytes out', async () => {
    await fc.assert(
      fc.asyncProperty(coreSpec, readPicks, async (spec, picks) => {
        const bytes = buildElfCore(spec);
        const core = await onlyTypedAsync(() => ElfCore.fromFile(memoryFile(bytes), BigInt(bytes.length), 'fuzz.core'));
        const anyMemory = spec.segments.some((s) => (s.memBytes ?? 0n) > 0n);
        expect(core !== undefined).toBe(anyMemory);
        if (core === undefined) return;
        expect(core.vcpus.length).toBe(spec.vcpus!.length);
        for (const [pa, n] of probes(spec, picks)) {
          const want = expectedBytes(spec, pa, n);
          const got = await onlyTypedAsync(() => core.read(pa, n));
          expect(got === undefined).toBe(want === undefined);
          if (got && want) expect(Buffer.from(got).equals(want)).toBe(true);
        }
      }),
      fuzzParams(1000, 300_000),
    );
  });

  it('opens a cut or lying core only to read it in bounds, else refuses it with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(coreSpec, damage, readPicks, async (spec, { lies, cut }, picks) => {
        const whole = buildElfCore(spec);
        const fields = fieldOffsets(spec);
        for (const { field, at, width, value } of lies) {
          if (field === undefined) patchLe(whole, at, width, value);
          else patchLe(whole, ...fields[field % fields.length], value);
        }
        const bytes = cut === undefined ? whole : whole.subarray(0, cut % (whole.length + 1));
        const core = await onlyTypedAsync(() => ElfCore.fromFile(memoryFile(bytes), BigInt(bytes.length), 'fuzz.core'));
        if (core === undefined) return;
        for (const s of core.segments) {
          if (s.fileBytes > 0n) expect(s.fileOffset + s.fileBytes).toBeLessThanOrEqual(BigInt(bytes.length));
        }
        for (const [pa, n] of probes(spec, picks)) {
          const got = await onlyTypedAsync(() => core.read(pa, n));
          if (got !== undefined) expect(got.length).toBe(n);
        }
      }),
      fuzzParams(3000),
    );
  });

  it('splits any note segment into notes inside it, or refuses it with a typed error', () => {
    const word = fc.oneof(fc.constantFrom(...LIES.filter((v) => v <= 0xffff_ffffn)), fc.bigInt({ min: 0n, max: 64n }));
    fc.assert(
      fc.property(fc.array(fc.tuple(word, word, word), { maxLength: 6 }), fc.uint8Array({ maxLength: 64 }), (headers, tail) => {
        const seg = new Uint8Array(headers.length * 24 + tail.length);
        headers.forEach(([namesz, descsz, type], i) => {
          patchLe(seg, i * 24, 4, namesz);
          patchLe(seg, i * 24 + 4, 4, descsz);
          patchLe(seg, i * 24 + 8, 4, type);
        });
        seg.set(tail, headers.length * 24);
        const notes = onlyTyped(() => parseNotes(seg, 'fuzz.core'));
        if (notes === undefined) return;
        // Each note takes its 12-byte header at least: the list is bounded by the segment.
        expect(notes.length).toBeLessThanOrEqual(Math.floor(seg.length / 12));
        let bytes = 0;
        for (const n of notes) bytes += 12 + n.name.length + n.desc.length;
        expect(bytes).toBeLessThanOrEqual(seg.length);
      }),
      fuzzParams(5000),
    );
  });
});

describe('ELF core findings, kept as plain tests', () => {
  const note = (namesz: number, descsz: number): Uint8Array => {
    const seg = new Uint8Array(24);
    new DataView(seg.buffer).setUint32(0, namesz, true);
    new DataView(seg.buffer).setUint32(4, descsz, true);
    return seg;
  };

  it('refuses a note whose name size rounds past 2^31 (was: an endless loop that filled memory)', () => {
    // (0xfffffff4 + 3) & ~3 is -12 in 32-bit arithmetic: the reader stepped back onto the same note.
    expect(() => parseNotes(note(0xffff_fff4, 0), 'c.core')).toThrow(HyperFrameError);
    expect(() => parseNotes(note(0xffff_fff4, 0), 'c.core')).toThrow(/note 0 \(4294967284-byte name, 0-byte descriptor\) runs past the end/);
  });

  it('refuses a note whose name size is 2^31 (was: a RangeError at a negative offset)', () => {
    expect(() => parseNotes(note(0x8000_0000, 0), 'c.core')).toThrow(/note 0 \(2147483648-byte name/);
  });
});
