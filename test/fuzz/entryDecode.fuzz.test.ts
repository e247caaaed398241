/**
 * The entry decoder as users reach it: any value, mode, level and MAXPHYADDR, through `decode`'s
 * arguments (the CLI's and the Debug Console's command) and through decodeEntry. Refusals are
 * HyperFrameErrors; a reading keeps its raw value, claims only bits the value has, and gives an
 * address below 2^MAXPHYADDR aligned to its page size.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCommand } from '../../src/cli/decodeCommand';
import { decodeEntry, entryLevel, maxEntryLevel } from '../../src/paging/entry';
import { decodeEptp } from '../../src/paging/ept';
import { describeEntry, setFlags } from '../../src/paging/format';
import { entryJson } from '../../src/paging/json';
import { PAGING_MODES, withDefaults } from '../../src/paging/modes';
import { fuzzParams, onlyTyped, onlyTypedAsync } from './fuzzRuns';

const TOP = (1n << 64n) - 1n;
const raw64 = fc.oneof(fc.bigInt({ min: 0n, max: TOP }), fc.constantFrom(0n, 1n, 0x81n, 0x83n, 0x7n, TOP, 1n << 63n, 0x000f_ffff_ffff_f087n));

describe('the entry decoder under fuzzing', () => {
  it('decodes any value in every mode, level and context as the CPU could read it', () => {
    fc.assert(
      fc.property(
        raw64,
        fc.constantFrom(...PAGING_MODES),
        fc.option(fc.integer({ min: -1, max: 7 }), { nil: undefined }),
        fc.record({ maxPhyAddr: fc.integer({ min: 32, max: 52 }), pse: fc.boolean(), nxe: fc.boolean(), pke: fc.boolean(), page1G: fc.boolean(), eptAD: fc.boolean() }),
        (raw, mode, level, ctx) => {
          const at = onlyTyped(() => entryLevel(mode, raw, level));
          if (at === undefined) {
            expect(level! < 1 || level! > maxEntryLevel(mode)).toBe(true);
            return;
          }
          const e = decodeEntry(raw, mode, at, withDefaults(ctx));
          const value = mode === 'legacy32' ? raw & 0xffff_ffffn : raw;
          expect(e.raw).toBe(value);
          expect(e.reserved & ~value).toBe(0n);
          if (e.kind === 'not-present') return;
          const width = mode === 'legacy32' ? Math.min(ctx.maxPhyAddr, 40) : ctx.maxPhyAddr;
          expect(e.address < 1n << BigInt(width)).toBe(true);
          expect(e.address % 4096n).toBe(0n);
          if (e.kind === 'page') expect(e.address % e.pageSize!).toBe(0n);
          // The text and JSON forms of any reading come out without throwing.
          expect(describeEntry(e).length).toBeGreaterThan(0);
          setFlags(e.fields);
          JSON.stringify(entryJson(e));
        },
      ),
      fuzzParams(10_000),
    );
  });

  it("runs 'decode' with any arguments to output, or a typed refusal", async () => {
    const value = fc.oneof(raw64.map((v) => `0x${v.toString(16)}`), fc.constantFrom('', '-1', '0x', '0x1_', '1`0', '18446744073709551616', '0x10000000000000000', 'ff', '1e3', ' 42 '));
    const option = fc.oneof(
      fc.tuple(fc.constant('--mode'), fc.constantFrom('legacy32', 'pae', 'long4', 'long5', 'ept', 'eptp', 'EPTP', 'LONG4', 'x', '')),
      fc.tuple(fc.constant('--level'), fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '-1', '0x2', '99999999999999999999', '1.5', 'a')),
      fc.tuple(fc.constant('--max-phys-bits'), fc.constantFrom('31', '32', '40', '52', '53', '64', '0', '-1', 'x')),
      fc.constantFrom(['--json'], ['--bogus'], ['--level'], ['extra']),
    );
    await fc.assert(
      fc.asyncProperty(value, fc.array(option, { maxLength: 4 }), async (v, opts) => {
        const out: string[] = [];
        const io = { out: (l: string) => void out.push(l), err: (l: string) => void out.push(l) };
        const code = await onlyTypedAsync(() => decodeCommand([v, ...opts.flat()], io));
        if (code === undefined) return;
        expect(code).toBe(0);
        expect(out.length).toBeGreaterThan(0);
      }),
      fuzzParams(5000),
    );
  });

  it('decodes any EPT pointer', () => {
    fc.assert(
      fc.property(raw64, fc.integer({ min: 32, max: 52 }), (raw, maxPhyAddr) => {
        const d = decodeEptp(raw, maxPhyAddr);
        expect(d.root < 1n << BigInt(maxPhyAddr) && d.root % 4096n === 0n).toBe(true);
        expect(d.levels).toBeGreaterThanOrEqual(1);
      }),
      fuzzParams(10_000),
    );
  });
});
