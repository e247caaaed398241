/**
 * Inspection over a dump (the Xen-like sample ELF core): no monitor, no writes, virtual memory
 * through our own walk. Truth: the tables as sampleDumps.ts lays them out by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionContext } from '../../src/debugAdapter/context';
import type { PageTableResult, RootsResult } from '../../src/shared/dapRequests';
import { Inspection } from '../../src/debugAdapter/inspection';
import { SymbolTable } from '../../src/symbols';
import { DumpTarget } from '../../src/target/dumpTarget';
import { XEN_SAMPLE, xenSampleCore } from '../fixtures/sampleDumps';
import { makeTempDir, type TempDir } from '../memory/tempFiles';
import { b64, variablesOf } from './inspect.helpers';

describe('Inspection over the Xen-like sample core', () => {
  let tmp: TempDir;
  let target: DumpTarget;
  let insp: Inspection;
  beforeAll(async () => {
    tmp = await makeTempDir();
    target = await DumpTarget.open(await tmp.file('xen.core', xenSampleCore()));
    const ctx: SessionContext = { target, symbols: SymbolTable.empty(), currentVcpu: () => 0, log: () => undefined };
    insp = new Inspection(ctx);
  });
  afterAll(async () => {
    await target?.close();
    await tmp?.cleanup();
  });

  it('registers: rflags from the core, descriptor tables from its QEMU note, no monitor needed', async () => {
    const [general, segment, control] = await insp.scopes(0);
    const g = await variablesOf(insp, general.variablesReference);
    expect(g.get('rbx')!.value).toBe('0x1122334455667788');
    expect(g.get('rip')!.memoryReference).toBe('v0:0xffff82d040000000');
    expect(g.has('rflags')).toBe(true);
    const s = await variablesOf(insp, segment.variablesReference);
    expect(s.get('cs')!.value).toBe('0xe008');
    const cs = await variablesOf(insp, s.get('cs')!.ref);
    expect([cs.get('index')!.value, cs.get('TI')!.value, cs.get('RPL')!.value]).toEqual(['0x1c01', '0', '0']); // 0xe008 >> 3 = 7169
    expect(s.has('gdtr')).toBe(true);
    const c = await variablesOf(insp, control.variablesReference);
    expect(c.get('cr3')!.value).toBe('0x0000000000100000');
    expect(c.get('paging')!.value).toBe('long4 (CR0.PG, EFER.LMA), root 0x100000');
  });

  it('readMemory walks the tables itself; an unmapped tail is counted, not failed', async () => {
    // 16 user pages at VA 0x400000 → PA 0x600000; VA 0x410000 is not mapped.
    const r = (await insp.readMemory({ memoryReference: 'v0:0x40fff8', count: 16 }))!;
    expect(b64(r.data!).length).toBe(8);
    expect(r.unreadableBytes).toBe(8);
    const text = (await insp.readMemory({ memoryReference: 'v0:0xffff82d040000000', count: 18 }))!;
    expect(Buffer.from(b64(text.data!)).toString('latin1')).toBe('HyperFrame sample:');
    const phys = (await insp.readMemory({ memoryReference: 'p:0x200000', count: 10 }))!;
    expect(Buffer.from(b64(phys.data!)).toString('latin1')).toBe('HyperFrame');
    // Beyond the dump's one segment: unreadable, not an error.
    const past = (await insp.readMemory({ memoryReference: `p:0x${(XEN_SAMPLE.ramBytes - 4).toString(16)}`, count: 8 }))!;
    expect(b64(past.data!).length).toBe(4);
    expect(past.unreadableBytes).toBe(4);
  });

  it('writes are refused with a clear message', async () => {
    await expect(insp.writeMemory({ memoryReference: 'p:0x1000', data: 'AA==' })).rejects.toThrow(/cannot be written/);
    const [general] = await insp.scopes(0);
    await insp.variables({ variablesReference: general.variablesReference });
    await expect(insp.setVariable({ variablesReference: general.variablesReference, name: 'rax', value: '1' })).rejects.toThrow(/a dump is a snapshot/);
  });

  it('disassemble decodes 64-bit code without a monitor (EFER.LMA from the core)', async () => {
    const r = (await insp.disassemble({ memoryReference: 'v0:0xffff82d040000000', instructionCount: 3 }))!;
    expect(r.instructions[0].address).toBe('0xffff82d040000000');
    // "Hy" = 48 79: a REX.W prefix only in 64-bit mode; 32-bit decoding would read `dec eax`.
    expect(r.instructions[0].instructionBytes!.startsWith('48 79')).toBe(true);
  });

  it('evaluate, Debug Console and custom requests', async () => {
    expect((await insp.evaluate({ expression: '*(u64 *)(0xffff830000000000 + 0x200000) & 0xffff', context: 'watch' }, 0)).result).toBe('0x7948 (31048)');
    expect((await insp.evaluate({ expression: 'translate 0x8000400000', context: 'repl' }, 0)).result).toContain('\nPA 0x600000  (4 KiB page at 0x600000; R W X U -)');
    await expect(insp.evaluate({ expression: 'monitor info tlb', context: 'repl' }, 0)).rejects.toThrow(/no monitor/);
    expect((await insp.evaluate({ expression: 'regs', context: 'repl' }, 0)).result).toContain('cr3 0x0000000000100000');
    const roots = (await insp.customRequest('hyperframe/roots', {})) as RootsResult;
    expect(roots.roots).toEqual([{ vcpu: 0, cr3: '0x100000', mode: 'long4', root: '0x100000' }]);
    const pml4 = (await insp.customRequest('hyperframe/pageTable', { mode: 'long4', table: '0x100000', root: '0x100000' })) as PageTableResult;
    expect(pml4.entries.map((e) => e.index)).toEqual([0, 1, 256, 258, 261, 262]);
    expect(pml4.entries.find((e) => e.index === 258)).toMatchObject({ selfMap: true, va: '0xffff810000000000' });
    const dmap = (await insp.customRequest('hyperframe/pageTable', { mode: 'long4', table: '0x108000', level: 3, baseVa: '0xffff830000000000' })) as PageTableResult;
    expect(dmap.entries[1]).toMatchObject({ index: 1, va: '0xffff830040000000', raw: '0x5eadbeef000', kind: 'not-present' });
  });
});
