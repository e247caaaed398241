/** Prologue recognition and code size, the two guesses the call stack and stepping rest on. */
import { describe, expect, it } from 'vitest';
import { bitnessOf, cpuViewOf } from '../../src/debugAdapter/cpuView';
import { matchPrologue } from '../../src/debugAdapter/frames';

const b = (...bytes: number[]): Uint8Array => Uint8Array.from([...bytes, 0x90, 0x90, 0x90, 0x90]);

describe('frame-pointer prologues', () => {
  it.each([
    ['push rbp; mov rbp,rsp (89 e5)', b(0x55, 0x48, 0x89, 0xe5), 8, { push: 0, body: 4 }],
    ['push rbp; mov rbp,rsp (8b ec)', b(0x55, 0x48, 0x8b, 0xec), 8, { push: 0, body: 4 }],
    ['endbr64 first', b(0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5), 8, { push: 4, body: 8 }],
    ['32-bit push ebp; mov ebp,esp', b(0x55, 0x89, 0xe5), 4, { push: 0, body: 3 }],
  ] as const)('%s', (_name, bytes, ptr, expected) => {
    expect(matchPrologue(bytes, ptr)).toEqual(expected);
  });

  it.each([
    ['no push', b(0x48, 0x89, 0xe5)],
    ['push rbp, then something else', b(0x55, 0x48, 0x83, 0xec, 0x10)],
    ['push rbx', b(0x53, 0x48, 0x89, 0xe5)],
  ])('%s is not one', (_name, bytes) => {
    expect(matchPrologue(bytes, 8)).toBeUndefined();
  });
});

describe('code size', () => {
  it('follows EFER.LMA and CR0.PE, and assumes 64-bit without them', () => {
    expect(bitnessOf(new Map([['efer', 0xd00n], ['cr0', 0x80010011n]]))).toBe(64);
    expect(bitnessOf(new Map([['efer', 0n], ['cr0', 0x80010011n]]))).toBe(32);
    expect(bitnessOf(new Map([['efer', 0n], ['cr0', 0x10n]]))).toBe(16);
    expect(bitnessOf(new Map([['rip', 1n]]))).toBe(64);
  });

  it('narrows sp and bp to 32 bits outside long mode', () => {
    const v = cpuViewOf(new Map([['rip', 0xc0400012n], ['rsp', 0x1_0011_0000n], ['rbp', 0x5n], ['efer', 0n], ['cr0', 1n]]));
    expect(v).toEqual({ pc: 0xc0400012n, sp: 0x110000n, bp: 5n, bitness: 32, ptrBytes: 4 });
  });
});
