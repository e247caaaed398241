/**
 * Prologue recognition and code size, the two guesses the call stack and stepping rest on. Code
 * size and pc come from the stop cache's one rule; compatibility mode (a 32-bit code segment in
 * long mode) is checked with a FAKE target because no test guest runs compatibility-mode code
 * (real mode is checked on QEMU itself, at its reset vector, in launch.qemu.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { cpuView, cpuViewOf } from '../../src/debugAdapter/cpuView';
import { matchPrologue } from '../../src/debugAdapter/stack/stackWalker';
import { StopState } from '../../src/debugAdapter/registersCache';
import type { SessionContext } from '../../src/debugAdapter/context';
import { SymbolTable } from '../../src/symbols';
import { parseInfoRegisters } from '../../src/target/qemuSegments';
import type { Target } from '../../src/target/target';

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

/** A stop cache over a target that has these registers and whose monitor prints this CS line for `info registers`. */
function stateWith(regs: Record<string, bigint>, csLine?: string): StopState {
  const target = {
    capabilities: { runControl: true, breakpoints: [], writeMemory: false, monitor: csLine !== undefined },
    registers: async () => new Map(Object.entries(regs)),
    segments: async () => {
      if (csLine === undefined) throw new Error('this target has no monitor');
      return parseInfoRegisters(`${csLine}\nSS =0018 0000000000000000 ffffffff 00c09300 DPL=0 DS   [-WA]\n`);
    },
  } as unknown as Target;
  const ctx: SessionContext = { target, symbols: SymbolTable.empty(), currentVcpu: () => 0, log: () => undefined };
  return new StopState(ctx);
}

const CONTROL = { cr3: 0x1000n, cr4: 0x20n };

describe('code size and pc', () => {
  it('takes 64-bit code from CS.L in long mode, and compatibility mode from CS.L = 0 (not from EFER.LMA alone)', async () => {
    const long = { rip: 0xffffffff80000012n, rsp: 0x1000n, cr0: 0x80000011n, efer: 0x500n, ...CONTROL };
    const v64 = await cpuView(stateWith(long, 'CS =0010 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]'), 0);
    expect(v64).toMatchObject({ bitness: 64, ptrBytes: 8, pc: 0xffffffff80000012n });
    const compat = { ...long, rip: 0x8048000n, rsp: 0xffff_ffff_bfff_f000n };
    const v32 = await cpuView(stateWith(compat, 'CS =0023 0000000000000000 ffffffff 00cffb00 DPL=3 CS32 [-RA]'), 0);
    expect(v32).toMatchObject({ bitness: 32, ptrBytes: 4, pc: 0x8048000n, sp: 0xbfff_f000n });
  });

  it('adds CS.base to IP outside 64-bit code (linear pc), wrapping at 4 GiB', async () => {
    const reset = { rip: 0xfff0n, cs: 0xf000n, rsp: 0n, cr0: 0x60000010n, efer: 0n, ...CONTROL };
    const v = await cpuView(stateWith(reset, 'CS =f000 ffff0000 0000ffff 00009b00'), 0);
    expect(v).toMatchObject({ bitness: 16, pc: 0xfffffff0n, codeBase: 0xffff0000n, ptrBytes: 2 });
    // Without a monitor, real mode's selector × 16.
    expect(await cpuView(stateWith({ ...reset, rip: 0xe05bn }), 0)).toMatchObject({ bitness: 16, pc: 0xfe05bn });
  });

  it('follows EFER.LMA and CR0.PE without CS, and assumes 64-bit without control registers', async () => {
    expect((await cpuView(stateWith({ rip: 1n, cr0: 0x80010011n, efer: 0xd00n, ...CONTROL }), 0)).bitness).toBe(64);
    expect((await cpuView(stateWith({ rip: 1n, cr0: 0x80010011n, efer: 0n, ...CONTROL }), 0)).bitness).toBe(32);
    expect((await cpuView(stateWith({ rip: 1n, cr0: 0x10n, efer: 0n, ...CONTROL }), 0)).bitness).toBe(16);
    expect((await cpuView(stateWith({ rip: 1n }), 0)).bitness).toBe(64);
  });

  it('narrows sp and bp to 32 bits in 32-bit code', () => {
    const v = cpuViewOf(new Map([['rip', 0xc0400012n], ['rsp', 0x1_0011_0000n], ['rbp', 0x5n]]), 32);
    expect(v).toEqual({ pc: 0xc0400012n, sp: 0x110000n, bp: 5n, bitness: 32, ptrBytes: 4, codeBase: 0n, stackBase: 0n });
  });
});
