/**
 * The inspection side through the real adapter over DAP (DebugClient, in-process server),
 * attached to the long4smp guest: scopes and variables per vCPU, setVariable, readMemory and
 * writeMemory, disassemble with a negative instructionOffset, evaluate and a custom request.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, EXPECTED, parseInfoRegisters, parseXp, type BootedGuest } from '../guests/harness';
import { b64 } from './inspect.helpers';
import { connectClient, type Client } from './session.harness';

const exp = EXPECTED.long4smp;

describe('inspection over DAP on long4smp', () => {
  let guest: BootedGuest;
  let client: Client;
  /** Frame 0 of each vCPU. */
  const frame: number[] = [];

  beforeAll(async () => {
    guest = await bootGuest('long4smp');
    client = await connectClient();
    await client.start('attach', { port: guest.gdbPort, timeout: 3000, symbols: [guest.elfPath] });
    for (const t of await client.threads()) frame.push((await client.frames(t.id))[0].id);
  });
  afterAll(async () => {
    await client?.disconnect().catch(() => undefined);
    await client?.close();
    await guest?.stop();
  });

  const variables = async (ref: number) => (await client.dc.variablesRequest({ variablesReference: ref })).body.variables;

  it('scopes and variables: each vCPU its own registers', async () => {
    for (const cpu of exp.cpus) {
      const scopes = (await client.dc.scopesRequest({ frameId: frame[cpu.index] })).body.scopes;
      expect(scopes.map((s) => s.name)).toEqual(['General', 'Segment', 'Control']);
      const general = await variables(scopes[0].variablesReference);
      expect(general.find((v) => v.name === 'rbx')?.value).toBe(`0x${cpu.registers.rbx.toString(16).padStart(16, '0')}`);
      const rip = general.find((v) => v.name === 'rip') as DebugProtocol.Variable & { __vscodeVariableMenuContext?: string };
      expect(rip.memoryReference).toBe(`v${cpu.index}:0xffffffff80000012`);
      // VS Code's variable menu key: HyperFrame's "Open Frame" appears on values that are addresses, and only there.
      expect(rip.__vscodeVariableMenuContext).toBe('hyperframe.address');
      expect((general.find((v) => v.name === 'rbx') as { __vscodeVariableMenuContext?: string }).__vscodeVariableMenuContext).toBeUndefined();
      const control = await variables(scopes[2].variablesReference);
      const cr3 = control.find((v) => v.name === 'cr3')!;
      expect(BigInt(cr3.value)).toBe(cpu.cr3);
      const kids = await variables(cr3.variablesReference);
      expect(kids.find((k) => k.name === 'root')?.memoryReference).toBe(`p:0x${cpu.root.toString(16)}`);
    }
  });

  it('setVariable writes through to QEMU', async () => {
    const scopes = (await client.dc.scopesRequest({ frameId: frame[1] })).body.scopes;
    const invalidated = client.event<DebugProtocol.InvalidatedEvent>('invalidated', 5000);
    const r = await client.dc.setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'r14', value: '0x5a5a' });
    expect(r.body.value).toBe('0x0000000000005a5a');
    expect((await invalidated).body.areas).toEqual(['variables']);
    await guest.hmp('cpu 1');
    expect(parseInfoRegisters(await guest.hmp('info registers')).get(1)!.get('r14')).toBe(0x5a5an);
  });

  it('writeMemory then readMemory: one VA, two vCPUs', async () => {
    const data = Buffer.from([1, 2, 3, 4]).toString('base64');
    const changed = client.event<DebugProtocol.MemoryEvent>('memory', 5000);
    const w = await client.dc.customRequest('writeMemory', { memoryReference: 'p:0x900100', data });
    expect((w as DebugProtocol.WriteMemoryResponse).body?.bytesWritten).toBe(4);
    expect((await changed).body).toEqual({ memoryReference: 'p:0x900100', offset: 0, count: 4 });
    expect(parseXp(await guest.hmp('xp /4bx 0x900100')).map(Number)).toEqual([1, 2, 3, 4]);
    const r1 = (await client.dc.customRequest('readMemory', { memoryReference: 'v1:0x40000100', count: 4 })) as DebugProtocol.ReadMemoryResponse;
    expect([...b64(r1.body!.data!)]).toEqual([1, 2, 3, 4]);
    const r0 = (await client.dc.customRequest('readMemory', { memoryReference: 'v0:0x40000100', count: 4 })) as DebugProtocol.ReadMemoryResponse;
    expect([...b64(r0.body!.data!)]).toEqual(parseXp(await guest.hmp('xp /4bx 0x800100')).map(Number));
    const tail = (await client.dc.customRequest('readMemory', { memoryReference: 'v0:0x12fff0', count: 32 })) as DebugProtocol.ReadMemoryResponse;
    expect(tail.body?.unreadableBytes).toBe(16);
  });

  it('disassemble with a negative instructionOffset around rip', async () => {
    const r = (await client.dc.customRequest('disassemble', {
      memoryReference: '0xffffffff80000012',
      instructionOffset: -1,
      instructionCount: 3,
      resolveSymbols: true,
    })) as DebugProtocol.DisassembleResponse;
    const rows = r.body!.instructions;
    expect(rows).toHaveLength(3);
    expect(BigInt(rows[0].address) + BigInt(rows[0].instructionBytes!.split(' ').length)).toBe(0xffff_ffff_8000_0012n);
    expect(rows[1]).toMatchObject({ address: '0xffffffff80000012', instructionBytes: 'eb fc', instruction: 'jmp 0xffffffff80000010' });
  });

  it('evaluate: watch on a frame of vCPU 1, and a Debug Console command', async () => {
    const w = await client.dc.evaluateRequest({ expression: '$cr3', frameId: frame[1], context: 'watch' });
    expect(w.body.result).toBe(`0x${exp.cpus[1].cr3.toString(16)} (${exp.cpus[1].cr3})`);
    const t = await client.dc.evaluateRequest({ expression: 'translate 0x40000000', frameId: frame[1], context: 'repl' });
    expect(t.body.result).toContain('\nPA 0x900000  (4 KiB page at 0x900000; R W - - -)');
    await expect(client.dc.evaluateRequest({ expression: '1 +', frameId: frame[0], context: 'watch' })).rejects.toThrow(/column 4/);
  });

  it('hyperframe/roots as a custom request', async () => {
    const r = (await client.dc.customRequest('hyperframe/roots', {})) as DebugProtocol.Response;
    expect((r.body as { roots: { vcpu: number; root: string }[] }).roots.map((x) => [x.vcpu, x.root])).toEqual(exp.cpus.map((c) => [c.index, `0x${c.root.toString(16)}`]));
  });
});
