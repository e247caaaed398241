/**
 * The test server modelled on Xen's own gdbstub (test/stubs/xenGdbstub.ts) in front of a REAL Xen
 * 4.17 with a PV dom0 (test/xen's boot, QEMU TCG): physical memory through Xen's direct map at
 * 0xffff830000000000, as a user of the real stub must reach it (no physical mode, no CR3).
 *
 * Truth: the same CLI walk over QEMU's own stub in QEMU's physical mode (which test/xen checks
 * against `info tlb`), QEMU's `gva2gpa` and `xp` over its HMP socket. One boot, one freeze: QEMU is
 * reached through a relay that answers each `D` itself and drops the connection without it, so
 * the VM stays paused from the first walk to the last; afterAll resumes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GdbClient } from '../../src/gdbstub/client';
import type { PageTableResult } from '../../src/shared/dapRequests';
import { XEN_DIRECTMAP_VIRT_START } from '../../src/target/livePhysical';
import { loadElfSymbols, type SymbolTable } from '../../src/symbols';
import { connectClient } from '../debugAdapter/session.harness';
import { GdbProxy } from '../gdbstub/gdbProxy';
import { parseInfoRegisters, parseXp } from '../guests/harness';
import { lineDiff } from '../helpers/liveWalk';
import { cli } from '../helpers/runCli';
import { bootXen, type BootedXen } from '../xen/xenGuest';
import { XEN_MAX_READ_BYTES, XenGdbstubModel } from './xenGdbstub';

const DIRECT_MAP = XEN_DIRECTMAP_VIRT_START;
const DIRECT_MAP_END = 0xffff880000000000n; // DIRECTMAP_VIRT_END
const RO_MPT = 0xffff800000000000n; // machine_to_phys_mapping, read-only for guests
const DOM0_KERNEL = 0xffffffff81000000n; // Linux's _text with nokaslr
const DOM0_DIRECT_MAP = 0xffff888000000000n; // Linux's page_offset_base with nokaslr
const h = (v: bigint): string => `0x${v.toString(16)}`;

/** A walk as `walk --json` gives it: every range, and the rest (self-maps, faults, …) apart. */
interface JsonWalk {
  /** Each range's JSON, in walk order. */
  ranges: string[];
  /** Every other member but the physical-memory path, which differs by design. */
  rest: Record<string, unknown>;
  physicalMemory: string;
}

async function walk(port: number, root: bigint, physical: string): Promise<JsonWalk> {
  const r = await cli('walk', '--target', `127.0.0.1:${port}`, '--root', h(root), '--mode', 'long4', '--physical', physical, '--json');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const { ranges, physicalMemory, ...rest } = JSON.parse(r.out) as { ranges: unknown[]; physicalMemory: string };
  return { ranges: ranges.map((x) => JSON.stringify(x)), rest, physicalMemory };
}

/** The largest `m` length a client asked the model for. */
function largestRead(received: readonly string[]): number {
  return Math.max(0, ...received.filter((p) => p.startsWith('m')).map((p) => parseInt(p.split(',')[1] ?? '0', 16)));
}

/** The `m` addresses the model was asked for. */
const readAddresses = (received: readonly string[]): bigint[] => received.filter((p) => p.startsWith('m')).map((p) => BigInt(`0x${p.slice(1).split(',')[0]}`));

describe("Xen's own gdbstub (test server) in front of a real Xen 4.17 + PV dom0: physical memory through Xen's direct map", () => {
  let g: BootedXen;
  let syms: SymbolTable;
  /** QEMU's stub behind a relay that keeps the VM paused across detaches. */
  let qemu: GdbProxy;
  let xen: XenGdbstubModel | undefined;
  let idlePgTable: bigint;
  /** CR3 of each vCPU, as QEMU's `info registers -a` says. */
  let cr3s: bigint[];

  /** The model in front of QEMU: started once, trapped again (the '%' key) after each detach. */
  const xenStub = async (): Promise<XenGdbstubModel> => {
    if (!xen) xen = await XenGdbstubModel.start(qemu.port);
    else await xen.trap();
    return xen;
  };
  /** QEMU's own answer to `gva2gpa` on `cpu`. */
  const gva2gpa = async (cpu: number, va: bigint): Promise<bigint | undefined> => {
    await g.hmp(`cpu ${cpu}`);
    const m = /gpa: (0x[0-9a-f]+)/.exec(await g.hmp(`gva2gpa ${h(va)}`));
    return m ? BigInt(m[1]) : undefined;
  };

  beforeAll(async () => {
    g = await bootXen();
    syms = await loadElfSymbols(g.xenSyms);
    await g.hmp('stop');
    const ipt = syms.lookup('idle_pg_table');
    expect(ipt, 'idle_pg_table in xen-syms').toBeDefined();
    idlePgTable = (await gva2gpa(0, ipt!.va))!;
    expect(idlePgTable, "idle_pg_table's PA from QEMU's gva2gpa").toBeDefined();
    cr3s = [...parseInfoRegisters(await g.hmp('info registers -a')).values()].map((r) => r.get('cr3')! & 0x000f_ffff_ffff_f000n);
    expect(cr3s).toHaveLength(g.smp);
    qemu = await GdbProxy.start(g.gdbPort, { keepPaused: true });
    console.log(`[xenstub] boot ${g.bootMs} ms; idle_pg_table ${h(ipt!.va)} → PA ${h(idlePgTable)}; CR3 ${cr3s.map(h).join(', ')}`);
  }, 300_000);

  afterAll(async () => {
    try {
      await xen?.close();
      await qemu?.close();
    } finally {
      await g?.stop();
    }
  });

  it("the direct map reads as physical memory through each vCPU's own tables (xp agrees)", async () => {
    // An idle vCPU keeps the last guest's L4 (Xen switches lazily) or idle_pg_table: the model
    // reads through whichever is current, and Xen's slots are in every one.
    const c = await GdbClient.connect('127.0.0.1', qemu.port);
    try {
      const threads = (await c.threads()).map((t) => t.id);
      expect(threads).toHaveLength(g.smp);
      const xp = parseXp(await g.hmp(`xp /512gx ${h(idlePgTable)}`));
      for (const thread of threads) {
        const bytes = await c.readMemory(DIRECT_MAP + idlePgTable, 0x1000, thread);
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        expect(Array.from({ length: 512 }, (_, i) => dv.getBigUint64(i * 8, true))).toEqual(xp);
      }
      expect(xp.filter((v) => v !== 0n).length, 'present PML4 entries in idle_pg_table').toBeGreaterThan(3);
      // The same direct-map PML4 entry (slot 262) in idle_pg_table and in the L4 each vCPU holds.
      const slot = Number((DIRECT_MAP >> 39n) & 511n);
      expect(xp[slot] & 1n, 'idle_pg_table maps the direct map').toBe(1n);
      for (const cr3 of cr3s) expect(parseXp(await g.hmp(`xp /1gx ${h(cr3 + BigInt(slot * 8))}`))[0], `slot ${slot} of ${h(cr3)}`).toBe(xp[slot]);
    } finally {
      await c.detach();
    }
    console.log(`[xenstub] the direct map at ${h(DIRECT_MAP)} read idle_pg_table's 4 KiB as xp does through each vCPU: ${cr3s.map((r, i) => `vCPU ${i} CR3 ${h(r)}${r === idlePgTable ? ' (idle_pg_table)' : ''}`).join(', ')}`);
    expect(qemu.stats.detachesKept).toBeGreaterThan(0);
    expect((await g.hmp('info status')).trim()).toBe('VM status: paused');
  });

  it.each([
    ['idle_pg_table (Xen’s own tables)', (): bigint => idlePgTable],
    ["dom0's tables (CR3 of vCPU 0)", (): bigint => cr3s[0]],
  ])('walk %s through the Xen stub with --physical 0xffff830000000000 equals the walk over QEMU with --physical qemu, range for range', async (_name, rootOf) => {
    const root = rootOf();
    const t0 = performance.now();
    const truth = await walk(qemu.port, root, 'qemu');
    const qemuMs = performance.now() - t0;
    const model = await xenStub();
    const from = model.received.length;
    const t1 = performance.now();
    const ours = await walk(model.port, root, h(DIRECT_MAP));
    const xenMs = performance.now() - t1;
    expect(ours.ranges.length).toBeGreaterThan(20);
    expect(ours.physicalMemory).toBe(`direct map at ${h(DIRECT_MAP)}, as configured`);
    expect(truth.physicalMemory).toMatch(/QEMU's physical-memory mode/);
    if (ours.ranges.join('\n') !== truth.ranges.join('\n')) expect(lineDiff(ours.ranges, truth.ranges)).toEqual({ onlyOurs: [], onlyTheirs: [], counts: [0, 0] });
    expect(ours.rest).toEqual(truth.rest);
    // Every read went through the direct map, within the real stub's buffer; Xen let go after.
    const reads = readAddresses(model.received.slice(from));
    expect(reads.filter((va) => va < DIRECT_MAP || va >= DIRECT_MAP_END)).toEqual([]);
    expect(largestRead(model.received.slice(from))).toBeLessThanOrEqual(XEN_MAX_READ_BYTES);
    expect(model.violations).toEqual([]);
    expect(model.received.at(-1)).toBe('D');
    expect((await g.hmp('info status')).trim()).toBe('VM status: paused');
    const counts = Object.entries(ours.rest).flatMap(([k, v]) => (Array.isArray(v) ? [`${v.length} ${k}`] : []));
    console.log(`[xenstub] root ${h(root)}: ${ours.ranges.length} ranges equal (and ${counts.join(', ')}); QEMU physical mode ${qemuMs.toFixed(0)} ms, Xen stub + direct map ${xenMs.toFixed(0)} ms (${reads.length} m packets)`);
  }, 240_000);

  it("translate through the Xen stub agrees with QEMU's gva2gpa (dom0's and Xen's addresses)", async () => {
    const stext = syms.lookup('_stext')!.va;
    const vas: [string, bigint, bigint][] = [
      ['Xen _stext', stext, idlePgTable],
      ['Xen _stext + 0x1234', stext + 0x1234n, cr3s[0]],
      ['direct map of idle_pg_table', DIRECT_MAP + idlePgTable + 0x10n, idlePgTable],
      ['M2P', RO_MPT + 0x2008n, cr3s[0]],
      ["dom0's kernel text", DOM0_KERNEL + 0x345n, cr3s[0]],
      ["dom0's direct map", DOM0_DIRECT_MAP + 0x5678n, cr3s[0]],
    ];
    const seen: string[] = [];
    for (const [name, va, root] of vas) {
      const truth = await gva2gpa(0, va);
      expect(truth, `gva2gpa ${name} ${h(va)}`).toBeDefined();
      const model = await xenStub();
      const r = await cli('translate', h(va), '--target', `127.0.0.1:${model.port}`, '--root', h(root), '--mode', 'long4', '--physical', h(DIRECT_MAP), '--json');
      expect(r.err).toBe('');
      expect(BigInt((JSON.parse(r.out) as { pa: string }).pa), name).toBe(truth);
      seen.push(`${name} ${h(va)} → ${h(truth!)}`);
    }
    expect(xen!.violations).toEqual([]);
    console.log(`[xenstub] translate = gva2gpa (vCPU 0): ${seen.join('; ')}`);
  }, 120_000);

  it('the adapter over DAP with root, pagingMode and physicalMemory.directMap: hyperframe/pageTable of the root is xp of it', async () => {
    const model = await xenStub();
    const c = await connectClient();
    try {
      const stop = await c.start('attach', { port: model.port, physicalMemory: { directMap: h(DIRECT_MAP) }, pagingMode: 'long4', root: h(idlePgTable), timeout: 5000 });
      expect(stop?.body.reason).toBe('entry');
      expect(c.consoleText()).toContain(`the stub has no physical-memory mode (QEMU's PhyMemMode): physical memory through direct map at ${h(DIRECT_MAP)}, as configured\n`);
      const r = (await c.dc.customRequest('hyperframe/pageTable', { mode: 'long4', table: h(idlePgTable), level: 4, root: h(idlePgTable) })).body as PageTableResult;
      const xp = parseXp(await g.hmp(`xp /512gx ${h(idlePgTable)}`));
      const present = xp.flatMap((v, index) => (v !== 0n ? [{ index, raw: h(v) }] : []));
      expect(present.length).toBeGreaterThan(3);
      expect(r.entries.map((e) => ({ index: e.index, raw: e.raw }))).toEqual(present);
      await c.disconnect();
      console.log(`[xenstub] adapter: idle_pg_table ${h(idlePgTable)} has ${present.length} present entries, equal to xp (slots ${present.map((p) => p.index).join(' ')})`);
    } finally {
      await c.close();
    }
    expect(model.received.at(-1)).toBe('D');
    expect(model.violations).toEqual([]);
  }, 120_000);

  it('ends with QEMU in virtual mode and the VM running once the freeze is lifted', async () => {
    await xen?.close();
    xen = undefined;
    await qemu.close();
    expect((await g.hmp('info status')).trim()).toBe('VM status: paused');
    await g.hmp('cont');
    const c = await GdbClient.connect('127.0.0.1', g.gdbPort);
    try {
      expect(await c.connection.request('qqemu.PhyMemMode')).toBe('0');
    } finally {
      await c.detach();
    }
    expect((await g.hmp('info status')).trim()).toBe('VM status: running');
  });
});
