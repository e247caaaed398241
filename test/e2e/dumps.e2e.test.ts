/**
 * The Page Tables view over dumps, as over live stubs: the sample ELF core (tables written by hand
 * in test/fixtures/sampleDumps.ts) and a raw image with the root given in the launch configuration.
 */
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xenSampleCore, xenSampleRam } from '../fixtures/sampleDumps';
import { e2eUnavailable, VsCode } from './vscode';

const unavailable = e2eUnavailable();
const TREE = '.pane:has(.pane-header[aria-label^="Page Tables"])';

describe.skipIf(unavailable)('dumps in the Page Tables view', () => {
  let vs: VsCode;

  beforeAll(async () => {
    const core = xenSampleCore();
    const launch = {
      version: '0.2.0',
      configurations: [
        { type: 'hyperframe', request: 'launch', name: 'Open core', core: '${workspaceFolder}/xen-sample.elf' },
        // The same RAM as a raw image: no registers, so the root comes from here.
        { type: 'hyperframe', request: 'launch', name: 'Open raw', raw: '${workspaceFolder}/ram.raw', pagingMode: 'long4', root: '0x100000' },
      ],
    };
    vs = await VsCode.start({ name: 'dumps', files: { '.vscode/launch.json': JSON.stringify(launch, null, 2) } });
    writeFileSync(join(vs.workspace, 'xen-sample.elf'), core);
    writeFileSync(join(vs.workspace, 'ram.raw'), xenSampleRam());
    // A 4 GiB raw image with one page of data near its end and holes elsewhere (no blocks allocated).
    const big = openSync(join(vs.workspace, 'sparse-4g.raw'), 'w');
    ftruncateSync(big, 4 * 2 ** 30);
    writeSync(big, Buffer.from('HyperFrame was here'), 0, 19, 0xc000_0000);
    closeSync(big);
    await vs.widenSideBar(760);
    await vs.command('HyperFrame: Focus on Page Tables View');
  }, 180_000);

  afterAll(async () => {
    await vs?.stop();
  });

  const rows = () => vs.treeRows(TREE);
  const expand = async (label: RegExp) => {
    const row = vs.page.locator(`${TREE} .monaco-list-row`).filter({ hasText: label }).first();
    await row.waitFor({ timeout: 30_000 });
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  };

  it('an ELF core: CPU 0 from its CPU note, the tables as the fixture wrote them', async () => {
    await vs.startDebugging('Open core');
    await vs.until('no CPU 0 root for the core', async () => (await rows()).includes('CPU 0 · CR3 0x100000 · 4-level'), 60_000);
    await expand(/^CPU 0 ·/);
    const top = await vs.until('the PML4 did not list', async () => {
      const r = await rows();
      return r.some((x) => x.startsWith('[262]')) ? r : undefined;
    });
    expect(top).toContain('[258] ffff8100_00000000–ffff817f_ffffffff → 0x100000  self-map · P RW A'); // bit 6 (D) is ignored above a leaf
    expect(top).toContain('[262] ffff8300_00000000–ffff837f_ffffffff → 0x108000  P RW A');
    await expand(/^\[262\]/);
    // PDPT 0x108000 [0]: 1 GiB RW XD G at PA 0 (0x1e3 | XD); [1] a software value, hidden by default.
    const leaf = await vs.until('no 1 GiB leaf under the direct map', async () => (await rows()).find((r) => r.startsWith('[0] ffff8300_00000000–ffff8300_3fffffff')));
    expect(leaf).toBe('[0] ffff8300_00000000–ffff8300_3fffffff → 0x0  1 GiB · P RW A D PS G XD');
    expect(await rows()).toContain('1 not-present entry with software values hidden');
    await vs.page.locator('.debug-toolbar .codicon-debug-stop, .debug-toolbar .codicon-debug-disconnect').first().click();
    await vs.until('the core session did not end', async () => (await vs.page.locator('.welcome-view-content').allInnerTexts()).join(' ').includes('No HyperFrame debug session'));
  });

  it('a raw image: no vCPUs, the configured root instead', async () => {
    await vs.startDebugging('Open raw');
    const root = await vs.until('no configured root for the raw image', async () => (await rows()).find((r) => r.startsWith('Configured root')), 60_000);
    expect(root).toBe('Configured root · 4-level  PA 0x100000 (launch configuration)');
    await expand(/^Configured root/);
    await vs.until('the raw image’s PML4 did not list', async () => (await rows()).some((r) => r.startsWith('[261] ffff8280_00000000–ffff82ff_ffffffff → 0x106000')));
    await vs.screenshot('raw');
  });

  it('Open With… the frame editor on a 4 GiB sparse image: only what is on screen is read', async () => {
    const { page } = vs;
    await vs.openWith('sparse-4g.raw', 'HyperFrame Frame Editor');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const title = await vs.until('the frame editor did not open the image', async () => (await frame.locator('header .title').innerText()).trim(), 30_000);
    expect(title).toBe('Frame 0x0 · MFN 0x0');
    await frame.locator('nav input').fill('0xc0000000');
    await frame.locator('nav input').press('Enter');
    const cells = await vs.until('the bytes at 0xc0000000 did not show', async () => {
      const rows = await frame.locator('.row').evaluateAll((rs) => rs.map((r) => ({ off: r.querySelector('.off')?.textContent, bytes: [...r.querySelectorAll('.b')].map((b) => b.textContent).join(' '), ascii: r.querySelector('.ascii')?.textContent })));
      return rows.find((r) => r.off === '0x00000000c0000000' && !r.bytes.includes('··'));
    });
    expect(cells).toEqual({ off: '0x00000000c0000000', bytes: '48 79 70 65 72 46 72 61 6d 65 20 77 61 73 20 68', ascii: 'HyperFrame was h' });
    // The tab says how much of the file was read: a few screens of 4 KiB pages, not 4 GiB.
    const tab = await vs.until('no tab title', async () => page.locator('.tabs-container .tab.active').getAttribute('aria-label'));
    const kib = Number(/sparse-4g\.raw · (\d+) KiB read/.exec(tab ?? '')?.[1]);
    expect(kib).toBeGreaterThan(0);
    expect(kib).toBeLessThanOrEqual(64);
    await vs.screenshot('sparse');
  });
});
