/**
 * Breakpoints on a stub without Z (gdbsx compiles it out). gdbsx needs a Xen host, which this
 * machine cannot run, so a FAKE stub answers like gdbsx does (empty replies to qSupported,
 * vCont? and every Z; vCPUs as threads; no target description). Everything else is tested on QEMU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeStub, le, type FakeHandler } from '../gdbstub/fakeStub';
import { connectClient, type Client } from './session.harness';

const RIP = 0xffff82d040200000n;
const REGS = le(0xaaaan, 8) + '00'.repeat(8 * 15) + le(RIP, 8) + le(0x246n, 4) + le(0xe008n, 4) + '00'.repeat(20);

const gdbsxLike: FakeHandler = (p) => {
  if (p === '?') return 'T05thread:01;';
  if (p === 'g') return REGS;
  if (p === 'qfThreadInfo') return 'm1,2';
  if (p === 'qsThreadInfo') return 'l';
  if (p.startsWith('Hg') || p === 'D') return 'OK';
  if (p.startsWith('m')) return '00'.repeat(parseInt(p.split(',')[1] ?? '1', 16));
  return ''; // qSupported, vCont?, qThreadExtraInfo, Z0..Z4, p, …
};

describe('a stub without Z (gdbsx-like fake)', () => {
  let stub: FakeStub;
  let c: Client;
  beforeAll(async () => {
    stub = await FakeStub.start(gdbsxLike);
    c = await connectClient();
    const stop = await c.start('attach', { port: stub.port, physicalMemory: { directMap: '0xffff830000000000' }, timeout: 2000 });
    expect(stop?.body.reason).toBe('entry');
  });
  afterAll(async () => {
    await c?.close();
    await stub?.close();
  });

  it('shows its vCPUs and frame 0', async () => {
    expect(await c.threads()).toEqual([
      { id: 1, name: 'CPU 0' },
      { id: 2, name: 'CPU 1' },
    ]);
    expect(await c.pc(1)).toBe(RIP);
  });

  it('answers every breakpoint kind unverified with the stub refusal', async () => {
    const [sw, hw] = await c.setInstructionBreakpoints([
      { instructionReference: '0xffff82d040200000' },
      { instructionReference: '0xffff82d040200010', mode: 'hardware' },
    ]);
    expect(sw).toMatchObject({ verified: false, message: 'this stub does not support software breakpoints (Z0)' });
    expect(hw).toMatchObject({ verified: false, message: 'this stub does not support hardware breakpoints (Z1)' });
    const info = await c.dc.dataBreakpointInfoRequest({ name: '0xffff830000001000', asAddress: true });
    const [watch] = (await c.dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId ?? '', accessType: 'readWrite' }] })).body.breakpoints;
    expect(watch).toMatchObject({ verified: false, message: 'this stub does not support access watchpoints (Z4)' });
    expect(stub.received.filter((p) => /^Z/.test(p))).toEqual(['Z0,ffff82d040200000,1', 'Z1,ffff82d040200010,1', 'Z4,ffff830000001000,8']);
  });

  it('detaches with D', async () => {
    await c.disconnect();
    expect(stub.received).toContain('D');
    expect(stub.received.filter((p) => /^z/.test(p))).toEqual([]);
  });
});
