/**
 * DAP disassemble over real guests, checked against objdump's reading of the guest ELF (an
 * independent disassembler): addresses and bytes exactly, mnemonics modulo objdump's `movabs` and `lgdtd`.
 * The long4 image is linked at 0x100000 and runs at 0xffffffff80000000.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { parseObjdump, type ObjdumpLine } from '../disasm/objdump';
import { EXPECTED } from '../guests/harness';
import { HIGH_ALIAS_BIAS, liveInspection, type LiveInspection } from './inspect.helpers';

function objdump(elf: string, arch: string, from: bigint, to: bigint): ObjdumpLine[] {
  const out = execFileSync('objdump', ['-d', '-m', arch, '-M', 'intel', `--start-address=0x${from.toString(16)}`, `--stop-address=0x${to.toString(16)}`, elf], { encoding: 'utf8' });
  return parseObjdump(out);
}

const mnemonic = (text: string) => text.split(/\s+/)[0].replace(/^movabs$/, 'mov').replace(/^lgdtd$/, 'lgdt');

/** Ours against objdump's, with objdump's addresses moved by `bias`. */
function expectSame(ours: DebugProtocol.DisassembledInstruction[], theirs: ObjdumpLine[], bias: bigint, digits = 16): void {
  expect(ours.map((i) => i.address)).toEqual(theirs.map((t) => `0x${(t.address + bias).toString(16).padStart(digits, '0')}`));
  expect(ours.map((i) => i.instructionBytes)).toEqual(theirs.map((t) => t.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')));
  expect(ours.map((i) => mnemonic(i.instruction))).toEqual(theirs.map((t) => mnemonic(t.body)));
}

describe('disassemble on the long4 guest', () => {
  let li: LiveInspection;
  beforeAll(async () => {
    li = await liveInspection('long4', { symbols: true });
  });
  afterAll(async () => {
    await li?.close();
  });

  it('around rip: the halt loop, labelled; a row before rip ends exactly at rip', async () => {
    const rip = EXPECTED.long4.registers.rip;
    const theirs = objdump(li.guest.elfPath, 'i386:x86-64', 0x10_0010n, 0x10_0014n);
    const fromLabel = await li.inspection.disassemble({ memoryReference: 'v0:0xffffffff80000010', instructionCount: 3, resolveSymbols: true });
    expectSame(fromLabel!.instructions, theirs, HIGH_ALIAS_BIAS);
    expect(fromLabel!.instructions[0].symbol).toBe('halt_loop');
    expect(fromLabel!.instructions[2].instruction).toBe('jmp 0xffffffff80000010 <halt_loop>');
    // Before the loop lies the multiboot header (data), so which bytes make the row before rip
    // is a guess; that it ends at rip and that rip's row is objdump's jmp is not.
    const r = await li.inspection.disassemble({ memoryReference: `v0:0x${rip.toString(16)}`, instructionOffset: -1, instructionCount: 2 });
    const [before, at] = r!.instructions;
    expect(BigInt(before.address) + BigInt(before.instructionBytes!.split(' ').length)).toBe(rip);
    expectSame([at], theirs.slice(2), HIGH_ALIAS_BIAS);
  });

  it('from a symbol through the high alias: a dozen instructions as objdump reads them', async () => {
    const ev = await li.inspection.evaluate({ expression: 'long_entry', context: 'watch' }, 0);
    expect(ev.memoryReference).toBe('v0:0xffffffff80000070');
    const r = await li.inspection.disassemble({ memoryReference: ev.memoryReference!, instructionCount: 12 });
    const theirs = objdump(li.guest.elfPath, 'i386:x86-64', 0x10_0070n, 0x10_0200n).slice(0, 12);
    expectSame(r!.instructions, theirs, HIGH_ALIAS_BIAS);
    expect(r!.instructions[0].symbol).toBe('long_entry');
    expect(r!.instructions[4].instruction).toBe('mov rbx,0x1122334455667788');
  });

  it('a negative offset from mid-stream lands on the same instruction starts', async () => {
    const theirs = objdump(li.guest.elfPath, 'i386:x86-64', 0x10_0070n, 0x10_0200n).slice(0, 12);
    const anchor = theirs[9].address + HIGH_ALIAS_BIAS;
    const r = await li.inspection.disassemble({ memoryReference: `0x${anchor.toString(16)}`, instructionOffset: -6, instructionCount: 8 });
    expectSame(r!.instructions, theirs.slice(3, 11), HIGH_ALIAS_BIAS);
    // offset moves the anchor in bytes before instructions are counted
    const o = await li.inspection.disassemble({ memoryReference: `0x${(anchor - 10n).toString(16)}`, offset: 10, instructionOffset: -1, instructionCount: 1 });
    expect(o!.instructions[0].address).toBe(`0x${(theirs[8].address + HIGH_ALIAS_BIAS).toString(16).padStart(16, '0')}`);
  });

  it('physical references disassemble the same bytes', async () => {
    const r = await li.inspection.disassemble({ memoryReference: 'p:0x100070', instructionCount: 5, resolveSymbols: false });
    const theirs = objdump(li.guest.elfPath, 'i386:x86-64', 0x10_0070n, 0x10_0200n).slice(0, 5);
    expectSame(r!.instructions, theirs, 0n);
  });

  it('unreadable memory becomes invalid ?? rows, never a failure, and the count holds', async () => {
    // 0x12fff8: 8 readable bytes (zeros), then the unmapped page 0x130000.
    const r = await li.inspection.disassemble({ memoryReference: 'v0:0x12fff8', instructionCount: 6 });
    const rows = r!.instructions;
    expect(rows).toHaveLength(6);
    const firstBad = rows.findIndex((i) => i.instruction.startsWith('??'));
    expect(rows[firstBad].address).toBe('0x0000000000130000');
    expect(rows[firstBad].presentationHint).toBe('invalid');
    expect(rows[firstBad].instructionBytes).toBeUndefined();
    // 0x7fffffef0000 and the pages around it are not mapped: one ?? row per page.
    const none = await li.inspection.disassemble({ memoryReference: 'v0:0x7fffffef0000', instructionOffset: -3, instructionCount: 6 });
    expect(none!.instructions).toHaveLength(6);
    expect(none!.instructions.every((i) => i.instruction.startsWith('??') && i.presentationHint === 'invalid')).toBe(true);
    expect(none!.instructions.map((i) => i.address.slice(-8))).toEqual(['ffeed000', 'ffeee000', 'ffeef000', 'ffef0000', 'ffef1000', 'ffef2000']);
  });

  it('refuses absurd counts', async () => {
    await expect(li.inspection.disassemble({ memoryReference: '0x1000', instructionCount: -1 })).rejects.toThrow(/instructionCount/);
  });
});

describe('disassemble decodes 32-bit code on the legacy32 guest', () => {
  let li: LiveInspection;
  beforeAll(async () => {
    li = await liveInspection('legacy32');
  });
  afterAll(async () => {
    await li?.close();
  });

  it('the halt loop before eip, 8-digit addresses, as objdump -m i386 reads it', async () => {
    const eip = EXPECTED.legacy32.registers.eip;
    const r = await li.inspection.disassemble({ memoryReference: `0x${(eip - 2n).toString(16)}`, instructionCount: 3 });
    const theirs = objdump(li.guest.elfPath, 'i386', 0x10_0010n, 0x10_0014n);
    expectSame(r!.instructions, theirs, eip - 0x12n - 0x10_0000n, 8);
    expect(r!.instructions[2].instruction).toBe('jmp 0xc0400010');
    // And 32-bit code that 64-bit decoding would read differently: the entry point.
    const entry = await li.inspection.disassemble({ memoryReference: 'p:0x100020', instructionCount: 6 });
    expectSame(entry!.instructions, objdump(li.guest.elfPath, 'i386', 0x10_0020n, 0x10_0100n).slice(0, 6), 0n, 8);
  });
});
