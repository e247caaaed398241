import { describe, expect, it } from 'vitest';
import { type Expr, ExpressionError } from '../../src/debugAdapter/evaluate/ast';
import { evaluateExpr, type EvalEnv } from '../../src/debugAdapter/evaluate/evaluator';
import { tokenize } from '../../src/debugAdapter/evaluate/lexer';
import { parseExpression } from '../../src/debugAdapter/evaluate/parser';
import { registerByName } from '../../src/x86/registers';

/** The tree as a fully parenthesised string: precedence made visible. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return `0x${e.value.toString(16)}`;
    case 'register':
      return `$${e.name}`;
    case 'name':
      return e.name;
    case 'unary':
      return `(${e.op}${show(e.operand)})`;
    case 'binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'deref':
      return `*u${e.width * 8}[${show(e.address)}]`;
    case 'phys':
      return `phys u${e.width * 8}[${show(e.address)}]`;
    case 'cast':
      return `(u${e.width * 8})${show(e.operand)}`;
  }
}

const p = (s: string) => show(parseExpression(s));

function errorOf(source: string): ExpressionError {
  try {
    parseExpression(source);
  } catch (e) {
    if (e instanceof ExpressionError) return e;
    throw e;
  }
  throw new Error(`'${source}' parsed`);
}

describe('evaluate: parser precedence', () => {
  it.each([
    ['1 + 2 * 3', '(0x1 + (0x2 * 0x3))'],
    ['(1 + 2) * 3', '((0x1 + 0x2) * 0x3)'],
    ['1 - 2 - 3', '((0x1 - 0x2) - 0x3)'],
    ['8 / 4 / 2', '((0x8 / 0x4) / 0x2)'],
    ['1 << 2 + 3', '(0x1 << (0x2 + 0x3))'],
    ['$cr3 & ~0xfff', '($cr3 & (~0xfff))'],
    ['a | b ^ c & d', '(a | (b ^ (c & d)))'],
    ['$rax == 1 && $rbx != 2 || $rcx < 3', '((($rax == 0x1) && ($rbx != 0x2)) || ($rcx < 0x3))'],
    ['1 < 2 == 1', '((0x1 < 0x2) == 0x1)'],
    ['x >> 12 & 0x1ff', '((x >> 0xc) & 0x1ff)'],
    ['-1 + 2', '((-0x1) + 0x2)'],
    ['!$rax', '(!$rax)'],
    ['- -5', '(-(-0x5))'],
    ['*(u32 *)($rsp + 8)', '*u32[($rsp + 0x8)]'],
    ['*$rsp + 8', '(*u64[$rsp] + 0x8)'],
    ['*(u8 *)0x1000 == 0x90', '(*u8[0x1000] == 0x90)'],
    ['phys(u64, $cr3 & ~0xfff)', 'phys u64[($cr3 & (~0xfff))]'],
    ['phys($cr3)', 'phys u64[$cr3]'],
    ['(u16)$rax', '(u16)$rax'],
    ['(u32 *)$rsp', '$rsp'],
    ['0xffff8000`00000000 + 1_000', '(0xffff800000000000 + 0x3e8)'],
    ['rip', 'rip'],
    ['$RIP', '$rip'],
    ['vmx_vmexit_handler+0x1a', '(vmx_vmexit_handler + 0x1a)'],
    ['foo.cold', 'foo.cold'],
  ])('%s', (src, tree) => {
    expect(p(src)).toBe(tree);
  });

  it('tokens carry 1-based columns', () => {
    expect(tokenize('  $rax <<3').map((t) => t.column)).toEqual([3, 8, 10, 11]);
  });
});

describe('evaluate: parse errors point at the column', () => {
  it.each([
    ['1 +', 4, "'+' needs a right operand"],
    ['(1 + 2', 7, "missing ')' for the '(' at column 1"],
    ['1 2', 3, "expected an operator before '2'"],
    ['1 + )', 5, "unexpected ')'"],
    ['0x', 1, "bad number '0x'"],
    ['12ab', 1, "bad number '12ab'"],
    ['$ + 1', 1, "'$' must be followed by a register name"],
    ['1 # 2', 3, "unexpected '#'"],
    ['', 1, 'empty expression'],
    ['phys(u64, 1', 12, "missing ')'"],
    ['phys()', 6, 'phys() needs an address'],
    ['*', 2, "'*' needs an address"],
    ['1 +\t(2 * )', 10, "unexpected ')'"],
  ])('%j', (src, column, message) => {
    const e = errorOf(src);
    expect(e.column).toBe(column);
    expect(e.detail).toContain(message);
    expect(e.code).toBe('BAD_ARGUMENT');
    // The message shows the source and a caret under the column.
    const lines = e.message.split('\n');
    expect(lines[0]).toBe(`${e.detail} at column ${column}`);
    expect(lines[2].indexOf('^') - 2).toBe(column - 1);
  });
});

describe('evaluate: values', () => {
  const regs = new Map<string, bigint>([
    ['rax', 0x1122_3344_5566_7788n],
    ['rsp', 0x1000n],
    ['cr3', 0x11_0001n],
  ]);
  const mem = new Map<bigint, number>();
  for (let i = 0; i < 16; i++) mem.set(0x1000n + BigInt(i), 0xf0 + i);
  const env: EvalEnv = {
    register: async (n) => registerByName(regs, n),
    symbol: (n) => (n === 'start' ? 0xffff_ffff_8000_0000n : undefined),
    readVirtual: async (a, n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const b = mem.get(a + BigInt(i));
        if (b === undefined) throw new Error(`unmapped ${a.toString(16)}`);
        out[i] = b;
      }
      return out;
    },
    readPhysical: async (a, n) => new Uint8Array(n).fill(Number(a & 0xffn)),
  };
  const ev = (s: string) => evaluateExpr(parseExpression(s), env, s);

  it.each([
    ['1 + 2 * 3', 7n],
    ['0 - 1', 0xffff_ffff_ffff_ffffn],
    ['-1', 0xffff_ffff_ffff_ffffn],
    ['~0 >> 60', 0xfn],
    ['1 << 64', 0n],
    ['1 << 63', 1n << 63n],
    ['0xffffffffffffffff * 2', 0xffff_ffff_ffff_fffen],
    ['17 % 5', 2n],
    ['$cr3 & ~0xfff', 0x11_0000n],
    ['$eax', 0x5566_7788n],
    ['rax', 0x1122_3344_5566_7788n],
    ['(u16)$rax', 0x7788n],
    ['start + 0x12', 0xffff_ffff_8000_0012n],
    ['*(u8 *)$rsp', 0xf0n],
    ['*(u16 *)($rsp + 1)', 0xf2f1n],
    ['*(u32 *)0x1000', 0xf3f2f1f0n],
    ['*$rsp', 0xf7f6f5f4f3f2f1f0n],
    ['phys(u32, 0x2a)', 0x2a2a2a2an],
    ['phys(u8, 0x10) + 1', 0x11n],
    ['$rax == 0x1122334455667788', 1n],
    ['3 >= 4', 0n],
    ['0 && *(u8 *)0', 0n], // the right side is never read
    ['1 || *(u8 *)0', 1n],
    ['!0', 1n],
  ])('%s = %s', async (src, value) => {
    expect(await ev(src)).toBe(value);
  });

  it('evaluation errors name the column', async () => {
    await expect(ev('1 + 4 / (2 - 2)')).rejects.toMatchObject({ column: 7, detail: 'division by zero' });
    await expect(ev('2 * nosuch')).rejects.toMatchObject({ column: 5, detail: "'nosuch' is neither a symbol nor a register" });
    await expect(ev('$nope')).rejects.toMatchObject({ column: 1, detail: "no register '$nope' on this target" });
    await expect(ev('1 + *(u32 *)0x5000')).rejects.toMatchObject({ column: 5 });
    await expect(ev('1 + *(u32 *)0x5000')).rejects.toThrow(/cannot read 4 bytes at 0x5000: unmapped 5000/);
  });
});
