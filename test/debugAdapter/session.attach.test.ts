/**
 * Attach to every halted test guest through the real adapter over DAP: the entry stop, vCPUs as
 * threads, frame 0 at the guest's known rip, and a detach that leaves QEMU running and out of
 * physical-memory mode. Then configurations that must fail at once with one clear message.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GdbClient } from '../../src/gdbstub/client';
import { bootGuest, EXPECTED, GUEST_NAMES, type BootedGuest } from '../guests/harness';
import { connectClient, type Client } from './session.harness';

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
      expect(BigInt(frames[0].instructionPointerReference ?? '')).toBe(rip);
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

  it('a lost connection ends the session with the reason in the console', async () => {
    const c = await connectClient();
    try {
      await c.start('attach', { port: guest.gdbPort, stopOnAttach: false }, false);
      const terminated = c.event('terminated');
      await guest.stop(); // QEMU quits under the debugger
      await terminated;
      expect(c.consoleText()).toMatch(/connection to the target lost: connection to 127\.0\.0\.1:\d+ (closed by the stub|lost: )/);
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
    await expect(attach({ port, timeout: 1000 })).rejects.toThrow(new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
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
      /bad 'physicalMemory' "sometimes": expected "auto", "qemu", "identity" or \{ "directMap": "0xffff830000000000" \}/,
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
});
