import { hex } from '../../util/numbers';
import { type Expr, ExpressionError, type Width } from './ast';

/** What evaluating needs of the stopped machine. */
export interface EvalEnv {
  /** A register by lower-case name (aliases such as rflags, eax, pc included), or undefined. */
  register(name: string): Promise<bigint | undefined>;
  /** A symbol's address, or undefined. */
  symbol(name: string): bigint | undefined;
  readVirtual(address: bigint, bytes: number): Promise<Uint8Array>;
  readPhysical(address: bigint, bytes: number): Promise<Uint8Array>;
}

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/**
 * Evaluates a parsed expression to an unsigned 64-bit value (arithmetic wraps as on the CPU;
 * comparisons and logic give 1 or 0; && and || skip their right side when they may).
 */
export async function evaluateExpr(e: Expr, env: EvalEnv, source: string): Promise<bigint> {
  const fail = (message: string, at: Expr): never => {
    throw new ExpressionError(message, at.column, source);
  };
  const ev = (x: Expr): Promise<bigint> => evaluateExpr(x, env, source);

  switch (e.kind) {
    case 'number':
      if (e.value >= 1n << 64n) fail(`${hex(e.value)} does not fit in 64 bits`, e);
      return e.value;
    case 'register': {
      const v = await env.register(e.name);
      if (v === undefined) fail(`no register '$${e.name}' on this target`, e);
      return v!;
    }
    case 'name': {
      const s = env.symbol(e.name);
      if (s !== undefined) return s;
      const r = await env.register(e.name.toLowerCase());
      if (r !== undefined) return r;
      return fail(`'${e.name}' is neither a symbol nor a register`, e);
    }
    case 'unary': {
      const v = await ev(e.operand);
      if (e.op === '-') return U64(-v);
      if (e.op === '~') return U64(~v);
      return v === 0n ? 1n : 0n;
    }
    case 'cast':
      return truncate(await ev(e.operand), e.width);
    case 'deref':
    case 'phys': {
      const address = await ev(e.address);
      const read = e.kind === 'deref' ? env.readVirtual : env.readPhysical;
      let bytes: Uint8Array;
      try {
        bytes = await read.call(env, address, e.width);
      } catch (err) {
        return fail(`cannot read ${e.width} ${e.kind === 'phys' ? 'physical ' : ''}bytes at ${hex(address)}: ${err instanceof Error ? err.message : String(err)}`, e);
      }
      return littleEndian(bytes, e.width);
    }
    case 'binary':
      break;
  }
  const l = await ev(e.left);
  if (e.op === '&&') return l !== 0n && (await ev(e.right)) !== 0n ? 1n : 0n;
  if (e.op === '||') return l !== 0n || (await ev(e.right)) !== 0n ? 1n : 0n;
  const r = await ev(e.right);
  const truth = (b: boolean): bigint => (b ? 1n : 0n);
  switch (e.op) {
    case '+':
      return U64(l + r);
    case '-':
      return U64(l - r);
    case '*':
      return U64(l * r);
    case '/':
    case '%':
      if (r === 0n) fail('division by zero', e);
      return e.op === '/' ? l / r : l % r;
    case '&':
      return l & r;
    case '|':
      return l | r;
    case '^':
      return l ^ r;
    case '<<':
      return r >= 64n ? 0n : U64(l << r);
    case '>>':
      return r >= 64n ? 0n : l >> r;
    case '==':
      return truth(l === r);
    case '!=':
      return truth(l !== r);
    case '<':
      return truth(l < r);
    case '<=':
      return truth(l <= r);
    case '>':
      return truth(l > r);
    case '>=':
      return truth(l >= r);
  }
  return fail(`unknown operator '${e.op}'`, e);
}

function truncate(v: bigint, width: Width): bigint {
  return BigInt.asUintN(width * 8, v);
}

function littleEndian(bytes: Uint8Array, width: Width): bigint {
  let v = 0n;
  for (let i = Math.min(width, bytes.length) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}
