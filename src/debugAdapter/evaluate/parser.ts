import { type BinaryOp, type Expr, ExpressionError, type UnaryOp, WIDTHS, type Width } from './ast';
import { type Token, tokenize } from './lexer';

/**
 * Binding power of each binary operator, as in C: || && | ^ & (== !=) (< <= > >=) (<< >>) (+ -)
 * (* / %). All are left-associative.
 */
const BINARY: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '<=': 7,
  '>': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};
const UNARY = 11;

/**
 * Bounds on what one expression may be. The parser and the evaluator recurse once per nesting
 * level and per operand: without a bound, a few thousand '(' or '-' overflow the stack.
 */
const MAX_TOKENS = 1024;
const MAX_NESTING = 128;

/** Parses one expression (a small Pratt parser); errors name the column. */
export function parseExpression(source: string): Expr {
  return new Parser(source).parseAll();
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;
  private depth = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
    if (this.tokens.length > MAX_TOKENS) {
      throw this.error(`expression longer than ${MAX_TOKENS} tokens`, this.tokens[MAX_TOKENS]);
    }
  }

  parseAll(): Expr {
    if (this.peek().kind === 'end') throw this.error('empty expression', this.peek());
    const e = this.expr(0);
    const t = this.peek();
    if (t.kind !== 'end') {
      throw this.error(t.kind === 'op' ? `unexpected '${t.text}'` : `expected an operator before '${t.text}'`, t);
    }
    return e;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  private isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.op === op;
  }

  private error(message: string, t: Token): ExpressionError {
    return new ExpressionError(message, t.column, this.source);
  }

  private expect(op: string, opened?: Token): void {
    const t = this.peek();
    if (this.isOp(t, op)) {
      this.pos++;
      return;
    }
    if (t.kind === 'end' && opened) throw this.error(`missing '${op}' for the '${opened.text}' at column ${opened.column}`, t);
    throw this.error(t.kind === 'end' ? `expected '${op}' before the end` : `expected '${op}', found '${t.text}'`, t);
  }

  private expr(minPower: number): Expr {
    if (++this.depth > MAX_NESTING) throw this.error(`expression nested deeper than ${MAX_NESTING} levels`, this.peek());
    let left = this.prefix();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op') break;
      const power = BINARY[t.op];
      if (power === undefined || power <= minPower) break;
      this.pos++;
      if (this.peek().kind === 'end') throw this.error(`'${t.op}' needs a right operand`, this.peek());
      const right = this.expr(power);
      left = { kind: 'binary', op: t.op as BinaryOp, left, right, column: t.column };
    }
    this.depth--;
    return left;
  }

  /** `u8`…`u64` at `ahead`, or undefined. */
  private widthAt(ahead: number): Width | undefined {
    const t = this.peek(ahead);
    return t.kind === 'name' ? WIDTHS[t.name.toLowerCase()] : undefined;
  }

  private prefix(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { kind: 'number', value: t.value, column: t.column };
      case 'register':
        return { kind: 'register', name: t.name, column: t.column };
      case 'name':
        if (t.name === 'phys' && this.isOp(this.peek(), '(')) return this.physCall(t);
        return { kind: 'name', name: t.name, column: t.column };
      case 'end':
        throw this.error('expected a value before the end', t);
      case 'op':
        break;
    }
    switch (t.op) {
      case '-':
      case '~':
      case '!':
        if (this.peek().kind === 'end') throw this.error(`'${t.op}' needs an operand`, this.peek());
        return { kind: 'unary', op: t.op as UnaryOp, operand: this.expr(UNARY), column: t.column };
      case '*': {
        // *(u32 *)EXPR reads 4 bytes; a bare *EXPR reads 8.
        let width: Width = 8;
        const w = this.widthAt(1);
        if (this.isOp(this.peek(), '(') && w && this.isOp(this.peek(2), '*') && this.isOp(this.peek(3), ')')) {
          this.pos += 4;
          width = w;
        }
        if (this.peek().kind === 'end') throw this.error("'*' needs an address", this.peek());
        return { kind: 'deref', width, address: this.expr(UNARY), column: t.column };
      }
      case '(': {
        const w = this.widthAt(0);
        if (w && this.isOp(this.peek(1), ')')) {
          this.pos += 2; // (u16)EXPR
          return { kind: 'cast', width: w, operand: this.expr(UNARY), column: t.column };
        }
        if (w && this.isOp(this.peek(1), '*') && this.isOp(this.peek(2), ')')) {
          this.pos += 3; // (u32 *)EXPR: a pointer is its address
          return this.expr(UNARY);
        }
        const inner = this.expr(0);
        this.expect(')', t);
        return inner;
      }
      default:
        throw this.error(`unexpected '${t.text}'`, t);
    }
  }

  /** `phys(u32, EXPR)` or `phys(EXPR)` (u64). */
  private physCall(name: Token): Expr {
    const open = this.next();
    let width: Width = 8;
    const w = this.widthAt(0);
    if (w && this.isOp(this.peek(1), ',')) {
      width = w;
      this.pos += 2;
    }
    if (this.isOp(this.peek(), ')')) throw this.error('phys() needs an address: phys(u64, 0x1000)', this.peek());
    const address = this.expr(0);
    this.expect(')', open);
    return { kind: 'phys', width, address, column: name.column };
  }
}
