/**
 * Xen's own structures as HyperFrame reads them (domains, page_info, M2P, dom0's P2M and
 * start_info) on a real Debian Xen 4.17.7 with a PV dom0 under QEMU, checked against what Xen
 * and dom0 themselves report: Xen's `q` debug key on the serial console, dom0's boot log (its
 * E820, "Remapped N page(s)", Xen's "VIRTUAL MEMORY ARRANGEMENT"), /proc/cmdline and the dom0_mem
 * the test gave. A second boot with balloon headroom (dom0_mem=384M,max:512M, 4 vCPUs) checks the
 * P2M's missing runs and the vCPU count.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_IDS } from '../../src/shared/dapRequests';
import type { XenDomainsResult, XenFrameInfoResult, XenP2mResult, XenStartInfoResult } from '../../src/shared/xenRequests';
import { loadSymbolFiles } from '../../src/symbols';
import { LiveTarget } from '../../src/target/liveTarget';
import { DEBIAN_XEN_4177, PGT } from '../../src/xen';
import { XenSystem } from '../../src/xenTarget/xenSystem';
import { domainLine, vcpuLine } from '../../src/xenText/xenText';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { connectClient } from '../debugAdapter/session.harness';
import { cli } from '../helpers/runCli';
import { parseInfoRegisters } from '../guests/harness';
import { dom0Shell, dom0SystemMap, dumpDomains, type QDomain } from './xenConsole';
import { bootXen, type BootedXen } from './xenGuest';

/** The dom0 kernel symbols HyperFrame uses for the P2M, the E820 and start_info. */
const GUEST_SYMBOLS = ['xen_p2m_addr', 'xen_p2m_size', 'p2m_identity', 'p2m_missing', 'xen_start_info', 'e820_table_firmware', 'e820_table'];
const h = (v: bigint | number): string => `0x${BigInt(v).toString(16)}`;

interface Booted {
  g: BootedXen;
  dir: string;
  systemMap: string;
  q: QDomain[];
  target: string;
}

async function boot(opts: Parameters<typeof bootXen>[0]): Promise<Booted> {
  const g = await bootXen(opts);
  const dir = await mkdtemp(join(tmpdir(), 'hf-xen-'));
  const map = await dom0SystemMap(g, dir, GUEST_SYMBOLS);
  expect(map.lines.length, `kallsyms lines for ${GUEST_SYMBOLS.join(', ')}`).toBeGreaterThanOrEqual(6);
  return { g, dir, systemMap: map.path, q: await dumpDomains(g), target: `127.0.0.1:${g.gdbPort}` };
}

async function json<T>(...argv: string[]): Promise<T> {
  const r = await cli(...argv, '--json');
  expect(r.err, argv.join(' ')).toBe('');
  expect(r.code, argv.join(' ')).toBe(0);
  return JSON.parse(r.out) as T;
}

/** dom0's E820 as its boot log prints it: `Xen: [mem 0x…-0x…] usable`. */
function bootE820(serial: string): { start: string; end: string; type: string }[] {
  return [...serial.matchAll(/Xen: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] (.+)$/gm)].map((m) => ({ start: h(BigInt(`0x${m[1]}`)), end: h(BigInt(`0x${m[2]}`) + 1n), type: m[3].trim() }));
}

describe('Xen 4.17 structures against Xen\'s debug keys and dom0\'s own reports (dom0_mem=256M, 2 vCPUs)', () => {
  let b: Booted;
  let xenSyms: string;
  const sources = (): string[] => ['--target', b.target, '--symbols', xenSyms, '--symbols', b.systemMap];

  beforeAll(async () => {
    b = await boot({});
    xenSyms = b.g.xenSyms;
  }, 600_000);

  afterAll(async () => {
    await b?.g.stop();
    if (b) await rm(b.dir, { recursive: true, force: true });
  });

  it("domains: the build, ids, nr_pages, max_pages, xenheap_pages and each vCPU's CPU equal Xen's q dump", async () => {
    let r: XenDomainsResult | undefined;
    let q = b.q;
    // vCPUs may move between the dump and the read: a few tries for one consistent pair.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt) q = await dumpDomains(b.g);
      r = await json<XenDomainsResult>('domains', ...sources());
      const ours = r.domains.map((d) => d.vcpus.map((v) => `${d.id}:${v.id}@${v.processor}`).join(' ')).join(' ');
      const theirs = q.map((d) => d.vcpus.map((v) => `${d.id}:${v.id}@${v.cpu}`).join(' ')).join(' ');
      if (ours === theirs) break;
    }
    expect(r!.build).toEqual({ name: DEBIAN_XEN_4177.name, version: '4.17.7', buildId: DEBIAN_XEN_4177.buildId, offsets: DEBIAN_XEN_4177.source });
    expect(b.g.serial()).toMatch(/\(XEN\) Xen version 4\.17\.7/);
    expect(r!.domains.map((d) => ({ id: d.id, nrPages: d.totPages, xenheapPages: d.xenheapPages, maxPages: d.maxPages, refcnt: d.refcnt, vcpus: d.vcpus.map((v) => ({ id: v.id, cpu: v.processor })) }))).toEqual(
      q.map((d) => ({ id: d.id, nrPages: d.nrPages, xenheapPages: d.xenheapPages, maxPages: d.maxPages, refcnt: d.refcnt, vcpus: d.vcpus.map((v) => ({ id: v.id, cpu: v.cpu })) })),
    );
    const d0 = r!.domains[0];
    expect(d0).toMatchObject({ id: 0, type: 'pv', bits: 64, privileged: true, dying: 'alive', totPages: 65536, maxVcpus: 2 });
    // What the user reads: the same numbers in the words of Xen's own dump.
    const text = await cli('domains', ...sources());
    const q0 = q[0];
    expect(text.out.split('\n').slice(0, 3)).toEqual([
      `# ${DEBIAN_XEN_4177.name}, build-id ${DEBIAN_XEN_4177.buildId}; domain_list ${r!.domainList}`,
      `# Xen's own tables: idle_pg_table ${h((await loadSymbolFiles([xenSyms])).lookup('idle_pg_table')!.va)} at PA ${r!.idlePgTable.pa} (hyperframe walk --root ${r!.idlePgTable.pa} --mode long4)`,
      `d0  PV 64-bit, privileged  nr_pages ${q0.nrPages}  max_pages ${q0.maxPages} (no limit)  xenheap_pages ${q0.xenheapPages}  vCPUs ${q0.vcpus.length} of 2  nr_l4_pages ${d0.nrL4Pages}  refcnt ${q0.refcnt}  struct domain ${d0.va}`,
    ]);
    expect(text.out.split('\n')[2]).toBe(domainLine(d0));
    expect(text.out.split('\n')[3]).toMatch(new RegExp(`^  vCPU 0  CPU \\d  \\S.*  guest_table mfn 0x[0-9a-f]+(  user 0x[0-9a-f]+)?  cr3 0x[0-9a-f]+000$`));
    expect(vcpuLine(d0.vcpus[0])).toContain(`guest_table mfn ${d0.vcpus[0].guestTable}`);
    console.log(`[xen-structures] q: ${JSON.stringify(q.map((d) => ({ ...d, xenPages: d.xenPages.length })), (_k, v: unknown) => (typeof v === 'bigint' ? h(v) : v))}`);
  }, 240_000);

  it("seed 000: Xen's own tables from idle_pg_table, where map_pages_to_xen mixed 4 KiB and large pages in the direct map", async () => {
    const d = await json<XenDomainsResult>('domains', ...sources());
    const root = ['--root', d.idlePgTable.pa, '--mode', 'long4', '--target', b.target];
    const DIRECT = 0xffff_8300_0000_0000n;
    const inDirectMap = (r: { va: string }): boolean => BigInt(r.va) >= DIRECT && BigInt(r.va) < DIRECT + (1n << 40n);
    // --split-pa: one range per run of one page size, so the seam between sizes shows.
    const split = await json<{ ranges: { va: string; size: number; pageSize: number }[] }>('walk', '--split-pa', ...root);
    const ram = split.ranges.filter(inDirectMap);
    // Small pages where a 2 MiB frame is not all RAM (the first megabyte, the end of RAM), large ones between.
    const pairs = ram.slice(1).filter((r, i) => BigInt(ram[i].va) + BigInt(ram[i].size) === BigInt(r.va) && ram[i].pageSize === 4096 && r.pageSize >= 2 << 20);
    expect(pairs.length, 'a run of 4 KiB pages followed at once by a large page').toBeGreaterThan(0);
    expect(ram.some((r) => r.pageSize === 4096) && ram.some((r) => r.pageSize >= 2 << 20)).toBe(true);
    const text = (await cli('walk', '--split-pa', ...root)).out.split('\n');
    const at = text.findIndex((l) => l.startsWith(`0x${BigInt(pairs[0].va).toString(16).padStart(16, '0')}-`));
    expect(text[at - 1]).toMatch(/ x 4K$/);
    expect(text[at]).toMatch(/ x (2M|1G)$/);
    // By default the same pages are one range (same rights), its page sizes counted.
    const merged = await json<{ ranges: { va: string; pageSizes?: { pageSize: number; pages: number }[] }[] }>('walk', ...root);
    const mixed = merged.ranges.filter(inDirectMap).find((r) => r.pageSizes?.some((s) => s.pageSize === 4096) && r.pageSizes.some((s) => s.pageSize >= 2 << 20));
    expect(mixed, 'a direct-map range of both page sizes').toBeDefined();
    const line = (await cli('walk', ...root)).out.split('\n').find((l) => l.startsWith(`0x${BigInt(mixed!.va).toString(16).padStart(16, '0')}-`));
    expect(line).toMatch(/\d+ x (2M|1G) \+ \d+ x 4K/);
    console.log(`[xen-structures] idle_pg_table ${d.idlePgTable.pa}: ${ram.length} direct-map ranges split by PA; ${text[at - 1]} / ${text[at]}; merged: ${line}`);
  }, 240_000);

  it("frame: every XenPage's caf/taf as q prints them; dom0's live L4 is an L4 table, validated and pinned; nr_l4_pages counts dom0's validated L4 frames but the boot one", async () => {
    const xenPages = b.q[0].xenPages;
    expect(xenPages.length).toBe(b.q[0].xenheapPages);
    for (const p of xenPages) {
      const f = await json<XenFrameInfoResult>('frame', h(p.mfn), ...sources());
      expect({ caf: f.countInfo.raw, taf: f.typeInfo.raw, owner: f.owner?.domain }, `XenPage ${h(p.mfn)}`).toEqual({ caf: h(p.caf), taf: h(p.taf), owner: 0 });
      expect(f.countInfo.flags).toEqual(['PGC_allocated', 'PGC_xen_heap']);
    }
    // CR3 while dom0 runs: QEMU's own register dump of a vCPU in dom0's kernel.
    await b.g.hmp('stop');
    const regs = parseInfoRegisters(await b.g.hmp('info registers -a'));
    await b.g.hmp('cont');
    const cr3s = [...regs.values()].map((r) => r.get('cr3')!).filter((c) => c !== undefined);
    const domains = await json<XenDomainsResult>('domains', ...sources());
    const l4s = new Set(domains.domains[0].vcpus.map((v) => BigInt(v.guestTable)));
    const live = cr3s.map((c) => (c & 0x000f_ffff_ffff_f000n) >> 12n).find((mfn) => l4s.has(mfn));
    expect(live, `a CPU whose CR3 (${cr3s.map(h).join(', ')}) is a dom0 vCPU's guest_table`).toBeDefined();
    const text = await cli('frame', h(live!), ...sources());
    const f = await json<XenFrameInfoResult>('frame', h(live!), ...sources());
    expect(f.typeInfo.type).toBe('PGT_l4_page_table');
    expect(f.typeInfo.flags).toEqual(expect.arrayContaining(['PGT_pinned', 'PGT_validated']));
    expect(f.owner?.domain).toBe(0);
    expect(f.validatedPageTable).toBe(true);
    expect(text.out.split('\n').slice(2, 4)).toEqual([
      `  type_info  ${f.typeInfo.raw}  PGT_l4_page_table, ${f.typeInfo.flags.join(' ')}, type count ${f.typeInfo.count}`,
      '  owner      d0 (struct domain ' + domains.domains[0].va + ')',
    ]);
    expect(text.out).toContain("Xen has validated this frame as a page table: writing it directly bypasses Xen's reference counts and checks");

    // Two of Xen's structures agree: arch.pv.nr_l4_pages and the frame table's validated L4 frames of d0.
    const p2m = await json<XenP2mResult>('p2m', ...sources());
    const syms = await loadSymbolFiles([xenSyms]);
    const t = await LiveTarget.attach({ host: '127.0.0.1', port: b.g.gdbPort });
    const l4: bigint[] = [];
    let dom0Frames = 0;
    let nrL4Pages: number | undefined;
    try {
      // One stop for both readings: a process starting or ending changes the count.
      await t.physicalBatch(async () => {
        const xen = await XenSystem.open(t, syms);
        nrL4Pages = (await xen.domains())[0].pv?.nrL4Pages;
        for (const r of p2m.runs.filter((x) => x.kind === 'mfn')) {
          for (let i = 0n; i < BigInt(r.pages); i++) {
            const pi = await xen.pageInfo(BigInt(r.mfn!) + i);
            if (pi.owner?.domain === 0) dom0Frames++;
            const t4 = pi.info.typeInfo;
            if (t4.type === 'l4_page_table' && t4.raw & PGT.validated && t4.count > 0n && pi.owner?.domain === 0) l4.push(pi.mfn);
          }
        }
      });
    } finally {
      await t.close();
    }
    expect(dom0Frames, "every frame of dom0's P2M is owned by d0 in the frame table").toBe(p2m.totals.mfn);
    // alloc_l4_table() counts the L4s it validates and free_l4_table() uncounts them; dom0_build.c
    // validated the boot L4 (pt_base's) by writing its type_info, so when Linux dropped that table
    // for its own, free_l4_table() took one off a count it had never added to: nr_l4_pages reads one
    // less than the validated L4 frames d0 owns, and pt_base's frame is no longer one of them.
    const si = await json<XenStartInfoResult>('startinfo', ...sources());
    expect(l4.length).toBe(nrL4Pages! + 1);
    expect(l4.map((x) => h(x))).not.toContain(si.ptBaseMfn);
    const boot = await json<XenFrameInfoResult>('frame', si.ptBaseMfn!, ...sources());
    expect(boot.validatedPageTable).toBe(false);
    console.log(`[xen-structures] live L4 mfn ${h(live!)} type_info ${f.typeInfo.raw}; nr_l4_pages ${nrL4Pages}, validated L4 frames ${l4.map(h).join(' ')} (pt_base ${si.ptBaseMfn}); ${dom0Frames} frames owned by d0`);
  }, 240_000);

  it("p2m --check: every mapped pfn round-trips through the M2P; the E820 is dom0's boot log's; identity over holes, mapped pfns in usable RAM, as many as nr_pages; the remapped pages as the log counts them", async () => {
    const r = await json<XenP2mResult>('p2m', '--check', ...sources());
    expect(r.source).toMatchObject({ kind: 'linear', from: 'xen_p2m_addr and xen_p2m_size (kernel symbols)' });
    expect(r.check?.mismatches).toEqual([]);
    expect(r.check?.checked).toBe(b.q[0].nrPages);
    expect(r.totals.mfn).toBe(b.q[0].nrPages);
    expect(r.e820).toEqual(bootE820(b.g.serial()));
    for (const run of r.runs) {
      if (run.kind === 'mfn') expect(run.e820, `${run.pfn}-${run.pfnEnd}`).toBe('usable');
      if (run.kind === 'identity') expect(run.e820, `${run.pfn}-${run.pfnEnd}`).not.toContain('usable');
    }
    // Linux moves the RAM pages Xen gave it inside E820 holes above nr_pages: "Remapped N page(s)".
    const remapped = Number(/Remapped (\d+) page\(s\)/.exec(b.g.serial())?.[1]);
    const nrPages = BigInt(b.q[0].nrPages);
    const above = r.runs.filter((x) => x.kind === 'mfn').reduce((n, x) => n + Number(BigInt(x.pfnEnd) > nrPages ? BigInt(x.pfnEnd) - (BigInt(x.pfn) > nrPages ? BigInt(x.pfn) : nrPages) : 0n), 0);
    expect(above).toBe(remapped);
    expect(r.sharedPages.find((p) => p.name === 'p2m_identity')?.pages).toBeGreaterThan(0);
    // Without the kernel's symbols: the same P2M through dom0's shared_info, as far as max_pfn.
    const viaXen = await json<XenP2mResult>('p2m', '--domain', '0', '--target', b.target, '--symbols', xenSyms);
    expect(viaXen.source.from).toBe("d0's shared_info.arch (p2m_vaddr, max_pfn, p2m_cr3)");
    expect(viaXen.source.address).toBe(r.source.address);
    expect(viaXen.runs.filter((x) => x.kind === 'mfn')).toEqual(r.runs.filter((x) => x.kind === 'mfn').map(({ e820: _e, ...x }) => x));
    const text = await cli('p2m', '--check', ...sources());
    const lines = text.out.split('\n');
    expect(lines[1]).toBe(`# ${r.totals.mfn} mapped, ${r.totals.identity} identity, ${r.totals.foreign} foreign, ${r.totals.missing} missing`);
    expect(lines.at(-1)).toBe(`# check: m2p[p2m[pfn]] == pfn for all ${b.q[0].nrPages} mapped pfns`);
    const first = r.runs[0];
    const mfns = `${first.mfn}-${h(BigInt(first.mfn!) + BigInt(first.pages) - 1n)}`;
    expect(lines[3]).toBe(`${`0x0-${h(BigInt(first.pfnEnd) - 1n)}`.padEnd(24)} ${String(first.pages).padStart(9)}  mfn       ${mfns.padEnd(24)} usable`);
    console.log(`[xen-structures] P2M: ${r.runs.length} runs, totals ${JSON.stringify(r.totals)}, shared ${JSON.stringify(r.sharedPages)}, remapped ${remapped}`);
  }, 240_000);

  it("startinfo: cmd_line is dom0's /proc/cmdline, nr_pages its dom0_mem, the page and nr_pt_frames where Xen's boot log put them; pt_base's tables are no longer live", async () => {
    const r = await json<XenStartInfoResult>('startinfo', ...sources());
    const cmdline = (await dom0Shell(b.g, 'cat /proc/cmdline'))[0];
    expect(r.cmdLine).toBe(cmdline);
    expect(BigInt(r.nrPages)).toBe((256n << 20n) >> 12n);
    expect(r.magic).toBe('xen-3.0-x86_64p');
    expect(r.flags).toEqual(expect.arrayContaining(['SIF_PRIVILEGED', 'SIF_INITDOMAIN']));
    const log = b.g.serial();
    const [siStart] = /Start info:\s+([0-9a-f]+)->/.exec(log)!.slice(1);
    const [ptStart, ptEnd] = /Page tables:\s+([0-9a-f]+)->([0-9a-f]+)/.exec(log)!.slice(1);
    expect(BigInt(r.nrPtFrames)).toBe((BigInt(`0x${ptEnd}`) - BigInt(`0x${ptStart}`)) >> 12n);
    // The page Xen placed at its kernel-map VA (virt_base + pfn pages) is the one Linux's xen_start_info points at now.
    const [virtBase] = /TOTAL:\s+([0-9a-f]+)->/.exec(log)!.slice(1);
    const pfn = (BigInt(`0x${siStart}`) - BigInt(`0x${virtBase}`)) >> 12n;
    const p2m = await json<XenP2mResult>('p2m', ...sources());
    const run = p2m.runs.find((x) => BigInt(x.pfn) <= pfn && pfn < BigInt(x.pfnEnd) && x.kind === 'mfn')!;
    expect(r.mfn).toBe(h(BigInt(run.mfn!) + pfn - BigInt(run.pfn)));
    expect(r.live.length).toBe(2);
    expect(r.live.every((l) => !l.isPtBase)).toBe(true);
    const text = await cli('startinfo', ...sources());
    expect(text.out.split('\n')).toEqual(
      expect.arrayContaining([`  cmd_line       ${JSON.stringify(cmdline)}`, `  nr_pages       0x10000 (65536 pages, 256 MiB)`, '  magic          xen-3.0-x86_64p']),
    );
    console.log(`[xen-structures] start_info ${r.va} mfn ${r.mfn}, pt_base ${r.ptBase} → ${r.ptBaseMfn}, live ${JSON.stringify(r.live)}`);
  }, 180_000);

  it('m2p: ~0 for a frame nobody owns and the pfn for dom0\'s first frame; an unknown build is refused, offsets from a file are taken', async () => {
    const p2m = await json<XenP2mResult>('p2m', ...sources());
    const m = await json<{ entries: { kind: string; pfn?: string; meaning: string }[] }>('m2p', p2m.runs[0].mfn!, '--count', '2', ...sources());
    expect(m.entries.map((e) => e.pfn)).toEqual(['0x0', '0x1']);
    const zero = await cli('m2p', '0x0', ...sources());
    expect(zero.out.split('\n')[1]).toBe("mfn 0x0  0xffffffffffffffff  INVALID_M2P_ENTRY (~0): no guest owns this frame (free, or Xen's own)");

    // xen-syms whose build-id note points elsewhere: the running build cannot be told.
    const moved = join(b.dir, 'xen-syms.map');
    const syms = await loadSymbolFiles([xenSyms]);
    await writeFile(moved, syms.symbols().map((s) => `${(s.name === '__note_gnu_build_id_start' ? s.va + 0x1000n : s.va).toString(16).padStart(16, '0')} D ${s.name}`).join('\n'));
    const refused = await cli('domains', '--target', b.target, '--symbols', moved);
    expect(refused.code).toBe(2);
    expect(refused.err).toBe(
      `hyperframe domains: unknown Xen build (no GNU build-id note where xen-syms says (does xen-syms match the running hypervisor?)): HyperFrame knows the struct layouts of ${DEBIAN_XEN_4177.name}; give this build's offsets in a file (--xen-offsets FILE, or the launch configuration's "xenOffsets"; see docs/xen-offsets.md)`,
    );
    const { name: _n, buildId: _b, source: _s, ...offsets } = DEBIAN_XEN_4177;
    const file = join(b.dir, 'offsets.json');
    await writeFile(file, JSON.stringify({ ...offsets, name: 'Xen 4.17.7 (offsets by hand)' }));
    const taken = await json<XenDomainsResult>('domains', '--target', b.target, '--symbols', moved, '--xen-offsets', file);
    expect(taken.build.name).toBe('Xen 4.17.7 (offsets by hand)');
    expect(taken.domains[0].totPages).toBe(b.q[0].nrPages);
  }, 180_000);

  it('the adapter: hyperframe/xen/* answer with the objects the CLI prints', async () => {
    const cliDomains = await json<XenDomainsResult>('domains', ...sources());
    const cliP2m = await json<XenP2mResult>('p2m', '--check', ...sources());
    const cliSi = await json<XenStartInfoResult>('startinfo', ...sources());
    const mfn = cliP2m.runs[0].mfn!;
    const cliFrame = await json<XenFrameInfoResult>('frame', mfn, ...sources());
    const client = await connectClient();
    try {
      await client.start('attach', { port: b.g.gdbPort, symbols: [xenSyms, b.systemMap] });
      const ask = async <T>(command: string, args: object = {}): Promise<T> => ((await client.dc.customRequest(command, args)) as DebugProtocol.Response).body as T;
      const d = await ask<XenDomainsResult>('hyperframe/xen/domains');
      const stable = (r: XenDomainsResult) => r.domains.map(({ vcpus, refcnt: _r, ...x }) => ({ ...x, vcpus: vcpus.map((v) => ({ id: v.id, va: v.va })) }));
      expect(d.build).toEqual(cliDomains.build);
      expect(stable(d)).toEqual(stable(cliDomains));
      const p = await ask<XenP2mResult>('hyperframe/xen/p2m', { check: true });
      expect(p).toEqual(cliP2m);
      const f = await ask<XenFrameInfoResult>('hyperframe/xen/frameInfo', { mfn });
      expect(f).toEqual(cliFrame);
      const si = await ask<XenStartInfoResult>('hyperframe/xen/startInfo');
      expect({ ...si, live: [] }).toEqual({ ...cliSi, live: [] });
      const m = await ask<{ entries: { pfn?: string }[] }>('hyperframe/xen/m2p', { mfn, count: 2 });
      expect(m.entries.map((e) => e.pfn)).toEqual(['0x0', '0x1']);
      const region = await ask<{ lines: string[] }>('hyperframe/xen/region', { va: d.domains[0].va });
      expect(region.lines[0]).toBe(`${d.domains[0].va}  Xen 4.17 x86_64: direct-map`);
      const bad = await client.rawResponse('hyperframe/xen/frameInfo', { mfn: '0xfffffffff' });
      expect(bad.success).toBe(false);
      expect((bad as DebugProtocol.ErrorResponse).body.error).toMatchObject({ id: ERROR_IDS.OUT_OF_RANGE, format: expect.stringMatching(/^mfn 0xfffffffff is at or beyond max_page 0x[0-9a-f]+: Xen keeps no page_info for it$/) });
    } finally {
      await client.disconnect().catch(() => undefined);
      await client.close();
    }
    expect(await b.g.hmp('info status')).toMatch(/VM status: running/);
  }, 240_000);
});

describe('balloon headroom: dom0_mem=384M,max:512M, 4 vCPUs, 2 GiB', () => {
  let b: Booted;
  beforeAll(async () => {
    b = await boot({ dom0Mem: '384M,max:512M', smp: 4, memMiB: 2048 });
  }, 600_000);
  afterAll(async () => {
    await b?.g.stop();
    if (b) await rm(b.dir, { recursive: true, force: true });
  });

  it('4 vCPUs and max_pages as Xen prints them; missing runs in the P2M up to max:512M; the M2P agrees', async () => {
    const src = ['--target', b.target, '--symbols', b.g.xenSyms, '--symbols', b.systemMap];
    const d = await json<XenDomainsResult>('domains', ...src);
    const q0 = b.q[0];
    expect(d.domains[0].vcpus.map((v) => v.id)).toEqual([0, 1, 2, 3]);
    expect(q0.vcpus.map((v) => v.id)).toEqual([0, 1, 2, 3]);
    expect({ nrPages: d.domains[0].totPages, maxPages: d.domains[0].maxPages }).toEqual({ nrPages: q0.nrPages, maxPages: q0.maxPages });
    expect(q0.maxPages).toBe((512 << 20) >> 12);
    const p = await json<XenP2mResult>('p2m', '--check', ...src);
    expect(p.check?.mismatches).toEqual([]);
    expect(p.totals.mfn).toBe(q0.nrPages);
    const missingInRam = p.runs.filter((r) => r.kind === 'missing' && r.e820 === 'usable').reduce((n, r) => n + r.pages, 0);
    // The balloon's headroom: the pfns between what dom0 got and its maximum are in the P2M, missing.
    expect(missingInRam).toBeGreaterThanOrEqual(q0.maxPages - q0.nrPages);
    console.log(`[xen-structures] balloon: nr_pages ${q0.nrPages}, max_pages ${q0.maxPages}, missing in usable RAM ${missingInRam}, runs ${p.runs.length}`);
  }, 240_000);
});
