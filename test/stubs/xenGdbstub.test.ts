/**
 * The CLI and the client against Xen's own hypervisor gdbstub. That stub cannot run here, so a TEST
 * SERVER modelled on its source (test/stubs/xenGdbstub.ts: xen/common/gdbstub.c and the x86 files
 * at RELEASE-4.17.0) stands in for it, with a real QEMU guest behind it. Truth: QEMU's own `info
 * tlb` and `info status` over its HMP socket, which the test server never uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GdbClient } from '../../src/gdbstub/client';
import { bootGuest, EXPECTED, parseInfoRegisters, parseInfoTlb, type BootedGuest } from '../guests/harness';
import { cli } from '../helpers/runCli';
import { vmStatus, walkMatchesInfoTlb } from './stubWalk.helpers';
import { XEN_MAX_READ_BYTES, XenGdbstubModel } from './xenGdbstub';

/** The largest `m` length a client asked the test server for. */
function largestRead(received: readonly string[]): number {
  return Math.max(0, ...received.filter((p) => p.startsWith('m')).map((p) => parseInt(p.split(',')[1] ?? '0', 16)));
}

describe("Xen's own gdbstub (test server modelled on xen/common/gdbstub.c, RELEASE-4.17.0) over the long4 guest", () => {
  const root = EXPECTED.long4.cpus[0].root;
  let g: BootedGuest;
  let xen: XenGdbstubModel;
  beforeAll(async () => {
    g = await bootGuest('long4');
    xen = await XenGdbstubModel.start(g.gdbPort);
  });
  afterAll(async () => {
    await xen?.close();
    await g?.stop();
  });

  it('walk --root --mode --physical identity agrees with info tlb leaf for leaf; Xen runs on after the detach', async () => {
    const w = await walkMatchesInfoTlb(g, xen.port, 'long4', root, 0, ['--physical', 'identity']);
    expect(w.leaves).toBe(EXPECTED.long4.cpus[0].leaves.length);
    expect(xen.violations).toEqual([]);
    expect(largestRead(xen.received)).toBeLessThanOrEqual(XEN_MAX_READ_BYTES);
    // What the client asked for and was told the stub has not: no answers but empty ones.
    expect(xen.received).toContain('?');
    expect(xen.received.filter((p) => /^[Zz]/.test(p))).toEqual([]);
    expect(xen.received.at(-1)).toBe('D');
    expect(xen.isTrapped).toBe(false);
    expect(await vmStatus(g)).toBe('VM status: running');
  });

  it('translate through the stub: the PA info tlb gives, after the % key trapped Xen again', async () => {
    await xen.trap();
    const line = parseInfoTlb(await g.hmp('info tlb')).find((l) => l.va >= 0xffff_ffff_8000_0000n)!;
    const va = line.va + 0x123n;
    const r = await cli('translate', `0x${va.toString(16)}`, '--target', `127.0.0.1:${xen.port}`, '--root', `0x${root.toString(16)}`, '--mode', 'long4', '--physical', 'identity', '--json');
    expect(r.err).toBe('');
    expect(BigInt(JSON.parse(r.out).pa)).toBe((line.pa & 0x000f_ffff_ffff_f000n) + 0x123n);
  });

  it('walk without --root: one line naming the options, exit 2, and Xen let go', async () => {
    await xen.trap();
    const r = await cli('walk', '--target', `127.0.0.1:${xen.port}`, '--physical', 'identity');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/reports no control registers \(no CR3 among .*\): give the table root and paging mode \(CLI: --root PA --mode MODE; launch configuration: root and pagingMode\)$/);
    expect(await vmStatus(g)).toBe('VM status: running');
  });

  it('the client: gdb amd64 core registers from g (no CR3), no threads, short reads split, no interrupt', async () => {
    await xen.trap();
    const c = await GdbClient.connect('127.0.0.1', xen.port, { timeoutMs: 3000 });
    try {
      expect(c.features).toMatchObject({ packetSize: undefined, multiprocess: false, targetDescription: false, phyMemMode: false });
      expect(c.registerLayout.gBytes).toBe(164);
      expect(c.lastStop).toMatchObject({ kind: 'signal', signal: 5, raw: 'S05' });
      const regs = await c.readRegisters();
      const qemu = parseInfoRegisters(await g.hmp('info registers')).get(0)!;
      expect(regs.get('rip')).toBe(qemu.get('rip'));
      expect(regs.get('rsp')).toBe(qemu.get('rsp'));
      expect(regs.has('cr3')).toBe(false);
      expect(await c.threads()).toEqual([]);
      // 3 pages: one read larger than the stub's buffer allows is split by the client.
      const bytes = await c.readMemory(0x110000n, 3 * 4096);
      const xp = (await g.hmp('xp /2gx 0x112ff8')).trim();
      const tail = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0x2ff8, true);
      expect(xp).toContain(tail.toString(16).padStart(16, '0'));
      expect(largestRead(xen.received)).toBeLessThanOrEqual(XEN_MAX_READ_BYTES);
      // An unmapped address: E05, a clear error naming the read.
      await expect(c.readMemory(0x7000_0000_0000n, 16)).rejects.toThrow(/E05/);
    } finally {
      await c.detach();
    }
    expect(xen.violations).toEqual([]);
    expect(await vmStatus(g)).toBe('VM status: running');
  });

  it('run control: c runs Xen, 0x03 is not heard, console text comes as O packets, the % key stops it with S05', async () => {
    await xen.trap();
    const c = await GdbClient.connect('127.0.0.1', xen.port, { timeoutMs: 3000 });
    const consoleText: string[] = [];
    c.on('console', (t) => consoleText.push(t));
    try {
      const stopped = c.resume();
      await expect.poll(() => vmStatus(g)).toBe('VM status: running');
      await expect(c.interruptAndWait(300)).rejects.toMatchObject({ code: 'TIMEOUT', message: `the target did not stop within 300 ms of an interrupt — this stub announced no features (no qSupported), as Xen's own gdbstub and gdbsx do, and those do not hear interrupts: stop the target from its side (Xen's '%' debug key, \`xl pause\`)` });
      expect(await vmStatus(g)).toBe('VM status: running');
      await xen.printk('(XEN) debug key pressed\n');
      await xen.trap();
      expect(await stopped).toMatchObject({ kind: 'signal', signal: 5, raw: 'S05' });
      // Xen takes the next byte as the O packet's ack: a stale 0x03 is a bad ack, and it sends the
      // packet again (gdb_check_ack), so the line may come twice; never anything else.
      expect(consoleText.length).toBeGreaterThanOrEqual(1);
      expect(new Set(consoleText)).toEqual(new Set(['(XEN) debug key pressed\n']));
      expect(await vmStatus(g)).toBe('VM status: paused');
      expect(xen.skippedBytes).toBeGreaterThan(0); // the 0x03 bytes, skipped by the next packet read
    } finally {
      await c.detach();
    }
    expect(await vmStatus(g)).toBe('VM status: running');
  });
});
