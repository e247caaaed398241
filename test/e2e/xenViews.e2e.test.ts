/**
 * The Xen views in a real VS Code, on a real Debian Xen 4.17.7 with a PV dom0: what the user reads
 * in Xen Domains, Xen Layout, P2M and the Page Tables view's Xen slots, against Xen's own `q`
 * dump and the layout's config.h bounds. dom0's System.map comes from its /proc/kallsyms.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_XEN_4177 } from '../../src/xen';
import { dom0SystemMap, dumpDomains, type QDomain } from '../xen/xenConsole';
import { bootXen, type BootedXen } from '../xen/xenGuest';
import { attachLaunchJson, e2eUnavailable, VsCode } from './vscode';

const unavailable = e2eUnavailable();
const view = (name: string): string => `.pane:has(.pane-header[aria-label^="${name}"])`;
const GUEST_SYMBOLS = ['xen_p2m_addr', 'xen_p2m_size', 'p2m_identity', 'p2m_missing', 'xen_start_info', 'e820_table_firmware'];

describe.skipIf(unavailable)('the Xen views on Xen 4.17 with a PV dom0', () => {
  let xen: BootedXen;
  let vs: VsCode;
  let dir: string;
  let q: QDomain[];

  beforeAll(async () => {
    xen = await bootXen();
    dir = await mkdtemp(join(tmpdir(), 'hf-e2e-xen-'));
    const map = await dom0SystemMap(xen, dir, GUEST_SYMBOLS);
    q = await dumpDomains(xen);
    vs = await VsCode.start({
      name: 'xen-views',
      files: { '.vscode/launch.json': attachLaunchJson('Attach Xen', xen.gdbPort, { symbols: [xen.xenSyms, map.path] }) },
    });
    await vs.widenSideBar(900);
    await vs.command('HyperFrame: Focus on Xen Domains View');
    await vs.startDebugging('Attach Xen');
  }, 400_000);

  afterAll(async () => {
    await vs?.stop();
    await xen?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("Xen Domains: the build, Xen's own tables and dom0 with the numbers Xen's q key prints", async () => {
    const rows = await vs.until('no domains in the Xen Domains view', async () => {
      const r = await vs.treeRows(view('Xen Domains'));
      return r.some((x) => x.startsWith('Domain 0')) && r.some((x) => x.startsWith('vCPU 1')) ? r : undefined;
    }, 90_000);
    const d0 = q[0];
    expect(rows[0]).toBe(`${DEBIAN_XEN_4177.name}  build-id ${DEBIAN_XEN_4177.buildId!.slice(0, 12)}…`);
    expect(rows[1]).toBe("Xen's own tables (idle_pg_table)  the idle vCPUs’ root");
    expect(rows[2]).toBe(`Domain 0  PV 64-bit, privileged · ${d0.nrPages} pages · ${d0.vcpus.length} vCPUs`);
    expect(rows[3]).toMatch(/^vCPU 0 {2}CPU [01] · (blocked|running|runnable)( \S+)* · L4 mfn 0x[0-9a-f]+$/);
    await vs.screenshot('xen-domains');
  });

  it("Page Tables: Xen's slots of dom0's top-level table named, the pfn beside each frame", async () => {
    await vs.command('HyperFrame: Focus on Page Tables View');
    const tree = view('Page Tables');
    const cpu0 = vs.page.locator(`${tree} .monaco-list-row`).filter({ hasText: /^CPU 0 ·/ }).first();
    await cpu0.waitFor({ timeout: 60_000 });
    if ((await cpu0.getAttribute('aria-expanded')) !== 'true') await cpu0.click();
    const slot = await vs.until('no Xen words on slot 262', async () => (await vs.treeRows(tree)).find((r) => r.startsWith('[262] ffff8300_00000000') && r.includes('Xen: direct-map')));
    expect(slot).toMatch(/ · Xen: direct-map · (pfn 0x[0-9a-f]+|no pfn \(~0\))$/);
    const m2p = (await vs.treeRows(tree)).find((r) => r.startsWith('[256] ffff8000_00000000'));
    expect(m2p).toMatch(/ · Xen: ro-m2p, reserved-shared · /);
    await vs.screenshot('xen-slots');
  });

  it('Xen Layout and P2M', async () => {
    await vs.command('HyperFrame: Focus on Xen Layout View');
    const layout = await vs.until('no Xen Layout rows', async () => {
      const r = await vs.treeRows(view('Xen Layout'));
      return r.length > 5 ? r : undefined;
    }, 60_000);
    expect(layout[0]).toBe(`Xen 4.17 x86_64  ${DEBIAN_XEN_4177.name}`);
    // The list is virtual: the rows on screen are the first regions, low to high.
    expect(layout.slice(1, 4)).toEqual(['0x0000000000000000 guest  128 TiB · slots 0-255', '0x0000800000000000 non-canonical  16776960 TiB', '0xffff800000000000 ro-m2p  256 GiB · slot 256']);
    await vs.command('HyperFrame: Focus on P2M View');
    const p2m = await vs.until('no P2M summary', async () => (await vs.treeRows(view('P2M'))).find((r) => r.startsWith('P2M of d0')), 120_000);
    expect(p2m).toMatch(new RegExp(`^P2M of d0  ${q[0].nrPages} mapped · \\d+ identity · \\d+ missing$`));
    await vs.screenshot('xen-p2m');
  });

  /** The text of the editor that shows `marker`, once it does (Monaco draws spaces as no-break spaces). */
  const editorText = (marker: string): Promise<string> =>
    vs.until(`no editor showing '${marker}'`, async () => {
      const texts = (await vs.page.locator('.editor-instance .view-lines').allInnerTexts()).map((t) => t.replace(/\u00a0/g, ' '));
      return texts.find((t) => t.includes(marker));
    }, 60_000);

  it("Show the PV Guest's start_info (seed 003): the page Xen handed dom0, with the command line the test gave it", async () => {
    await vs.command("HyperFrame: Show the PV Guest's start_info");
    const text = (await editorText('start_info at ')).split('\n');
    expect(text).toContain('  magic          xen-3.0-x86_64p');
    // Xen's q dump says how many pages dom0 has; start_info's nr_pages is what Xen gave it at boot.
    expect(text).toContain(`  nr_pages       0x${q[0].nrPages.toString(16)} (${q[0].nrPages} pages, ${q[0].nrPages >> 8} MiB)`);
    expect(text).toContain('  cmd_line       "console=hvc0 earlyprintk=xen nokaslr"');
    expect(text.some((l) => /^ {2}live CR3 +vCPU 0 0x[0-9a-f]+: not pt_base/.test(l))).toBe(true);
    await vs.screenshot('xen-start-info');
  });

  it('Machine Frame to PFN (M2P): ~0 for frame 0, and the pfn the P2M view gave for dom0’s first frame', async () => {
    await vs.command('HyperFrame: Focus on P2M View');
    const run = await vs.until('no mapped run in the P2M view', async () => {
      const r = await vs.treeRows(view('P2M'));
      return r.find((x) => /^0x0-0x[0-9a-f]+ mfn/.test(x));
    }, 60_000);
    const mfn = /→ mfn (0x[0-9a-f]+)-/.exec(run)![1];
    await vs.command('HyperFrame: Machine Frame to PFN (M2P)…');
    await vs.answer(`0x0 ${mfn}`);
    const text = (await editorText('machine_to_phys_mapping at')).split('\n');
    expect(text).toContain("mfn 0x0  0xffffffffffffffff  INVALID_M2P_ENTRY (~0): no guest owns this frame (free, or Xen's own)");
    expect(text.find((l) => l.startsWith(`mfn ${mfn} `))).toMatch(/ 0x0+ +pfn 0x0\b/);
    await vs.screenshot('xen-m2p');
  });
});
