/**
 * Hex numbers in text as kernels, hypervisors and debuggers print them: `0x…` (with `_` or `` ` ``
 * digit groups, as Xen and WinDbg write them), and bare hex words of 8 or 16 digits (`x/4gx`
 * output, Xen's `0000000036000000->…`). Pure: the hover, inlay and link providers use it.
 */
export interface NumberToken {
  /** Columns of the token in its line, end exclusive. */
  start: number;
  end: number;
  text: string;
  value: bigint;
}

// 0x-prefixed, digits optionally grouped; or a bare word of exactly 8 or 16 hex digits.
const TOKEN = /(?<![\w.$])(0x[0-9a-f]+(?:[_`][0-9a-f]+)*|[0-9a-f]{16}|[0-9a-f]{8})(?![\w$])/gi;

function parse(text: string): bigint | undefined {
  const digits = text.replace(/^0x/i, '').replace(/[_`]/g, '');
  if (!digits || digits.length > 16) return undefined;
  // A bare 8-digit word of decimal digits only is more likely a decimal count than hex.
  if (!/^0x/i.test(text) && text.length === 8 && !/[a-f]/i.test(text)) return undefined;
  return BigInt(`0x${digits}`);
}

/** Every number token of a line, left to right. */
export function numbersIn(line: string): NumberToken[] {
  const out: NumberToken[] = [];
  for (const m of line.matchAll(TOKEN)) {
    const value = parse(m[1]);
    if (value !== undefined) out.push({ start: m.index, end: m.index + m[1].length, text: m[1], value });
  }
  return out;
}

/** The number token under a column (the column may sit on its last character's right edge). */
export function numberAt(line: string, column: number): NumberToken | undefined {
  return numbersIn(line).find((t) => column >= t.start && column <= t.end);
}
