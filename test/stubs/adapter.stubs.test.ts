/**
 * The real debug adapter, over DAP, attached to the TEST SERVERS modelled on Xen's own gdbstub and
 * on gdbsx (test/stubs: neither can run here), each with a real QEMU guest behind it. Truth:
 * QEMU's `info registers`, `xp` and `info status` over its HMP socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageTableResult } from '../../src/shared/dapRequests';
import { connectClient, type Client } from '../debugAdapter/session.harness';
import { bootGuest, EXPECTED, parseInfoRegisters, parseXp, type BootedGuest } from '../guests/harness';
import { GdbsxModel } from './gdbsx';
import { vmStatus } from './stubWalk.helpers';
import { XenGdbstubModel } from './xenGdbstub';

interface Model {
  port: number;
  readonly received: readonly string[];
  readonly violations: readonly string[];
  close(): Promise<void>;
}

/** A model, and how its target is stopped from its own side (Xen's '%' key, `xl pause`). */
interface Started {
  model: Model;
  stopFromItsSide(): Promise<void>;
}

const cases: { name: string; guest: 'long4' | 'long4smp'; start: (qemuPort: number) => Promise<Started>; threads: string[] }[] = [
  {
    name: "Xen's own gdbstub",
    guest: 'long4',
    start: async (p) => {
      const m = await XenGdbstubModel.start(p);
      return { model: m, stopFromItsSide: () => m.trap() };
    },
    threads: ['CPU 0'],
  },
  {
    name: 'gdbsx',
    guest: 'long4smp',
    start: async (p) => {
      const m = await GdbsxModel.start(p);
      return { model: m, stopFromItsSide: () => m.pauseDomain() };
    },
    threads: ['CPU 0', 'CPU 1'],
  },
];

describe.each(cases)('the adapter attached to a test server modelled on $name', ({ guest, start, threads }) => {
  const root = EXPECTED[guest].cpus[0].root;
  let g: BootedGuest;
  let model: Model;
  let stopFromItsSide: () => Promise<void>;
  let c: Client;
  beforeAll(async () => {
    g = await bootGuest(guest);
    ({ model, stopFromItsSide } = await start(g.gdbPort));
    c = await connectClient();
    const stop = await c.start('attach', { port: model.port, physicalMemory: 'identity', pagingMode: 'long4', root: `0x${root.toString(16)}`, timeout: 3000 });
    expect(stop?.body.reason).toBe('entry');
  });
  afterAll(async () => {
    await c?.close();
    await model?.close();
    await g?.stop();
  });

  it('says what the stub lacks, one line each', () => {
    const text = c.consoleText();
    expect(text).toContain("the stub has no physical-memory mode (QEMU's PhyMemMode): physical memory through identity, as configured\n");
    // The root is given, so the missing CR3 is not worth a line.
    expect(text).not.toContain('reports no control registers');
    if (threads.length === 1) expect(text).toContain('the stub lists no threads: one vCPU, the one that stopped\n');
  });

  it('lists the vCPUs and shows each one where QEMU says it is', async () => {
    const list = await c.threads();
    expect(list.map((t) => t.name)).toEqual(threads);
    const qemu = parseInfoRegisters(await g.hmp('info registers -a'));
    for (const t of list) expect(await c.pc(t.id)).toBe(qemu.get(t.id - 1)!.get('rip'));
  });

  it('hyperframe/pageTable with the configured root: the PML4 as xp shows it', async () => {
    const r = (await c.dc.customRequest('hyperframe/pageTable', { mode: 'long4', table: `0x${root.toString(16)}`, level: 4, root: `0x${root.toString(16)}` })).body as PageTableResult;
    const qemu = parseXp(await g.hmp(`xp /512gx 0x${root.toString(16)}`));
    const present = qemu.flatMap((v, index) => (v !== 0n ? [{ index, raw: `0x${v.toString(16)}` }] : []));
    expect(present.length).toBeGreaterThan(1);
    expect(r.entries.map((e) => ({ index: e.index, raw: e.raw }))).toEqual(present);
  });

  it('answers breakpoints unverified, saying the stub has no Z0', async () => {
    const pc = await c.pc(1);
    const [bp] = await c.setInstructionBreakpoints([{ instructionReference: `0x${pc.toString(16)}` }]);
    expect(bp).toMatchObject({ verified: false, message: 'this stub does not support software breakpoints (Z0)' });
    expect(model.received.filter((p) => p.startsWith('Z'))).toEqual([`Z0,${pc.toString(16)},1`]);
  });

  it('a pause the stub cannot hear says why in the Debug Console; the stop from its side ends the run', async () => {
    await c.dc.continueRequest({ threadId: 1 });
    await expect.poll(() => vmStatus(g)).toBe('VM status: running');
    await c.dc.pauseRequest({ threadId: 1 });
    const said =
      "the target did not stop: the target did not stop within 3000 ms of an interrupt — this stub announced no features (no qSupported), as Xen's own gdbstub and gdbsx do, and those do not hear interrupts: stop the target from its side (Xen's '%' debug key, `xl pause`)\n";
    await expect.poll(() => c.consoleText(), { timeout: 8000 }).toContain(said);
    expect(await vmStatus(g)).toBe('VM status: running');
    const stopped = c.event('stopped', 10_000);
    await stopFromItsSide();
    await stopped;
    expect(await vmStatus(g)).toBe('VM status: paused');
  });

  it('disconnects leaving the VM running, within the stub buffer throughout', async () => {
    await c.disconnect();
    await expect.poll(() => vmStatus(g), { timeout: 5000 }).toBe('VM status: running');
    expect(model.received).toContain('D');
    expect(model.violations).toEqual([]);
    expect(c.output.filter((o) => o.category === 'stderr' || o.category === 'important')).toEqual([]);
  });
});
