/**
 * Which numbers in text are paging-structure entries, and the short decode an inlay hint shows
 * after them (`0x00fb152063 ⟶ P RW A D · 0xfb152000`). Pure.
 *
 * The heuristic, on the entry read in the configured mode (the 64-bit format for `auto`) as a
 * PTE, or as a large-page PDE when PS (bit 7) is set:
 * - A value the text labels as an entry (Linux's oops `PGD … PUD … PMD … PTE …`, `pte:`, Xen's
 *   `L1[0x1e7] = …` and `l1e`, `entry`) is read at that level and hinted when it is present, has
 *   no reserved bit set and points below the plausible physical limit (last rule below).
 * - A value labelled as something else (`mfn`, `pfn`, `pa`, `addr`, `size`, `mask`, `cr3`, …) is
 *   never hinted: it is a number, not an entry.
 * - An unlabelled value is hinted when all of these hold:
 *   1. it is at least 0x1000 (smaller numbers are flag masks, counts and ports);
 *   2. P and A are set (the CPU sets A on the first walk through an entry and kernels set it up
 *      front; it rules out most odd numbers that are not entries);
 *   3. its low 12 bits are not all ones (`0x…fff` ends ranges);
 *   4. bits 62:52 are clear (kernel VAs and sign-extended values have ones there);
 *   5. no reserved bit is set for MAXPHYADDR (large pages must be aligned);
 *   6. the address is below 2^min(MAXPHYADDR, 46) — 64 TiB: user-space VAs (0x7ffd…, 0x5555…)
 *      decode as "frames" beyond any machine's RAM.
 * - A value right after a labelled value, with only blanks between, is that value's companion, not
 *   an entry: Xen's page walk prints each entry's pfn beside it (`L4[0x0fe] = <entry> <pfn>`).
 * - The end of a range (`0x3ffe0000-0x3ffe003f`, `A->B`, `A..B`) is an address, not an entry.
 * Known misses: PAE PDPTEs, which have no RW or A (`0x00000000fb152001`), unless labelled.
 */
import { decodeEntry, maxEntryLevel } from '../paging/entry';
import { setFlags } from '../paging/format';
import type { DecodedEntry } from '../paging/types';
import { hex } from '../util/numbers';
import { type NumberToken, numbersIn } from './numbers';
import { decodeContext, type DecodeOptions, entryMode } from './readings';

/** Labels that name an entry, with the level they name (0: guess from PS). */
const ENTRY_LABELS: Record<string, number> = {
  pte: 1, l1: 1, l1e: 1,
  pmd: 2, pde: 2, l2: 2, l2e: 2,
  pud: 3, pdpte: 3, l3: 3, l3e: 3,
  p4d: 4, pgd: 4, pml4e: 4, l4: 4, l4e: 4,
  pml5e: 5, l5: 5,
  entry: 0,
};

/** Labels that name something other than an entry: frame numbers, addresses, sizes, masks, registers. */
const OTHER_LABELS = new Set(['pfn', 'mfn', 'gfn', 'pa', 'va', 'gpa', 'gva', 'maddr', 'paddr', 'addr', 'address', 'base', 'size', 'len', 'length', 'limit', 'mask', 'id', 'cr2', 'cr3', 'cr4', 'rip', 'rsp', 'rbp', 'sp', 'ip', 'pc']);

const PLAUSIBLE_PA_BITS = 46;
const RANGE_JOIN = /^\s*(?:-|->|–|\.\.)\s*$/;
const HIGH_SOFTWARE_BITS = 0x7ffn << 52n; // bits 62:52

/** The entry a token is, when it looks like one (see the heuristic above); undefined otherwise. */
export function entryFor(token: Pick<NumberToken, 'value' | 'label'>, opts: DecodeOptions): DecodedEntry | undefined {
  const { value, label } = token;
  if (label !== undefined && OTHER_LABELS.has(label)) return undefined;
  const named = label !== undefined ? ENTRY_LABELS[label] : undefined;
  const mode = entryMode(opts.mode);
  if ((value & 1n) === 0n || value >= 1n << (mode === 'legacy32' ? 32n : 64n)) return undefined;
  if (named === undefined) {
    if (value < 0x1000n || (value & 0x20n) === 0n || (value & 0xfffn) === 0xfffn || (value & HIGH_SOFTWARE_BITS) !== 0n) return undefined;
  }
  const guess = value & 0x80n ? 2 : 1;
  const level = Math.min(named || guess, maxEntryLevel(mode));
  const e = decodeEntry(value, mode, level, decodeContext(mode, opts.maxPhyAddr));
  if (e.kind === 'not-present' || e.reserved !== 0n) return undefined;
  if (e.address >= 1n << BigInt(Math.min(opts.maxPhyAddr, PLAUSIBLE_PA_BITS))) return undefined;
  return e;
}

/** The inlay hint's text for an entry: its set flags, then where it points (`P RW A D · 0xfb152000`). */
export function hintText(e: DecodedEntry): string {
  return `${setFlags(e.fields).join(' ')} · ${hex(e.address)}`;
}

/** The hint after a token, or undefined when the token does not look like an entry. */
export function entryHint(token: Pick<NumberToken, 'value' | 'label'>, opts: DecodeOptions): string | undefined {
  const e = entryFor(token, opts);
  return e && hintText(e);
}

export interface LineHint {
  token: NumberToken;
  /** `P RW A D · 0xfb152000` */
  text: string;
}

/** The hints of one line of text, left to right (the rules above, the companion rule included). */
export function entryHintsIn(line: string, opts: DecodeOptions): LineHint[] {
  const out: LineHint[] = [];
  const tokens = numbersIn(line);
  tokens.forEach((token, i) => {
    const prev = tokens[i - 1];
    const between = prev ? line.slice(prev.end, token.start) : '';
    if (prev && ((!token.label && prev.label && /^\s+$/.test(between)) || RANGE_JOIN.test(between))) return;
    const text = entryHint(token, opts);
    if (text !== undefined) out.push({ token, text });
  });
  return out;
}
