/**
 * The adapter over DAP against every test guest: `hyperframe/mappings` lists, for each vCPU, every
 * leaf of its address space, and each one equals the line QEMU's own `info tlb` prints (fetched
 * through the adapter's console command `monitor` on that vCPU's frame, i.e. qRcmd), outside the self-map windows QEMU
 * descends into and we do not. The leaves also equal the tables as each guest's source defines them.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, EXPECTED, GUEST_NAMES, parseInfoTlb, type BootedGuest } from '../guests/harness';
import { leafFlagsFromRaw, tlbLineFor } from '../helpers/infoTlb';
import { connectClient, type Client } from './session.harness';

interface Leaf {
  va: string;
  pa: string;
  size: number;
  entry: string;
  level: number;
}
interface MappingsBody {
  mode: string;
  root: string;
  leaves: Leaf[];
  selfMaps: { va: string; size: number }[];
  truncated?: boolean;
}

describe.each(GUEST_NAMES)('hyperframe/mappings on the %s guest', (name) => {
  const exp = EXPECTED[name];
  let guest: BootedGuest;
  let client: Client;
  beforeAll(async () => {
    guest = await bootGuest(name);
    client = await connectClient();
    await client.start('attach', { port: guest.gdbPort, timeout: 3000 });
  });
  afterAll(async () => {
    await client?.disconnect().catch(() => undefined);
    await client?.close();
    await guest?.stop();
  });

  for (const cpu of exp.cpus) {
    it(`vCPU ${cpu.index}: every leaf equals info tlb and the guest's source`, async () => {
      const r = (await client.dc.customRequest('hyperframe/mappings', { vcpu: cpu.index, leaves: true })) as DebugProtocol.Response;
      const body = r.body as MappingsBody;
      expect(body.mode).toBe(exp.mode);
      expect(BigInt(body.root)).toBe(cpu.root);
      expect(body.truncated).toBeUndefined();

      const mine = body.leaves
        .map((l) => ({ va: BigInt(l.va), pa: BigInt(l.pa), size: BigInt(l.size), level: l.level, flags: leafFlagsFromRaw(BigInt(l.entry), l.level, exp.mode) }))
        .sort((a, b) => (a.va < b.va ? -1 : 1));
      const source = [...cpu.leaves].sort((a, b) => (a.va < b.va ? -1 : 1)).map((l) => ({ va: l.va, pa: l.pa, size: l.size, level: l.level, flags: l.flags }));
      expect(mine).toEqual(source);

      // Console commands run on the vCPU of the frame in focus: the monitor's `cpu N` comes first.
      const [frame] = await client.frames(cpu.index + 1);
      const tlb = (await client.dc.evaluateRequest({ expression: 'monitor info tlb', context: 'repl', frameId: frame.id })).body.result;
      const windows = body.selfMaps.map((s) => [BigInt(s.va), BigInt(s.va) + BigInt(s.size)] as const);
      const qemu = parseInfoTlb(tlb)
        .filter((l) => !windows.some(([lo, hi]) => l.va >= lo && l.va < hi))
        .map((l) => l.text)
        .sort();
      expect(qemu.length).toBeGreaterThan(0);
      const ours = body.leaves.map((l) => tlbLineFor(exp.mode, { va: BigInt(l.va), pa: BigInt(l.pa), level: l.level, raw: BigInt(l.entry) })).sort();
      expect(ours).toEqual(qemu);
    });
  }

  it("the walk options of the CLI: splitPa, filter, from/to, has, findAlias; the memory type and the path to physical memory", async () => {
    const ask = async (args: Record<string, unknown>) => ((await client.dc.customRequest('hyperframe/mappings', args)) as DebugProtocol.Response).body as MappingsBody & {
      ranges: { va: string; pa: string; size: number; flags: string; memoryType?: string; paRuns?: number }[];
      physicalMemory?: string;
      pat?: { value: string; source: string };
    };
    const all = await ask({ leaves: true });
    expect(all.physicalMemory).toMatch(/^QEMU guest RAM via \/proc\/\d+\/mem/);
    expect(all.pat).toEqual({ value: '0x7040600070406', source: 'reset value' });
    expect(all.ranges.every((r) => r.memoryType !== undefined && r.paRuns !== undefined)).toBe(true);
    const old = await ask({ splitPa: true });
    expect(Object.keys(old.ranges[0])).toEqual(['va', 'pa', 'size', 'pageSize', 'pages', 'flags']);
    expect(old.pat).toBeUndefined();
    const writable = await ask({ leaves: true, filter: ['w'] });
    expect(writable.leaves.length).toBeGreaterThan(0);
    expect(writable.leaves.length).toBe(all.leaves.filter((l) => (l as unknown as { flags: string }).flags[2] === 'W').length);
    const leaf = all.leaves[Math.floor(all.leaves.length / 2)];
    const has = await ask({ has: leaf.va });
    expect(has.ranges).toHaveLength(1);
    expect(BigInt(has.ranges[0].va) <= BigInt(leaf.va) && BigInt(leaf.va) < BigInt(has.ranges[0].va) + BigInt(has.ranges[0].size)).toBe(true);
    const alias = await ask({ findAlias: leaf.pa });
    expect(alias.leaves.map((l) => l.va)).toContain(leaf.va);
    await expect(client.dc.customRequest('hyperframe/mappings', { filter: ['rw'] })).rejects.toThrow(/unknown filter 'rw'/);
  });

  it('a VA window and a leaf limit: truncated, with where to go on', async () => {
    const all = ((await client.dc.customRequest('hyperframe/mappings', { leaves: true })) as DebugProtocol.Response).body as MappingsBody;
    const cut = ((await client.dc.customRequest('hyperframe/mappings', { leaves: true, maxLeaves: 3 })) as DebugProtocol.Response).body as MappingsBody & { next: string };
    expect(cut.leaves).toEqual(all.leaves.slice(0, 3));
    expect(cut.truncated).toBe(true);
    expect(cut.next).toBe(all.leaves[3].va);
    const rest = ((await client.dc.customRequest('hyperframe/mappings', { leaves: true, from: cut.next })) as DebugProtocol.Response).body as MappingsBody;
    expect(rest.leaves).toEqual(all.leaves.slice(3));
  });
});
