/**
 * A negotiation that fails after connecting, against a real QEMU whose VM runs: QEMU pauses the
 * VM when a debugger connects, so the client must detach before it closes or the VM stays paused
 * with nobody to resume it. A proxy turns QEMU's target description into an error; everything
 * else is QEMU's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GdbClient } from '../../src/gdbstub/client';
import { QemuInstance, startQemu } from '../helpers/qemuProcess';
import { GdbProxy } from './gdbProxy';

describe('a negotiation that fails after connecting', () => {
  let qemu: QemuInstance;
  let proxy: GdbProxy;

  beforeAll(async () => {
    qemu = await startQemu({ smp: 1, paused: false });
    // QEMU answers qXfer:features:read with 'l<?xml …' (or 'm…'): that answer becomes an error.
    proxy = await GdbProxy.start(qemu.gdbPort, { rewriteReply: (p) => (/^[lm]<\?xml/.test(p) ? 'E01' : p) });
  });
  afterAll(async () => {
    await proxy?.close();
    await qemu?.stop();
  });

  it('detaches (D;1) before closing, so the VM QEMU paused at connect runs again', async () => {
    expect(await qemu.hmp('info status')).toBe('VM status: running');
    await expect(GdbClient.connect('127.0.0.1', proxy.port, { timeoutMs: 2000 })).rejects.toThrow(/E01/);
    expect(proxy.sent.filter((p) => p.startsWith('D'))).toEqual(['D;1']);
    let status = '';
    for (let i = 0; i < 50 && status !== 'VM status: running'; i++) {
      status = await qemu.hmp('info status');
      if (status !== 'VM status: running') await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('VM status: running');
  });
});
