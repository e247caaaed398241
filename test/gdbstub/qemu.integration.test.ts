/**
 * The client against a real QEMU 7.2 (TCG, no kernel: the BIOS is enough). The tests share one VM
 * and run in order: they read the reset state, then write RAM, run, stop and detach.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GdbClient, GdbClientOptions } from '../../src/gdbstub/client';
import { QemuInstance, startQemu } from '../helpers/qemuProcess';

async function connect(port: number, options: GdbClientOptions = {}): Promise<GdbClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await GdbClient.connect('127.0.0.1', port, options);
    } catch (e) {
      if (attempt > 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Packets sent while `fn` runs. */
async function packetsFor(client: GdbClient, fn: () => Promise<unknown>): Promise<number> {
  const before = client.counters.packetsSent;
  await fn();
  return client.counters.packetsSent - before;
}

describe('QEMU gdbstub', () => {
  let qemu: QemuInstance | undefined;
  let client: GdbClient | undefined;
  const c = (): GdbClient => client!;

  beforeAll(async () => {
    qemu = await startQemu({ smp: 2, memoryMiB: 64 });
    client = await connect(qemu.gdbPort);
  });

  afterAll(async () => {
    client?.connection.close();
    await qemu?.stop();
  });

  it('negotiates features; a VM started with -S sends no unsolicited stop, so ? is asked', () => {
    expect(c().features).toMatchObject({
      packetSize: 0x1000,
      multiprocess: true,
      targetDescription: true,
      noAckMode: false,
      phyMemMode: true,
    });
    expect(c().initialStop).toBeUndefined();
    expect(c().lastStop).toMatchObject({ kind: 'signal', signal: 5, thread: { pid: 1, tid: 1 } });
  });

  it('builds the register map from target.xml, consistent with the 608-byte g', async () => {
    const layout = c().registerLayout;
    expect(layout.architecture).toBe('i386:x86-64');
    expect(layout.source).toBe('target.xml + i386-64bit.xml');
    for (const name of ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer', 'fs_base', 'k_gs_base', 'st7', 'xmm15', 'mxcsr']) {
      expect(layout.find(name), name).toBeDefined();
    }
    expect(layout.gBytes).toBe(608);
    expect(layout.get('cr3').gOffset).toBe(204);
    const regs = await c().readRegisters();
    expect(regs.size).toBe(layout.registers.length);
    expect(regs.get('rip')).toBe(0xfff0n);
    expect(regs.get('cs')).toBe(0xf000n);
    expect(regs.get('cr0')).toBe(0x60000010n);
    expect(regs.get('st0')).toBe(0n);
    expect(await c().readRegister('cr0')).toBe(0x60000010n); // through p, same value
    expect(await c().readRegister('eflags')).toBe(regs.get('eflags'));
  });

  it('lists both vCPUs and reads registers per vCPU with Hg', async () => {
    const threads = await c().threads();
    expect(threads.map((t) => t.text)).toEqual(['p1.1', 'p1.2']);
    expect(threads[0].extraInfo).toMatch(/^CPU#0\b/);
    expect(threads[1].extraInfo).toMatch(/^CPU#1\b/);
    const [cpu0, cpu1] = threads.map((t) => t.id);
    await c().writeRegister('rax', 0x1234n, cpu1);
    expect(await c().readRegister('rax', cpu1)).toBe(0x1234n);
    expect(await c().readRegister('rax', cpu0)).toBe(0n);
    expect((await c().readRegisters(cpu1)).get('rax')).toBe(0x1234n);
    await c().writeRegister('rax', 0n, cpu1);
  });

  it('reads the BIOS reset vector at virtual = physical (real mode)', async () => {
    const virt = await c().readMemory(0xffff0n, 16);
    expect(virt[0]).toBe(0xea); // jmp far f000:e05b
    expect(Array.from(virt.subarray(1, 5))).toEqual([0x5b, 0xe0, 0x00, 0xf0]);
    expect(await c().readPhysical(0xffff0n, 16)).toEqual(virt);
  });

  it('splits big reads at 0x800 bytes: 64 KiB = 32 m packets', async () => {
    let data: Uint8Array = new Uint8Array();
    const packets = await packetsFor(c(), async () => (data = await c().readMemory(0xf0000n, 0x10000)));
    expect(packets).toBe(32);
    expect(data.length).toBe(0x10000);
    expect(data.subarray(0xfff0, 0xfff1)[0]).toBe(0xea);
    expect(c().memoryChunking.readChunkBytes).toBe(0x800);
  });

  it('switches physical mode once per batch: 16 KiB = 1 + 8 + 1 packets', async () => {
    const seen: number[] = [];
    const n16 = await packetsFor(c(), () => c().withPhysical(async () => seen.push((await c().readPhysical(0xfc000n, 0x4000)).length)));
    expect(n16).toBe(1 + 8 + 1);
    const mem = c().physMem();
    const n64 = await packetsFor(c(), () =>
      c().withPhysical(async () => {
        for (let pa = 0xf0000n; pa < 0x100000n; pa += 0x4000n) await mem.read(pa, 0x4000);
      }),
    );
    expect(n64).toBe(1 + 32 + 1);
    expect(await c().connection.request('qqemu.PhyMemMode')).toBe('0'); // switched back off
  });

  it('writes RAM and reads it back, virtually and physically', async () => {
    const data = new Uint8Array([0x23, 0x24, 0x7d, 0x2a, 0x00, 0x03, 0xff, 0x10]);
    await c().writeMemory(0x1000n, data);
    expect(await c().readMemory(0x1000n, data.length)).toEqual(data);
    const big = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
    await c().writePhysical(0x20000n, big);
    expect(await c().readPhysical(0x20000n, big.length)).toEqual(big);
    expect(await c().readMemory(0x20000n, big.length)).toEqual(big);
  });

  it('stops at a breakpoint, and continue + interrupt gives T02', async () => {
    // After the reset vector's far jump the CPU is at f000:e05b, linear 0xfe05b.
    await c().insertBreakpoint('hardware', 0xfe05bn);
    await c().insertBreakpoint('software', 0xfe05bn);
    const stop = await c().resume();
    expect(stop).toMatchObject({ kind: 'signal', signal: 5, thread: { pid: 1, tid: 1 } });
    expect(stop.kind === 'signal' && stop.reason).toBeUndefined(); // QEMU 7.2 names no reason
    expect(await c().readRegister('rip')).toBe(0xe05bn);
    await c().removeBreakpoint('hardware', 0xfe05bn);
    await c().removeBreakpoint('software', 0xfe05bn);
    const stopped = c().resume();
    stopped.catch(() => undefined); // awaited below; keeps a failed assertion from leaking it
    await vi.waitFor(() => expect(c().connection.running).toBe(true)); // once the resume packet is queued
    await expect(c().readMemory(0n, 1)).rejects.toThrow(/running/);
    await new Promise((r) => setTimeout(r, 200));
    expect(c().interrupt()).toBe(true);
    expect(await stopped).toMatchObject({ kind: 'signal', signal: 2, raw: expect.stringMatching(/^T02thread:p01\.0[12];$/) });
    expect(c().lastStop?.kind === 'signal' && c().lastStop?.raw).toMatch(/^T02/);
  });

  it('runs monitor commands and collects their output', async () => {
    expect(await c().monitor('info status')).toBe('VM status: paused\r\n');
    const regs = await c().monitor('info registers');
    expect(regs).toMatch(/EAX=/);
  });

  it('detaches leaving the VM running, in virtual mode, without our breakpoints', async () => {
    await c().insertBreakpoint('software', 0x7c00n);
    await c().readPhysical(0n, 1);
    await c().detach();
    expect(c().connection.closed).toBe(true);
    expect(await qemu!.hmp('info status')).toBe('VM status: running');
  });

  it('learns the m cap from QEMU when asked to start bigger (0x1000 -> E22 -> 0x800)', async () => {
    const second = await connect(qemu!.gdbPort, { initialReadChunk: 0x1000 });
    try {
      // QEMU stopped the running VM for us and said so unasked.
      expect(second.initialStop).toMatchObject({ kind: 'signal', signal: 2 });
      // The mode survives reconnects in QEMU: the detach above must have switched it off.
      expect(await second.connection.request('qqemu.PhyMemMode')).toBe('0');
      const packets = await packetsFor(second, () => second.readPhysical(0xf0000n, 0x2000));
      expect(second.memoryChunking).toEqual({ readChunkBytes: 0x800, learnedCap: 0x800 });
      // :1, m…,1000 (E22), m…,1 (probe), 4 × m…,800, :0
      expect(packets).toBe(8);
      await second.detach();
      expect(await qemu!.hmp('info status')).toBe('VM status: running');
      expect(await qemu!.hmp('info registers')).toMatch(/EAX=/);
    } finally {
      second.connection.close();
    }
  });
});

describe('QEMU gdbstub with a running VM', () => {
  let qemu: QemuInstance | undefined;
  afterAll(async () => qemu?.stop());

  it('takes the unsolicited stop sent on connect as the initial stop, and stays in step', async () => {
    qemu = await startQemu({ smp: 1, paused: false });
    const client = await connect(qemu.gdbPort);
    try {
      expect(client.initialStop).toMatchObject({ kind: 'signal', signal: 2, thread: { tid: 1 } });
      expect(client.lastStop).toBe(client.initialStop);
      expect(client.registerLayout.gBytes).toBe(608); // every answer went to its own request
      expect(await client.haltReason()).toMatchObject({ signal: 5, thread: { pid: 1, tid: 1 } });
      expect((await client.readRegisters()).has('cr3')).toBe(true);
      await client.detach();
      expect(await qemu.hmp('info status')).toBe('VM status: running');
    } finally {
      client.connection.close();
    }
  });
});
