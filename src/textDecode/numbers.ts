/**
 * Hex numbers in text as kernels, hypervisors and debuggers print them, each with the word that
 * labels it when the text names the value right before it (`pte:…`, `mfn=…`, `L1[0x1e7] = …`).
 * Pure: the hover, inlay and link providers all read text through it.
 *
 * Found: `0x…` (digits may be grouped by `_` or `` ` `` as Xen and WinDbg write them, C suffixes
 * such as `UL` allowed); bare words of exactly 8 or 16 hex digits (gdb's `x/4gx`, Xen's
 * `0000000036000000->…`, WinDbg's `fffff803`1a2b3c4d`); and bare hex of any length after a word
 * that says what it is (Linux's oops `PGD 100000067 PUD 1003f6067`, Xen's `mfn 36400`).
 */
export interface NumberToken {
  /** Columns of the digits in their line, end exclusive (a C suffix is not part of the token). */
  start: number;
  end: number;
  text: string;
  value: bigint;
  /** The word that labels the value, lower case (`pte`, `mfn`, `l1` for `L1[0x1e7] =`), if any. */
  label?: string;
}

/**
 * Words after which a bare hex number is taken even when it is not 8 or 16 digits long: paging
 * entries as Linux and Xen print them (`%lx`, no padding) and frame numbers (Xen's PRI_mfn).
 */
const LABELS_FOR_BARE_HEX = new Set(['pgd', 'p4d', 'pud', 'pmd', 'pte', 'pde', 'pdpte', 'pml4e', 'pml5e', 'l1e', 'l2e', 'l3e', 'l4e', 'mfn', 'pfn', 'gfn', 'maddr', 'paddr', 'pa']);

// A candidate word: 0x-prefixed hex (digits optionally grouped, then an optional C suffix such as
// UL), or a bare hex word (digits optionally grouped).
const CANDIDATE = /(?<![\w.$])(?:(0x[0-9a-f]+(?:[_`][0-9a-f]+)*)(?:u(?:ll|l)?|(?:ll|l)u?)?|([0-9a-f]+(?:[_`][0-9a-f]+)*))(?![\w$`])/gi;
const SPACE = /\s/;
const WORD_CHAR = /[a-z0-9_]/i;

/**
 * The word that labels a value starting at `start`: `pte:`, `mfn=`, `L1[0x1e7] = `, `entry `. A
 * backward scan (this runs for every number of every visible line). A word after `-` is a
 * command-line option (`xenctrl -l3 0xfb153`), not a label.
 */
function labelBefore(line: string, start: number): string | undefined {
  let i = start - 1;
  while (i >= 0 && SPACE.test(line[i])) i--;
  if (line[i] === '=' || line[i] === ':') {
    i--;
    while (i >= 0 && SPACE.test(line[i])) i--;
  }
  if (line[i] === ']') {
    const open = line.lastIndexOf('[', i - 1);
    if (open < 0 || i - open - 1 < 1 || i - open - 1 > 20) return undefined;
    i = open - 1;
  }
  const end = i + 1;
  while (i >= 0 && WORD_CHAR.test(line[i])) i--;
  const word = line.slice(i + 1, end);
  if (!/^[a-z]/i.test(word) || (i >= 0 && /[.$-]/.test(line[i]))) return undefined;
  return word.toLowerCase();
}

function bareAccepted(digits: string, grouped: boolean, label: string | undefined): boolean {
  // After a label: five digits or more (or a hex letter), and a decimal digit, so that neither a
  // small decimal count nor an English word ("added") passes for hex.
  if (label && LABELS_FOR_BARE_HEX.has(label) && /[0-9]/.test(digits) && (digits.length >= 5 || /[a-f]/i.test(digits))) return true;
  if (grouped) return digits.length === 16;
  if (digits.length === 16) return true;
  // A bare 8-digit word of decimal digits only is more likely a decimal count than hex.
  return digits.length === 8 && /[a-f]/i.test(digits);
}

/** Every number token of a line, left to right. */
export function numbersIn(line: string): NumberToken[] {
  const out: NumberToken[] = [];
  for (const m of line.matchAll(CANDIDATE)) {
    const prefixed = m[1] !== undefined;
    const text = m[1] ?? m[2];
    const digits = (prefixed ? text.slice(2) : text).replace(/[_`]/g, '');
    if (digits.length > 16) continue;
    // Most bare words of hex letters are English ("a", "be", "added"): drop them before looking for a label.
    if (!prefixed && digits.length !== 8 && digits.length !== 16 && !/[0-9]/.test(digits)) continue;
    const label = labelBefore(line, m.index);
    if (!prefixed && !bareAccepted(digits, digits.length !== text.length, label)) continue;
    out.push({ start: m.index, end: m.index + text.length, text, value: BigInt(`0x${digits}`), ...(label ? { label } : {}) });
  }
  return out;
}

/** The number token under a column (the column may sit on its last character's right edge). */
export function numberAt(line: string, column: number): NumberToken | undefined {
  return numbersIn(line).find((t) => column >= t.start && column <= t.end);
}

/** Characters around a column that hold any token touching it and its label (tokens are short, labels sit close). */
const REACH = 120;

/**
 * The stretch of a long line that decides the number at `column`: hovering a minified or
 * wrapped-log line of 100k characters then costs what a short line does. `offset` maps columns back.
 */
export function around(line: string, column: number): { text: string; offset: number } {
  if (line.length <= 2 * REACH) return { text: line, offset: 0 };
  const offset = Math.max(0, column - REACH);
  return { text: line.slice(offset, column + REACH), offset };
}
