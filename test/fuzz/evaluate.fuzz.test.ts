/**
 * The Debug Console's expressions: token soup, random text and deep nesting. Lexing and parsing
 * refuse with ExpressionError (a HyperFrameError with a column); a parsed expression evaluates to
 * a 64-bit value or refuses with a typed error; generated arithmetic agrees with BigInt.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpressionError } from '../../src/debugAdapter/evaluate/ast';
import { evaluateExpr, type EvalEnv } from '../../src/debugAdapter/evaluate/evaluator';
import { parseExpression } from '../../src/debugAdapter/evaluate/parser';
import { SymbolTable } from '../../src/symbols/symbolTable';
import { HyperFrameError } from '../../src/util/errors';
import { registerByName } from '../../src/x86/registers';
import { fuzzParams, onlyTyped, onlyTypedAsync } from './fuzzRuns';

const TOP = (1n << 64n) - 1n;
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/**
 * A machine for the evaluator, as the adapter builds one (targetEvalEnv) but for the target: the
 * real register lookup and symbol table; memory that holds its address's low byte, or refuses.
 */
const registers = new Map([['rax', 1n], ['rip', 0xffff_ffff_8100_0000n], ['cr3', 0x1000n], ['eflags', 0x246n]]);
const symbols = SymbolTable.from([{ name: 'start_kernel', va: 0xffff_ffff_8200_0000n, sizeBytes: 0n, type: 'func', binding: 'global' }]);
const env: EvalEnv = {
  register: async (name) => registerByName(registers, name),
  symbol: (name) => symbols.lookup(name)?.va,
  readVirtual: async (address, bytes) => {
    if (address % 3n === 0n) throw new HyperFrameError('OUT_OF_RANGE', `VA 0x${address.toString(16)} is not mapped`);
    return new Uint8Array(bytes).fill(Number(address & 0xffn));
  },
  readPhysical: async (address, bytes) => {
    if (address >= 1n << 40n) throw new HyperFrameError('OUT_OF_RANGE', 'past RAM');
    return new Uint8Array(bytes).fill(1);
  },
};

const TOKENS = [
  '(', ')', '*', '-', '~', '!', '+', '/', '%', '<<', '>>', '&&', '||', '&', '|', '^', '==', '!=', '<', '<=', '>', '>=', ',',
  '0', '1', '0x10', '0xffffffffffffffff', '0x1_0000_0000_0000_0000', '18446744073709551616', '1_', '0x', '0b1', '1e5', '99999999999999999999999',
  '$rax', '$cr3', '$', '$nope', 'rip', 'start_kernel', 'x.y', 'constructor', 'toString', '__proto__', 'unknown', 'phys', 'u8', 'u16', 'u32', 'u64', 'U32', ' ', '\t', '#', '"', '@', '\u00e9',
];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join(''));

/** Arithmetic as an AST printed with every parenthesis, and its value computed with BigInt. */
type Gen = { text: string; value: bigint };
const leafGen: fc.Arbitrary<Gen> = fc.oneof(fc.bigInt({ min: 0n, max: TOP }), fc.constantFrom(0n, 1n, 63n, 64n, TOP)).map((v) => ({ text: `0x${v.toString(16)}`, value: v }));
const { arith } = fc.letrec<{ arith: Gen }>((tie) => ({
  arith: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafGen,
    fc.tuple(fc.constantFrom('-', '~', '!'), tie('arith')).map(([op, a]) => ({
      text: `${op}(${a.text})`,
      value: op === '-' ? U64(-a.value) : op === '~' ? U64(~a.value) : a.value === 0n ? 1n : 0n,
    })),
    fc.tuple(tie('arith'), fc.constantFrom('+', '-', '*', '&', '|', '^', '<<', '>>', '==', '<', '&&'), tie('arith')).map(([a, op, b]) => ({
      text: `(${a.text}) ${op} (${b.text})`,
      value: binary(op, a.value, b.value),
    })),
  ),
}));

function binary(op: string, l: bigint, r: bigint): bigint {
  switch (op) {
    case '+': return U64(l + r);
    case '-': return U64(l - r);
    case '*': return U64(l * r);
    case '&': return l & r;
    case '|': return l | r;
    case '^': return l ^ r;
    case '<<': return r >= 64n ? 0n : U64(l << r);
    case '>>': return r >= 64n ? 0n : l >> r;
    case '==': return l === r ? 1n : 0n;
    case '<': return l < r ? 1n : 0n;
    default: return l !== 0n && r !== 0n ? 1n : 0n; // &&
  }
}

describe('Debug Console expressions under fuzzing', () => {
  it('parses and evaluates token soup and random text, or refuses it with an ExpressionError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(tokenSoup, fc.string({ maxLength: 30 })), async (source) => {
        const expr = onlyTyped(() => parseExpression(source), ExpressionError);
        if (expr === undefined) return;
        const v = await onlyTypedAsync(() => evaluateExpr(expr, env, source));
        if (v !== undefined) expect(v >= 0n && v <= TOP).toBe(true);
      }),
      fuzzParams(5000),
    );
  });

  it('evaluates generated arithmetic to what BigInt computes', async () => {
    await fc.assert(
      fc.asyncProperty(arith, async ({ text, value }) => {
        expect(await evaluateExpr(parseExpression(text), env, text)).toBe(value);
      }),
      fuzzParams(3000),
    );
  });

  it('refuses any deep nesting or long expression with an ExpressionError', async () => {
    const opener = fc.constantFrom('(', '-', '~', '!', '*', '(u8)', '*(u32 *)', 'phys(');
    await fc.assert(
      fc.asyncProperty(fc.array(opener, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 6000 }), fc.boolean(), async (openers, n, chain) => {
        const source = chain ? '1' + `${openers.join('')}1+`.repeat(n).slice(0, n * 3) + '1' : openers.join('').repeat(n) + '1';
        const expr = onlyTyped(() => parseExpression(source), ExpressionError);
        if (expr !== undefined) await onlyTypedAsync(() => evaluateExpr(expr, env, source));
      }),
      fuzzParams(300, 20_000),
    );
  });
});

describe('expression findings, kept as plain tests', () => {
  it('refuses a thousand nested parentheses or minus signs (was: RangeError, maximum call stack size exceeded)', () => {
    expect(() => parseExpression('('.repeat(1000) + '1')).toThrow(/nested deeper than 128 levels at column 129/);
    expect(() => parseExpression('-'.repeat(1000) + '1')).toThrow(ExpressionError);
    expect(parseExpression('('.repeat(100) + '1' + ')'.repeat(100))).toEqual({ kind: 'number', value: 1n, column: 101 });
  });

  it("reads 'constructor' and 'toString' as unknown names (was: a TypeError from the alias table's prototype)", async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(registerByName(registers, name)).toBeUndefined();
      await expect(evaluateExpr(parseExpression(name), env, name)).rejects.toThrow(`'${name}' is neither a symbol nor a register`);
    }
  });

  it('refuses an expression of more than 1024 tokens, whose evaluation would nest as deep', async () => {
    expect(() => parseExpression('1' + '+1'.repeat(20_000))).toThrow(/longer than 1024 tokens at column 1025/);
    const longest = '1' + '+1'.repeat(511);
    expect(await evaluateExpr(parseExpression(longest), env, longest)).toBe(512n);
  });
});
