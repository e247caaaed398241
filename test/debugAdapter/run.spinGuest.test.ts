/**
 * The long4spin guest the run-control tests rely on: its hand-written addresses agree with the
 * symbol table of the ELF it is built to, and once booted both vCPUs run inside its loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadElfSymbols, type SymbolTable } from '../../src/symbols';
import { bootGuest, buildGuest, EXPECTED, parseInfoRegisters, RUNNING_GUEST_NAMES, type BootedGuest } from '../guests/harness';
import { SPIN, SPIN_SIZES, SPIN_STACK_TOP } from '../guests/long4spin.expected';

describe('the long4spin guest', () => {
  let symbols: SymbolTable;
  let guest: BootedGuest;
  beforeAll(async () => {
    symbols = await loadElfSymbols(await buildGuest('long4spin'));
    guest = await bootGuest('long4spin');
  });
  afterAll(async () => guest?.stop());

  it('is a running guest with long4smp tables', () => {
    expect(RUNNING_GUEST_NAMES).toEqual(['long4spin']);
    expect(EXPECTED.long4spin).toMatchObject({ halts: false, smp: 2, mode: 'long4' });
    expect(EXPECTED.long4spin.cpus.map((c) => c.root)).toEqual(EXPECTED.long4smp.cpus.map((c) => c.root));
  });

  it.each(Object.entries(SPIN))('names %s at its hand-written address', (name, va) => {
    expect(symbols.lookup(name)?.va).toBe(va);
  });

  it.each(Object.entries(SPIN_SIZES))('gives %s its size', (name, size) => {
    expect(symbols.lookup(name)?.sizeBytes).toBe(size);
  });

  it('runs both vCPUs in the loop on their own stacks, with the registers the loop never touches', async () => {
    expect(guest.serial()).toContain('HF-GUEST-READY long4spin\n');
    const regs = parseInfoRegisters(await guest.hmp('info registers -a'));
    for (const cpu of EXPECTED.long4spin.cpus) {
      const r = regs.get(cpu.index);
      const rip = r?.get('rip') ?? 0n;
      expect(rip >= SPIN.spin_main && rip < SPIN.spin_main + 0x100n, `CPU ${cpu.index} rip ${rip.toString(16)}`).toBe(true);
      expect(r?.get('hlt')).toBe(0n);
      expect(r?.get('cr3')).toBe(cpu.cr3);
      const rsp = r?.get('rsp') ?? 0n;
      expect(rsp <= SPIN_STACK_TOP[cpu.index] && rsp > SPIN_STACK_TOP[cpu.index] - 0x100n).toBe(true);
      for (const [name, value] of Object.entries(cpu.registers)) expect(r?.get(name), name).toBe(value);
    }
  });
});
