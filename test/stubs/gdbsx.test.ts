/**
 * The CLI and the client against gdbsx. gdbsx needs a Xen host, so a TEST SERVER modelled on its
 * source (test/stubs/gdbsx.ts: tools/debugger/gdbsx at RELEASE-4.17.0) stands in for it, with a
 * real QEMU guest behind it as the domain. gdbsx serves one debugger and exits, so each session
 * starts its own. Truth: QEMU's `info tlb`, `info registers` and `info status` over its HMP socket.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GdbClient } from '../../src/gdbstub/client';
import { bootGuest, EXPECTED, parseInfoRegisters, type BootedGuest } from '../guests/harness';
import { cli } from '../helpers/runCli';
import { GDBSX_MAX_READ_BYTES, GdbsxModel } from './gdbsx';
import { vmStatus, walkMatchesInfoTlb } from './stubWalk.helpers';

/** A client session with gdbsx: `body`, then `D`, after which gdbsx exits and the domain runs. */
async function clientSession(g: BootedGuest, sx: GdbsxModel, body: (c: GdbClient, sx: GdbsxModel) => Promise<void>): Promise<void> {
  const c = await GdbClient.connect('127.0.0.1', sx.port, { timeoutMs: 3000 });
  try {
    await body(c, sx);
  } finally {
    await c.detach();
  }
  await sx.whenExited();
  expect(await vmStatus(g)).toBe('VM status: running');
}

function largestRead(received: readonly string[]): number {
  return Math.max(0, ...received.filter((p) => p.startsWith('m')).map((p) => parseInt(p.split(',')[1] ?? '0', 16)));
}

describe('gdbsx -a DOMID 64 (test server modelled on tools/debugger/gdbsx, RELEASE-4.17.0) over long4smp', () => {
  let g: BootedGuest;
  let sx: GdbsxModel | undefined;
  beforeAll(async () => {
    g = await bootGuest('long4smp', { smp: 2 });
  });
  afterEach(async () => {
    await sx?.close();
    sx = undefined;
  });
  afterAll(async () => {
    await g?.stop();
  });

  for (const cpu of EXPECTED.long4smp.cpus) {
    it(`walk of vCPU ${cpu.index}'s root agrees with info tlb; gdbsx exits on D and the domain runs`, async () => {
      sx = await GdbsxModel.start(g.gdbPort);
      const w = await walkMatchesInfoTlb(g, sx.port, 'long4', cpu.root, cpu.index, ['--physical', 'identity', '--cpu', String(cpu.index)]);
      expect(w.leaves).toBe(cpu.leaves.length);
      expect(sx.violations).toEqual([]);
      expect(largestRead(sx.received)).toBeLessThanOrEqual(GDBSX_MAX_READ_BYTES);
      expect(sx.received.at(-1)).toBe('D');
      expect(sx.received.filter((p) => p === 'qsThreadInfo')).toEqual([]);
      await sx.whenExited();
      expect(sx.hasExited).toBe(true);
      expect(await vmStatus(g)).toBe('VM status: running');
    });
  }

  it('the client: vCPUs 0 and 1 as threads, each its own registers, gdb amd64 core (no CR3), monitor pgd3', async () => {
    sx = await GdbsxModel.start(g.gdbPort);
    await clientSession(g, sx, async (c, sx) => {
      expect(c.features).toMatchObject({ packetSize: undefined, multiprocess: false, targetDescription: false, phyMemMode: false });
      expect(c.lastStop).toMatchObject({ kind: 'signal', signal: 5, thread: { tid: 0 } });
      const threads = await c.threads();
      expect(threads.map((t) => t.id)).toEqual([{ tid: 0 }, { tid: 1 }]);
      const qemu = parseInfoRegisters(await g.hmp('info registers -a'));
      for (const [i, t] of threads.entries()) {
        const regs = await c.readRegisters(t.id);
        expect(regs.get('rsp')).toBe(qemu.get(i)!.get('rsp'));
        expect(regs.has('cr3')).toBe(false);
      }
      expect(c.registerLayout.gBytes).toBe(164);
      // gdbsx's own monitor command: the reply is the text itself, hex-encoded, without O packets.
      expect(await c.monitor('pgd3 0x1b874f027')).toBe('pgd3val set to: 00000001b874f027\n');
      expect(sx.pgd3).toBe(0x1b874f027n);
      expect(await c.monitor('info tlb')).toBe('Bad monitor command\n');
      // Any page that does not translate fails the whole read.
      await expect(c.readMemory(0x7000_0000_0000n, 16)).rejects.toThrow(/E01/);
      // No breakpoint packets: Z is compiled out.
      await expect(c.insertBreakpoint('software', 0x100000n)).rejects.toThrow(/does not support software breakpoints \(Z0\)/);
    });
  });

  it('run control: c unpauses the domain, 0x03 is not heard, xl pause stops it with T02thread:0;', async () => {
    sx = await GdbsxModel.start(g.gdbPort);
    await clientSession(g, sx, async (c, sx) => {
      const stopped = c.resume({ thread: { tid: 1 } });
      await expect.poll(() => vmStatus(g)).toBe('VM status: running');
      await expect(c.interruptAndWait(300)).rejects.toMatchObject({ code: 'TIMEOUT', message: `the target did not stop within 300 ms of an interrupt — this stub announced no features (no qSupported), as Xen's own gdbstub and gdbsx do, and those do not hear interrupts: stop the target from its side (Xen's '%' debug key, \`xl pause\`)` });
      await sx.pauseDomain();
      expect(await stopped).toMatchObject({ kind: 'signal', signal: 2, thread: { tid: 0 } });
      expect(sx.received).toEqual(expect.arrayContaining(['vCont?', 'Hc1', 'c']));
      expect(await vmStatus(g)).toBe('VM status: paused');
    });
  });

  it('walk without --root: one line naming the options; the domain runs afterwards', async () => {
    sx = await GdbsxModel.start(g.gdbPort);
    const r = await cli('walk', '--target', `127.0.0.1:${sx.port}`, '--physical', 'identity');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^hyperframe walk: the stub at .* reports no control registers \(no CR3 among .*\): give the table root and paging mode \(CLI: --root PA --mode MODE; launch configuration: root and pagingMode\)$/);
    await sx.whenExited();
    expect(await vmStatus(g)).toBe('VM status: running');
  });
});

describe('gdbsx -a DOMID 32 (test server) over the pae guest', () => {
  let g: BootedGuest;
  let sx: GdbsxModel | undefined;
  beforeAll(async () => {
    g = await bootGuest('pae');
  });
  afterAll(async () => {
    await sx?.close();
    await g?.stop();
  });

  it('walk --mode pae agrees with info tlb; the 64-byte g is read as gdb i386 core registers', async () => {
    sx = await GdbsxModel.start(g.gdbPort, { bitness: 32 });
    const w = await walkMatchesInfoTlb(g, sx.port, 'pae', EXPECTED.pae.cpus[0].root, 0, ['--physical', 'identity']);
    expect(w.leaves).toBe(EXPECTED.pae.cpus[0].leaves.length);
    expect(sx.violations).toEqual([]);
    await sx.whenExited();

    sx = await GdbsxModel.start(g.gdbPort, { bitness: 32 });
    await clientSession(g, sx, async (c) => {
      expect(c.registerLayout.gBytes).toBe(64);
      const regs = await c.readRegisters({ tid: 0 });
      const qemu = parseInfoRegisters(await g.hmp('info registers')).get(0)!;
      expect(regs.get('eip')).toBe(qemu.get('eip'));
      expect(regs.get('esp')).toBe(qemu.get('esp'));
    });
  });
});
