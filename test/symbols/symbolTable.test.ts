import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NEAREST_BOUND_BYTES, SymbolTable, type Sym } from '../../src/symbols';

const sym = (name: string, va: bigint, sizeBytes = 0n, extra: Partial<Sym> = {}): Sym => ({
  name,
  va,
  sizeBytes,
  type: 'func',
  binding: 'global',
  ...extra,
});

describe('SymbolTable.symbolize', () => {
  const table = SymbolTable.from([
    sym('outer', 0x1000n, 0x100n, { type: 'object' }),
    sym('inner', 0x1040n, 0x10n),
    sym('label', 0x1080n, 0n, { type: 'notype' }),
    sym('after', 0x2000n, 0x20n),
    sym('_stext', 0x2000n, 0n, { type: 'notype' }),
    sym('alias_local', 0x2000n, 0x20n, { binding: 'local' }),
    sym('lonely', 0x10_0000n, 0n, { type: 'notype' }),
  ]);

  it('prefers the closest symbol whose range contains the address', () => {
    expect(table.label(0x1044n)).toBe('inner+0x4');
    expect(table.label(0x1050n)).toBe('outer+0x50'); // past inner's end, still in outer
    expect(table.label(0x1090n)).toBe('outer+0x90'); // the unsized label loses to a containing range
    expect(table.label(0x0fffn)).toBeUndefined();
  });

  it('among aliases picks sized, then code, then global', () => {
    expect(table.symbolize(0x2000n)).toMatchObject({ sym: { name: 'after' }, offset: 0n });
    expect(table.label(0x201fn)).toBe('after+0x1f');
  });

  it('names nothing past a sized symbol\'s end, nor past a sized symbol a label lies in', () => {
    expect(table.label(0x201fn)).toBe('after+0x1f');
    expect(table.symbolize(0x2020n)).toBeUndefined(); // padding after a function: a bare address
    expect(table.label(0x1080n)).toBe('outer+0x80'); // the label itself loses to the range it lies in
    expect(table.symbolize(0x1100n)).toBeUndefined(); // label lies in outer, which ended at 0x1100
    expect(table.formatAddress(0x2020n)).toBe('0x2020');
  });

  it('lets a label reach the end of its section, and an absolute symbol only its own address', () => {
    const t = SymbolTable.from([
      sym('entry', 0x1000n, 0n, { type: 'notype', sectionEndVa: 0x1800n }),
      sym('TRAMPOLINE', 0x7000n, 0n, { type: 'notype', absolute: true }),
    ]);
    expect(t.label(0x17ffn)).toBe('entry+0x7ff');
    expect(t.symbolize(0x1800n)).toBeUndefined();
    expect(t.label(0x7000n)).toBe('TRAMPOLINE');
    expect(t.symbolize(0x7001n)).toBeUndefined();
    expect(t.symbolize(0x7000n + 0xe26f1n)).toBeUndefined();
  });

  it('keeps section ends with a merge\'s bias, also a section that ends at 2^64', () => {
    const t = SymbolTable.merge([
      { table: SymbolTable.from([sym('low', 0x1000n, 0n, { type: 'notype', sectionEndVa: 0x2000n })]), bias: 0x10_0000n },
      { table: SymbolTable.from([sym('top', 0xffff_ffff_ffff_f000n, 0n, { type: 'notype', sectionEndVa: 1n << 64n })]) },
    ]);
    expect(t.label(0x10_1fffn)).toBe('low+0xfff');
    expect(t.symbolize(0x10_2000n)).toBeUndefined();
    expect(t.label(0xffff_ffff_ffff_ffffn)).toBe('top+0xfff');
  });

  it('falls back to the nearest label below within the bound', () => {
    expect(table.label(0x10_0000n + DEFAULT_NEAREST_BOUND_BYTES - 1n)).toBe('lonely+0xfffff');
    expect(table.label(0x10_0000n + DEFAULT_NEAREST_BOUND_BYTES)).toBeUndefined();
    expect(table.symbolize(0x10_0010n, 0x10n)).toBeUndefined();
    expect(table.formatAddress(0xffff_ffff_ffff_ffffn)).toBe('0xffffffffffffffff');
  });

  it('handles an empty table', () => {
    const empty = SymbolTable.empty();
    expect(empty.size).toBe(0);
    expect(empty.symbolize(0x1000n)).toBeUndefined();
    expect(empty.lookup('x')).toBeUndefined();
    expect(empty.complete('')).toEqual([]);
  });
});

describe('SymbolTable.lookup', () => {
  it('among duplicate names prefers global code at the lowest address', () => {
    const t = SymbolTable.from([
      sym('init', 0x3000n, 4n, { binding: 'local' }),
      sym('init', 0x2000n, 4n, { binding: 'local' }),
      sym('init', 0x5000n, 4n, { type: 'object' }),
      sym('init', 0x4000n, 4n),
    ]);
    expect(t.lookup('init')?.va).toBe(0x4000n);
    expect(t.lookupAll('init').map((s) => s.va)).toEqual([0x4000n, 0x5000n, 0x2000n, 0x3000n]);
  });

  it('accepts module-qualified names, and names that contain a colon', () => {
    const xen = SymbolTable.from([sym('start', 0x1000n, 1n, { module: 'xen-syms' })]);
    const linux = SymbolTable.from([sym('start', 0x2000n, 1n), sym('odd:name', 0x3000n)]);
    const t = SymbolTable.merge([xen, { table: linux, module: 'vmlinux', bias: -0x1000n }]);
    expect(t.lookup('vmlinux:start')?.va).toBe(0x1000n);
    expect(t.lookup('xen-syms:start')?.va).toBe(0x1000n);
    expect(t.lookupAll('start')).toHaveLength(2);
    expect(t.lookup('odd:name')?.va).toBe(0x2000n);
    expect(t.lookup('nomodule:start')).toBeUndefined();
  });

  it('wraps biased addresses at 2^64', () => {
    const t = SymbolTable.merge([{ table: SymbolTable.from([sym('top', 0xffff_ffff_ffff_f000n)]), bias: 0x2000n }]);
    expect(t.lookup('top')?.va).toBe(0x1000n);
  });
});

/** The specification of symbolize, by brute force over every symbol. */
function oracle(syms: Sym[], addr: bigint, bound: bigint): { name: string; va: bigint } | undefined {
  const rank = (s: Sym): number[] => [
    Number(s.sizeBytes > 0n),
    { func: 2, object: 1, notype: 0 }[s.type],
    { global: 2, weak: 1, local: 0 }[s.binding],
  ];
  const better = (a: Sym, b: Sym): boolean => {
    if (a.va !== b.va) return a.va > b.va;
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] > rb[i];
    return a.name < b.name;
  };
  const pick = (list: Sym[]): Sym | undefined => list.reduce<Sym | undefined>((m, s) => (!m || better(s, m) ? s : m), undefined);
  const contains = (s: Sym, a: bigint): boolean => s.sizeBytes > 0n && s.va <= a && a < s.va + s.sizeBytes;
  const containing = pick(syms.filter((s) => contains(s, addr)));
  if (containing) return { name: containing.name, va: containing.va };
  // Else a label (no size) at the highest address below, unless a sized symbol there or around it ended first.
  const top = syms.filter((s) => s.va <= addr).reduce<bigint | undefined>((m, s) => (m === undefined || s.va > m ? s.va : m), undefined);
  const label = pick(syms.filter((s) => s.va === top && s.sizeBytes === 0n));
  if (!label || addr - label.va >= bound) return undefined;
  if (addr !== label.va && syms.some((s) => contains(s, label.va))) return undefined;
  return { name: label.name, va: label.va };
}

describe('SymbolTable.symbolize matches a brute-force oracle', () => {
  const arbSym = fc.record({
    name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
    va: fc.bigInt({ min: 1n, max: 0x400n }),
    sizeBytes: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 0x80n })),
    type: fc.constantFrom('func' as const, 'object' as const, 'notype' as const),
    binding: fc.constantFrom('global' as const, 'weak' as const, 'local' as const),
  });
  it('for random tables and addresses', () => {
    fc.assert(
      fc.property(
        fc.array(arbSym, { maxLength: 40 }),
        fc.array(fc.bigInt({ min: 0n, max: 0x600n }), { minLength: 1, maxLength: 20 }),
        (syms, addrs) => {
          const t = SymbolTable.from(syms);
          for (const addr of addrs) {
            const got = t.symbolize(addr, 0x100n);
            const want = oracle(syms, addr, 0x100n);
            expect(got && { name: got.sym.name, va: got.sym.va }).toEqual(want);
            if (got) expect(got.offset).toBe(addr - got.sym.va);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SymbolTable.complete', () => {
  it('lists code symbols by prefix, one per name, up to the limit', () => {
    const t = SymbolTable.from([
      sym('vmx_vmexit_handler', 0x1000n),
      sym('vmx_vmenter', 0x2000n, 0n, { type: 'notype' }),
      sym('vmx_vmenter', 0x2100n, 0n, { binding: 'local' }),
      sym('vmx_data', 0x3000n, 8n, { type: 'object' }),
      sym('svm_vmexit_handler', 0x4000n),
    ]);
    expect(t.complete('vmx_').map((s) => [s.name, s.va])).toEqual([
      ['vmx_vmenter', 0x2000n], // global beats local, as in lookup
      ['vmx_vmexit_handler', 0x1000n],
    ]);
    expect(t.complete('vmx_', 1)).toHaveLength(1);
    expect(t.complete('zzz')).toEqual([]);
  });
});
