import { HyperFrameError } from '../../util/errors';

/** Bytes a memory read or a cast covers: u8, u16, u32, u64. */
export type Width = 1 | 2 | 4 | 8;

export const WIDTHS: Record<string, Width> = { u8: 1, u16: 2, u32: 4, u64: 8 };

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';
export type UnaryOp = '-' | '~' | '!';

/** A parsed expression; `column` (1-based) points at the token the node starts with. */
export type Expr =
  | { kind: 'number'; value: bigint; column: number }
  /** `$rax`: a register, nothing else. */
  | { kind: 'register'; name: string; column: number }
  /** `rip`, `vmx_vmexit_handler`: a symbol, else a register. */
  | { kind: 'name'; name: string; column: number }
  | { kind: 'unary'; op: UnaryOp; operand: Expr; column: number }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; column: number }
  /** `*(u32 *)EXPR`, `*EXPR` (u64): virtual memory under the evaluating vCPU. */
  | { kind: 'deref'; width: Width; address: Expr; column: number }
  /** `phys(u32, EXPR)`: physical memory. */
  | { kind: 'phys'; width: Width; address: Expr; column: number }
  /** `(u16)EXPR`: the low bytes. */
  | { kind: 'cast'; width: Width; operand: Expr; column: number };

/** A mistake in an expression, with the column it was found at (1-based). */
export class ExpressionError extends HyperFrameError {
  constructor(
    readonly detail: string,
    readonly column: number,
    readonly source: string,
  ) {
    super('BAD_ARGUMENT', `${detail} at column ${column}\n  ${source}\n  ${' '.repeat(Math.max(0, column - 1))}^`);
    this.name = 'ExpressionError';
  }
}

/** True when the expression's value is a truth value (comparisons, && || !). */
export function isBoolean(e: Expr): boolean {
  if (e.kind === 'unary') return e.op === '!';
  if (e.kind !== 'binary') return false;
  return ['==', '!=', '<', '<=', '>', '>=', '&&', '||'].includes(e.op);
}
