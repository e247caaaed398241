import { parseNumber } from '../../util/numbers';
import { ExpressionError } from './ast';

export type Token =
  | { kind: 'number'; value: bigint; text: string; column: number }
  | { kind: 'register'; name: string; text: string; column: number }
  | { kind: 'name'; name: string; text: string; column: number }
  | { kind: 'op'; op: string; text: string; column: number }
  | { kind: 'end'; text: ''; column: number };

/** Longest first, so `<<` is never read as two `<`. */
const OPERATORS = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '(', ')', ','];

const NAME_START = /[A-Za-z_.]/;
const NAME_PART = /[A-Za-z0-9_.@$]/;

/** Splits an expression into tokens; columns are 1-based. */
export function tokenize(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const column = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < source.length && /[0-9A-Za-z_`]/.test(source[j])) j++;
      const text = source.slice(i, j);
      let value: bigint;
      try {
        value = parseNumber(text);
      } catch {
        throw new ExpressionError(`bad number '${text}' (hex needs 0x; digits may be grouped with _ or \`)`, column, source);
      }
      out.push({ kind: 'number', value, text, column });
      i = j;
      continue;
    }
    if (c === '$') {
      let j = i + 1;
      while (j < source.length && NAME_PART.test(source[j])) j++;
      const text = source.slice(i, j);
      if (text.length === 1) throw new ExpressionError("'$' must be followed by a register name ($rip, $cr3)", column, source);
      out.push({ kind: 'register', name: text.slice(1).toLowerCase(), text, column });
      i = j;
      continue;
    }
    if (NAME_START.test(c)) {
      let j = i + 1;
      while (j < source.length && NAME_PART.test(source[j])) j++;
      const text = source.slice(i, j);
      out.push({ kind: 'name', name: text, text, column });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected '${c}'`, column, source);
    out.push({ kind: 'op', op, text: op, column });
    i += op.length;
  }
  out.push({ kind: 'end', text: '', column: source.length + 1 });
  return out;
}
