/**
 * Smoke test against a real kernel: Debian's Linux 6.1 (nokaslr, 2 vCPUs, 512 MiB, QEMU TCG) with
 * a busybox shell on ttyS0. One boot serves the whole file.
 *
 * The CLI's leaves are compared with QEMU's `info tlb` line for line, with no exclusion: Linux has
 * no recursive slot, and the espfix area (one PMD page shared by 4 PUD entries, one PTE page shared
 * by all 512 PMD entries) is descended by both walkers, so its 65,536 aliases appear in both.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAddressSpace } from '../../src/cli/options';
import { GdbClient } from '../../src/gdbstub/client';
import { mappings } from '../../src/paging/mappings';
import { LiveTarget } from '../../src/target/liveTarget';
import { parseInfoRegisters, parseInfoTlb } from '../guests/harness';
import { frozenInfoTlb, tlbLineFor } from '../helpers/infoTlb';
import { connectClient } from '../debugAdapter/session.harness';
import { bootLinux, linuxManifest, type BootedLinux } from './linuxGuest';
import { cli } from '../helpers/runCli';
import { hostVersusStub, liveWalk } from '../helpers/liveWalk';

const DIRECT_MAP = 0xffff888000000000n; // page_offset_base without KASLR
const KERNEL_TEXT = 0xffffffff81000000n; // __START_KERNEL_map + CONFIG_PHYSICAL_START
const ESPFIX = [0xffffff0000000000n, 0xffffff8000000000n] as const; // the espfix PGD slot

interface JsonLeaf {
  va: string;
  pa: string;
  size: number;
  entry: string;
  level: number;
}

interface WalkJson {
  mode: string;
  root: string;
  leaves: JsonLeaf[];
  selfMaps: { va: string; size: number }[];
  sharedTables: { va: string; level: number; table: string; firstVa: string }[];
  faults: unknown[];
  unreadable: unknown[];
}

const h = (v: bigint): string => `0x${v.toString(16)}`;

describe('a real Linux 6.1 guest (QEMU TCG, nokaslr)', () => {
  let g: BootedLinux;
  const target = (): string => `127.0.0.1:${g.gdbPort}`;

  beforeAll(async () => {
    g = await bootLinux({ smp: 2 });
    const m = await linuxManifest();
    console.log(
      `[linux] ${m?.packages.map((p) => `${p.name} ${p.version} (${(p.debBytes / 1e6).toFixed(1)} MB .deb)`).join(', ')}; ` +
        `vmlinuz ${m?.kernelBytes} B, initramfs ${m?.initrdBytes} B; boot to marker ${g.bootMs} ms`,
    );
  }, 240_000);

  afterAll(async () => {
    await g?.stop();
  });

  it("walk --cpu 0: CR3's long4 tables, the kernel's own mappings, and info tlb line for line", async () => {
    // Freeze the VM so that QEMU's walk and ours see the same tables (and the same A/D bits):
    // `stop` through HMP, QEMU's `info tlb` through qRcmd on a gdb connection that is then closed
    // without `D` (a detach would resume the VM), then the CLI, whose own detach resumes it.
    const tlb = await frozenInfoTlb(g);
    const regs = parseInfoRegisters(await g.hmp('info registers -a')).get(0);
    const cr3 = regs?.get('cr3');
    expect(cr3, 'CR3 of CPU#0 from info registers').toBeDefined();
    expect(await g.hmp('info status')).toMatch(/VM status: paused/);

    const t0 = performance.now();
    const r = await cli('walk', '--target', target(), '--cpu', '0', '--leaves', '--json');
    const walkMs = performance.now() - t0;
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as WalkJson;
    console.log(`[linux] CLI walk --leaves --json: ${walkMs.toFixed(0)} ms, ${j.leaves.length} leaves, ${j.sharedTables.length} shared tables, CR3 ${h(cr3!)}`);

    expect(j.mode).toBe('long4');
    expect(BigInt(j.root)).toBe(cr3! & 0x000f_ffff_ffff_f000n);
    expect(j.selfMaps).toEqual([]);
    expect(j.faults).toEqual([]);
    expect(j.unreadable).toEqual([]);

    const leaves = j.leaves.map((l) => ({ va: BigInt(l.va), pa: BigInt(l.pa), size: BigInt(l.size), level: l.level, raw: BigInt(l.entry) }));
    const covering = (va: bigint) => leaves.find((l) => va >= l.va && va < l.va + l.size);
    // The direct map starts at page_offset_base and maps physical 0.
    const dm = covering(DIRECT_MAP);
    expect(dm, 'a leaf at the direct map base').toBeDefined();
    expect(dm!.va).toBe(DIRECT_MAP);
    expect(dm!.pa).toBe(0n);
    // Every page of guest RAM below 512 MiB that the direct map covers sits at DIRECT_MAP + pa.
    const dmLeaves = leaves.filter((l) => l.va >= DIRECT_MAP && l.va < DIRECT_MAP + (512n << 20n));
    expect(dmLeaves.length).toBeGreaterThan(100);
    for (const l of dmLeaves) expect(l.pa, h(l.va)).toBe(l.va - DIRECT_MAP);
    // The kernel image at __START_KERNEL_map + 16 MiB: present, supervisor-only, executable.
    const text = covering(KERNEL_TEXT);
    expect(text, 'a leaf over the kernel text').toBeDefined();
    expect(text!.raw & 4n).toBe(0n); // U/S clear
    expect(text!.raw >> 63n).toBe(0n); // XD clear
    // espfix: shared tables reported, and only there.
    expect(j.sharedTables.length).toBeGreaterThan(0);
    for (const s of j.sharedTables) expect(BigInt(s.va) >= ESPFIX[0] && BigInt(s.va) < ESPFIX[1], s.va).toBe(true);

    // QEMU's own walker: every leaf, same VA, PA and bits. No window to exclude (no self-map).
    const qemu = parseInfoTlb(tlb)
      .map((l) => l.text)
      .sort();
    const ours = leaves.map((l) => tlbLineFor('long4', l)).sort();
    expect(qemu.length).toBeGreaterThan(1000);
    if (ours.join('\n') !== qemu.join('\n')) {
      const q = new Set(qemu);
      const o = new Set(ours);
      const onlyOurs = ours.filter((x) => !q.has(x));
      const onlyQemu = qemu.filter((x) => !o.has(x));
      expect({ onlyOurs: onlyOurs.slice(0, 20), onlyQemu: onlyQemu.slice(0, 20), counts: [onlyOurs.length, onlyQemu.length] }).toEqual({
        onlyOurs: [],
        onlyQemu: [],
        counts: [0, 0],
      });
    }
    expect(ours).toEqual(qemu);
  }, 180_000);

  it('the debug adapter over DAP: attach, hyperframe/mappings equals info tlb leaf for leaf, detach leaves it running', async () => {
    // The same freeze as above, then the adapter attaches to the paused VM (its entry stop).
    const tlb = await frozenInfoTlb(g);
    const dap = await connectClient();
    try {
      const stop = await dap.start('attach', { port: g.gdbPort, timeout: 5000 });
      expect(stop?.body.reason).toBe('entry');
      expect((await dap.threads()).map((t) => t.name.replace(/ \(halted\)$/, ''))).toEqual(['CPU 0', 'CPU 1']);
      const r = (await dap.dc.customRequest('hyperframe/mappings', { vcpu: 0, leaves: true })) as DebugProtocol.Response;
      const body = r.body as WalkJson & { truncated?: boolean };
      expect(body.truncated).toBeUndefined();
      const ours = body.leaves.map((l) => tlbLineFor('long4', { va: BigInt(l.va), pa: BigInt(l.pa), level: l.level, raw: BigInt(l.entry) })).sort();
      const qemu = parseInfoTlb(tlb).map((l) => l.text).sort();
      expect(qemu.length).toBeGreaterThan(1000);
      expect(ours.length).toBe(qemu.length);
      expect(ours).toEqual(qemu);
      await dap.disconnect();
    } finally {
      await dap.close();
    }
    expect(await g.hmp('info status')).toMatch(/VM status: running/);
  }, 180_000);

  it('without page-table isolation (qemu64 is an AMD CPU: Linux leaves PTI off) the Control scope shows no KPTI root', async () => {
    expect(g.serial()).not.toMatch(/page tables isolation: enabled/);
    const dap = await connectClient();
    try {
      await dap.start('attach', { port: g.gdbPort, timeout: 5000 });
      for (const thread of [1, 2]) {
        const [frame] = await dap.frames(thread);
        const { scopes } = (await dap.dc.scopesRequest({ frameId: frame.id })).body;
        const control = (await dap.dc.variablesRequest({ variablesReference: scopes.find((x) => x.name === 'Control')!.variablesReference })).body.variables;
        const cr3 = control.find((v) => v.name === 'cr3')!;
        const kids = (await dap.dc.variablesRequest({ variablesReference: cr3.variablesReference })).body.variables.map((v) => v.name);
        expect(kids).toContain('root');
        expect(kids.filter((n) => n.startsWith('kpti'))).toEqual([]);
      }
      await dap.disconnect();
    } finally {
      await dap.close();
    }
  }, 120_000);

  it('guest RAM from /proc/<pid>/mem walks leaf for leaf as QEMU physical mode over the stub, in one freeze', async () => {
    const { stub, summary } = await hostVersusStub(g, '512 MiB');
    expect(stub.leaves.length).toBeGreaterThan(1000);
    // And 'auto' takes that host path on this host.
    expect((await liveWalk(g.gdbPort, 0, 'auto')).physical).toMatch(/^QEMU guest RAM via \/proc\//);
    console.log(`[linux] ${summary}`);
  }, 180_000);

  it('translate agrees with gva2gpa for kernel text and the direct map', async () => {
    const regs = parseInfoRegisters(await g.hmp('info registers')).get(0);
    const rip = regs?.get('rip') ?? KERNEL_TEXT;
    const cases = [KERNEL_TEXT + 0x1234n, rip, DIRECT_MAP + 0x1234567n, DIRECT_MAP + 0x1f00_0abcn];
    const seen: string[] = [];
    for (const va of cases) {
      const r = await cli('translate', h(va), '--target', target(), '--cpu', '0', '--json');
      expect(r.err, h(va)).toBe('');
      expect(r.code, h(va)).toBe(0);
      const t = JSON.parse(r.out) as { pa: string; pageSize: number };
      const q = /gpa:\s*(0x[0-9a-f]+)/.exec(await g.hmp(`gva2gpa ${h(va)}`));
      expect(q, `gva2gpa ${h(va)}`).not.toBeNull();
      expect(t.pa, h(va)).toBe(q![1]);
      if (va >= DIRECT_MAP && va < DIRECT_MAP + (1n << 40n)) expect(BigInt(t.pa)).toBe(va - DIRECT_MAP);
      seen.push(`${h(va)} -> ${t.pa} (${t.pageSize / 1024} KiB page)`);
    }
    console.log(`[linux] translate = gva2gpa: ${seen.join(', ')}`);
  }, 120_000);

  it('after the CLI detaches the VM runs, in virtual mode, and the shell still answers', async () => {
    const r = await cli('translate', h(KERNEL_TEXT), '--target', target(), '--json');
    expect(r.code).toBe(0);
    expect(await g.hmp('info status')).toMatch(/VM status: running/);
    const client = await GdbClient.connect('127.0.0.1', g.gdbPort);
    try {
      expect(await client.connection.request('qqemu.PhyMemMode')).toBe('0');
    } finally {
      await client.detach();
    }
    expect(await g.hmp('info status')).toMatch(/VM status: running/);
    const from = g.serial().length;
    g.type('echo HF-ECHO-$((6*7))');
    await g.waitSerial('HF-ECHO-42', 30_000, from);
  }, 120_000);

  it('figures for the maintainers: a full walk through LiveTarget', async () => {
    const t0 = performance.now();
    const t = await LiveTarget.attach({ host: '127.0.0.1', port: g.gdbPort });
    const attachMs = performance.now() - t0;
    try {
      const { spec } = await resolveAddressSpace({ cpu: '0' }, t);
      const walk = async (): Promise<{ ms: number; leaves: number; shared: number; packets: number; bytesSent: number; bytesReceived: number; retransmits: number }> => {
        const before = { ...t.client.counters };
        const start = performance.now();
        let leaves = 0;
        let shared = 0;
        await t.physicalBatch(async () => {
          for await (const e of mappings(spec, t.phys)) {
            if (e.kind === 'leaf') leaves++;
            else if (e.kind === 'shared') shared++;
          }
        });
        const c = t.client.counters;
        return {
          ms: Math.round(performance.now() - start),
          leaves,
          shared,
          packets: c.packetsSent - before.packetsSent,
          bytesSent: c.bytesSent - before.bytesSent,
          bytesReceived: c.bytesReceived - before.bytesReceived,
          retransmits: c.retransmits - before.retransmits,
        };
      };
      const first = await walk();
      // The same walk again, every table now in the page cache: what the walker itself costs.
      const cached = await walk();
      console.log(
        `[linux] LiveTarget on CPU 0 (root ${h(spec.root)}): attach ${attachMs.toFixed(0)} ms; ` +
          `walk ${JSON.stringify(first)}; again from the page cache ${JSON.stringify(cached)}; ` +
          `read chunk ${t.client.memoryChunking.readChunkBytes} B`,
      );
      expect(first.leaves).toBeGreaterThan(1000);
      expect(cached.leaves).toBe(first.leaves);
      expect(first.retransmits).toBe(0);
    } finally {
      await t.close();
    }
    expect(await g.hmp('info status')).toMatch(/VM status: running/);
  }, 180_000);
});
