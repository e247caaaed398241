/**
 * The Page Tables view over dumps, as over live stubs: the sample ELF core (tables written by hand
 * in test/fixtures/sampleDumps.ts) and a raw image with the root given in the launch configuration.
 */
import { writeFileSync } from 'node:fs';
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
});
