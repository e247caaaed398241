/**
 * Attach to every halted test guest through the real adapter over DAP: the entry stop, vCPUs as
 * threads, frame 0 at the guest's known rip, and a detach that leaves QEMU running and out of
 * physical-memory mode. Then configurations that must fail at once with one clear message.
 */
import { createServer } from 'node:net';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ERROR_IDS } from '../../src/shared/dapRequests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GdbClient } from '../../src/gdbstub/client';
import { GdbProxy } from '../gdbstub/gdbProxy';
import { bootGuest, EXPECTED, GUEST_NAMES, parseXp, type BootedGuest } from '../guests/harness';
import { SPIN } from '../guests/long4spin.expected';
import { b64 } from './inspect.helpers';
import { connectClient, ref, type Client } from './session.harness';

async function waitRunning(g: BootedGuest): Promise<string> {
  let status = '';
  for (let i = 0; i < 50; i++) {
    status = await g.hmp('info status');
    if (/running/.test(status)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return status;
}

describe.each(GUEST_NAMES)('attach to the %s guest', (name) => {
  const exp = EXPECTED[name];
  let guest: BootedGuest;
  let client: Client;

  beforeAll(async () => {
    guest = await bootGuest(name);
    client = await connectClient();
  });
  afterAll(async () => {
    await client?.close();
    await guest?.stop();
  });

  it('stops at entry, shows the vCPUs and frame 0 at the halted rip, and detaches leaving it running', async () => {
    const stop = await client.start('attach', { port: guest.gdbPort, timeout: 3000 });
    expect(stop?.body.reason).toBe('entry');
    expect(stop?.body.threadId).toBe(1);
    expect(stop?.body.allThreadsStopped).toBe(true);

    const threads = await client.threads();
    expect(threads.map((t) => t.id)).toEqual(exp.cpus.map((c) => c.index + 1));
    expect(threads.map((t) => t.name)).toEqual(exp.cpus.map((c) => `CPU ${c.index} (halted)`));

    for (const cpu of exp.cpus) {
      const frames = await client.frames(cpu.index + 1);
      expect(frames.length).toBeGreaterThanOrEqual(1);
      const rip = cpu.registers.rip ?? cpu.registers.eip;
      expect(frames[0].instructionPointerReference).toBe(`v${cpu.index}:0x${(rip ?? 0n).toString(16)}`);
      expect(frames[0].presentationHint).toBe('normal');
      // No symbols were given: one honest frame, named by its address.
      expect(frames).toHaveLength(1);
      expect(frames[0].name).toBe(`0x${(rip ?? 0n).toString(16)}`);
    }

    expect(await guest.hmp('info status')).toMatch(/paused/);
    await client.disconnect();
    expect(await waitRunning(guest)).toMatch(/VM status: running/);
    // Physical mode was switched off before the detach: a new client finds virtual mode.
    const gdb = await GdbClient.connect('127.0.0.1', guest.gdbPort);
    try {
      expect(await gdb.connection.request('qqemu.PhyMemMode')).toBe('0');
    } finally {
      await gdb.detach();
    }
    expect(await waitRunning(guest)).toMatch(/VM status: running/);
  });
});

describe('the end of an attach session', () => {
  let guest: BootedGuest;
  beforeAll(async () => {
    guest = await bootGuest('long4');
  });
  afterAll(async () => guest?.stop());

  /** Resumes a VM a test left paused (a fresh client detaches). */
  async function resume(): Promise<void> {
    const gdb = await GdbClient.connect('127.0.0.1', guest.gdbPort);
    await gdb.detach();
    expect(await waitRunning(guest)).toMatch(/running/);
  }

  it.each([
    ['leavePaused in the configuration', { leavePaused: true }, {}],
    ['suspendDebuggee on disconnect', {}, { suspendDebuggee: true }],
  ])('leaves the VM paused with %s', async (_what, config, disconnect) => {
    const c = await connectClient();
    try {
      await c.start('attach', { port: guest.gdbPort, ...config });
      await c.disconnect(disconnect);
      expect(c.consoleText()).toMatch(/detached; the machine is left paused/);
      expect(await guest.hmp('info status')).toMatch(/VM status: paused/);
    } finally {
      await c.close();
    }
    await resume();
  });

  it('terminate on an attached machine detaches and leaves it running (never kills it)', async () => {
    const c = await connectClient();
    try {
      await c.start('attach', { port: guest.gdbPort });
      const terminated = c.event('terminated');
      await c.dc.terminateRequest({});
      await terminated;
      expect(await waitRunning(guest)).toMatch(/VM status: running/);
    } finally {
      await c.close();
    }
  });

  it('closing the client without disconnect still detaches', async () => {
    const c = await connectClient();
    await c.start('attach', { port: guest.gdbPort });
    // Drops the socket without a DAP goodbye (DebugClient keeps this private).
    (c.dc as unknown as { stopAdapter(): void }).stopAdapter();
    expect(await waitRunning(guest)).toMatch(/VM status: running/);
  });

  it('viewBinaryData: false takes readMemory out of the capabilities (VS Code would offer a hex editor it cannot open)', async () => {
    const c = await connectClient();
    try {
      const capabilities = c.event<DebugProtocol.CapabilitiesEvent>('capabilities');
      await c.start('attach', { port: guest.gdbPort, viewBinaryData: false });
      expect((await capabilities).body.capabilities).toEqual({ supportsReadMemoryRequest: false });
      // The views still read memory through the request itself.
      const r = await c.dc.send('readMemory', { memoryReference: 'p:0x100000', count: 4 });
      expect([...b64(r.body.data)]).toEqual([0x02, 0xb0, 0xad, 0x1b]);
    } finally {
      await c.disconnect().catch(() => undefined);
      await c.close();
    }
  });

  it('a lost connection ends the session with the reason in the console', async () => {
    const c = await connectClient();
    try {
      await c.start('attach', { port: guest.gdbPort, stopOnAttach: false }, false);
      const terminated = c.event('terminated');
      // QEMU dies under the debugger without a word (a `quit` would send W00 first: an exit, not a loss).
      process.kill(guest.pid, 'SIGKILL');
      await terminated;
      expect(c.consoleText()).toMatch(/connection to the target lost: connection to 127\.0\.0\.1:\d+ (closed by the stub|lost: )/);
      await guest.stop();
    } finally {
      await c.close();
    }
  });
});

describe('attach with a bad configuration fails at once with one clear message', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient();
    await client.dc.initializeRequest({ adapterID: 'hyperframe', pathFormat: 'path' });
  });
  afterAll(async () => client?.close());

  const attach = (args: Record<string, unknown>) => client.dc.attachRequest(args as never);

  it('without a port', async () => {
    await expect(attach({ host: '127.0.0.1' })).rejects.toThrow(/attach needs a 'port'/);
  });

  it('with a port outside 1..65535', async () => {
    await expect(attach({ port: 70000 })).rejects.toThrow(/'port' must be a TCP port number 1\.\.65535, got 70000/);
  });

  it('with nothing listening on the port', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const started = Date.now();
    // The message names what was tried and how to start QEMU with its stub there.
    const refused = attach({ port, timeout: 1000 });
    await expect(refused).rejects.toThrow(new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: nothing listens there \\(ECONNREFUSED\\)`));
    await expect(refused).rejects.toThrow(new RegExp(`Start QEMU with its gdbstub on that port: -gdb tcp::${port} \\(-s listens on 1234\\)`));
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('with a listener that never answers: the timeout applies', async () => {
    const srv = createServer(() => undefined);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const started = Date.now();
    try {
      await expect(attach({ port, timeout: 500 })).rejects.toThrow(/within 500 ms/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      srv.close();
    }
  });

  it('with a bad physicalMemory', async () => {
    await expect(attach({ port: 1234, physicalMemory: 'sometimes' })).rejects.toThrow(
      /bad 'physicalMemory' "sometimes": expected "auto", "file", "proc", "qemu", "identity" or \{ "directMap": "0xffff830000000000" \}/,
    );
    await expect(attach({ port: 1234, physicalMemory: { directMap: '0xzz' } })).rejects.toThrow(/bad 'physicalMemory': bad direct-map offset '0xzz'/);
  });

  it('with a bad pagingMode, root or symbols', async () => {
    await expect(attach({ port: 1234, pagingMode: 'ept4' })).rejects.toThrow(/bad 'pagingMode' "ept4": expected one of auto, legacy32, pae, long4, long5/);
    await expect(attach({ port: 1234, root: '0x1000' })).rejects.toThrow(/'root' needs a 'pagingMode'/);
    await expect(attach({ port: 1234, symbols: 'vmlinux' })).rejects.toThrow(/'symbols' must be a list of strings, got "vmlinux"/);
  });

  it('with a symbol file that does not exist', async () => {
    await expect(attach({ port: 1234, symbols: ['/nonexistent/xen-syms'] })).rejects.toThrow(/xen-syms/);
  });

  // Handlers that need the debuggee before their first await used to throw out of the dispatcher,
  // which answered with its own error 1104 and a stack trace instead of the message.
  it.each([
    ['next', { threadId: 1 }],
    ['stepIn', { threadId: 1 }],
    ['stepOut', { threadId: 1 }],
    ['readMemory', { memoryReference: '0x1000', count: 4 }],
    ['disassemble', { memoryReference: '0x1000', instructionCount: 1 }],
    ['evaluate', { expression: '1 + 1' }],
    ['stackTrace', { threadId: 1 }],
  ])('%s before attach: answers "not attached" as its error', async (command, args) => {
    await expect(client.dc.send(command, args)).rejects.toThrow(/^not attached: start the session with attach or launch first$/);
  });

  it('a failed response carries its cause as the error id (shared/dapRequests.ts ERROR_IDS)', async () => {
    const r = await client.rawResponse('hyperframe/roots', {});
    expect(r.success).toBe(false);
    expect((r as DebugProtocol.ErrorResponse).body.error).toMatchObject({ id: ERROR_IDS.NOT_ATTACHED, format: expect.stringMatching(/^not attached/) });
  });
});

async function counterOf(g: BootedGuest): Promise<bigint> {
  return parseXp(await g.hmp(`xp /1gx ${ref(SPIN.spin_counter)}`))[0] ?? -1n;
}

/** The VM runs: QEMU says so and the counter moves. */
async function runsAgain(g: BootedGuest): Promise<void> {
  expect(await waitRunning(g)).toMatch(/VM status: running/);
  const a = await counterOf(g);
  await new Promise((r) => setTimeout(r, 100));
  expect(await counterOf(g)).toBeGreaterThan(a + 1000n);
}

describe('a session that ends while it is still attaching', () => {
  let guest: BootedGuest;
  let proxy: GdbProxy;
  beforeAll(async () => {
    guest = await bootGuest('long4spin');
    proxy = await GdbProxy.start(guest.gdbPort);
  });
  afterAll(async () => {
    await proxy?.close();
    await guest?.stop();
  });

  /** Starts an attach whose negotiation the proxy holds (QEMU has already paused the VM at connect). */
  async function heldAttach(c: Client): Promise<{ attach: Promise<unknown>; from: number }> {
    await c.dc.initializeRequest({ adapterID: 'hyperframe', pathFormat: 'path' });
    proxy.hold();
    const from = proxy.sent.length;
    const attach = c.dc.attachRequest({ port: proxy.port, timeout: 5000 } as never);
    attach.catch(() => undefined);
    await proxy.until(() => proxy.sent.length > from, 'the first packet of the attach');
    let status = '';
    for (let i = 0; i < 250 && !/paused/.test(status); i++) {
      status = await guest.hmp('info status');
      if (!/paused/.test(status)) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toMatch(/paused/);
    return { attach, from };
  }

  it('disconnect: waits for the attach, then detaches at once', async () => {
    const c = await connectClient();
    try {
      const { attach, from } = await heldAttach(c);
      const disconnected = c.dc.disconnectRequest({});
      const end = Date.now() + 5000;
      while (!c.consoleText().includes('the session ends while it is starting') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      proxy.release();
      await disconnected;
      await expect(attach).rejects.toThrow(/the session ended while it was starting; the machine was let go at once/);
      expect(proxy.sent.slice(from)).toContain('D;1');
      await runsAgain(guest);
    } finally {
      proxy.release();
      await c.close();
    }
  });

  it('the client gone: still lets go of the machine once it is reached', async () => {
    const c = await connectClient();
    try {
      const { from } = await heldAttach(c);
      // Drops the socket without a DAP goodbye (a disconnect request would wait for an answer).
      (c.dc as unknown as { stopAdapter(): void }).stopAdapter();
      // Nothing tells when the adapter has seen the socket close; either way round the VM must run.
      await new Promise((r) => setTimeout(r, 300));
      proxy.release();
      await proxy.until(() => proxy.sent.slice(from).includes('D;1'), 'the detach');
      await runsAgain(guest);
    } finally {
      proxy.release();
    }
  });
});

describe('the vCPU in focus (long4smp: VA 0x40000000 is 0x800000 on CPU 0, 0x900000 on CPU 1)', () => {
  let guest: BootedGuest;
  let c: Client;
  beforeAll(async () => {
    guest = await bootGuest('long4smp');
    c = await connectClient();
    const stop = await c.start('attach', { port: guest.gdbPort, timeout: 3000 });
    expect(stop?.body.threadId).toBe(1);
  });
  afterAll(async () => {
    await c?.close();
    await guest?.stop();
  });

  const bytes = (b: number): string => Buffer.alloc(8, b).toString('base64');
  const read = async (memoryReference: string): Promise<string> =>
    ((await c.dc.customRequest('readMemory', { memoryReference, count: 8 })) as DebugProtocol.ReadMemoryResponse).body?.data ?? '';

  it('names the vCPU in instruction pointer references; a call stack does not move the focus, a frame does', async () => {
    await c.dc.customRequest('writeMemory', { memoryReference: 'p:0x800000', data: bytes(0xaa) });
    await c.dc.customRequest('writeMemory', { memoryReference: 'p:0x900000', data: bytes(0xbb) });
    const cpu0 = await c.frames(1);
    const cpu1 = await c.frames(2);
    expect(cpu0[0].instructionPointerReference).toBe('v0:0xffffffff80000012');
    expect(cpu1[0].instructionPointerReference).toBe('v1:0xffffffff80000012');
    // The client asked for CPU 1's stack last: a bare address is still CPU 0's (the stop's).
    expect(await read('0x40000000')).toBe(bytes(0xaa));
    expect(await read('v1:0x40000000')).toBe(bytes(0xbb));
    // Choosing a frame of CPU 1 (scopes) moves the focus there.
    await c.dc.scopesRequest({ frameId: cpu1[0].id });
    expect(await read('0x40000000')).toBe(bytes(0xbb));
    await c.dc.evaluateRequest({ expression: '$rip', frameId: cpu0[0].id, context: 'watch' });
    expect(await read('0x40000000')).toBe(bytes(0xaa));
  });
});
