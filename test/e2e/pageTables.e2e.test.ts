/**
 * The Page Tables view in a real VS Code, attached to the long4smp guest (two vCPUs, each its own
 * CR3). Truth: the guest's own tables (long4.expected.ts, written by hand from its source) and
 * QEMU's `xp` of them over the monitor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, type BootedGuest, parseXp } from '../guests/harness';
import { T } from '../guests/long4.expected';
import { attachLaunchJson, e2eUnavailable, VsCode } from './vscode';

const unavailable = e2eUnavailable();
const VIEW = '[id="workbench.view.extension.hyperframe"]';
const TREE = '.pane:has(.pane-header[aria-label^="Page Tables"])';

describe.skipIf(unavailable)('the Page Tables view (code-server, long4smp)', () => {
  let guest: BootedGuest;
  let vs: VsCode;

  beforeAll(async () => {
    guest = await bootGuest('long4smp');
    vs = await VsCode.start({ name: 'pageTables', files: { '.vscode/launch.json': attachLaunchJson('Attach long4smp', guest.gdbPort), 'notes.log': 'pte 0x00fb152063\n' } });
  }, 180_000);

  afterAll(async () => {
    await vs?.stop();
    await guest?.stop();
  });

  const rows = () => vs.treeRows(TREE);

  it('shows a welcome with a way to start a session, then one root per vCPU once it stops', async () => {
    await vs.command('HyperFrame: Focus on Page Tables View');
    const welcome = await vs.until('no welcome text in the empty view', async () => (await vs.page.locator(`${VIEW} .welcome-view-content`).allInnerTexts()).join(' '));
    expect(welcome).toMatch(/No HyperFrame debug session/);
    await vs.screenshot('welcome');
    await vs.widenSideBar(760);
    await vs.startDebugging('Attach long4smp');
    const roots = await vs.until('the vCPU roots did not appear', async () => {
      const r = await rows();
      return r.filter((x) => /^CPU \d/.test(x)).length >= 2 ? r : undefined;
    }, 60_000);
    expect(roots).toContain(`CPU 0 · CR3 0x${T.PML4.toString(16)} · 4-level`);
    expect(roots).toContain(`CPU 1 · CR3 0x${T.PML4_AP.toString(16)} · 4-level`);
    await vs.screenshot('roots');
  });

  it('expands CPU 0 down to a 2 MiB leaf whose label and tooltip match the guest’s PDE (xp)', async () => {
    const { page } = vs;
    const expand = async (label: RegExp) => {
      const row = page.locator(`${TREE} .monaco-list-row`).filter({ hasText: label }).first();
      await row.waitFor({ timeout: 20_000 });
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
      return row;
    };
    await expand(/^CPU 0 ·/);
    await expand(/^\[0\] 00000000_00000000–0000007f_ffffffff → 0x111000/);
    await expand(/^\[1\] 00000000_40000000–00000000_7fffffff → /);
    const pd = await vs.until('the page directory of 0x40000000 did not list its 2 MiB page', async () => (await rows()).find((r) => r.startsWith('[1] 00000000_40200000–00000000_403fffff')));
    const raw = parseXp(await guest.hmp(`xp /1gx 0x${(T.PD_SHARED + 8n).toString(16)}`))[0];
    // By hand from the SDM (table 4-18): bits 0 P, 1 RW, 5 A, 6 D, 7 PS, 63 XD; address bits 51:21.
    expect(raw).toBe(0x80000000_00a000e3n);
    expect(pd).toBe('[1] 00000000_40200000–00000000_403fffff → 0xa00000  2 MiB · P RW A D PS XD');
    await page.locator(`${TREE} .monaco-list-row`).filter({ hasText: /^\[1\] 00000000_40200000/ }).first().hover();
    const tip = await vs.until('no tooltip on the 2 MiB leaf', async () => (await page.locator('.monaco-hover, .workbench-hover').allInnerTexts()).join('\n'));
    expect(tip).toContain(`0x${raw.toString(16)}`);
    expect(tip).toContain(`0x${(T.PD_SHARED + 8n).toString(16)}`); // the entry's own PA
    expect(tip).toMatch(/PS\s*\|?\s*1/);
    await vs.screenshot('leaf-tooltip');
  });

  it('Go to Virtual Address reveals the leaf of a VA under the vCPU chosen, as QEMU translates it', async () => {
    await vs.command('HyperFrame: Go to Virtual Address…');
    await vs.answer('CPU 1');
    await vs.answer('0x40000123');
    await guest.hmp('cpu 1');
    const qemu = await guest.hmp('gva2gpa 0x40000123');
    const pa = BigInt(/gpa: (0x[0-9a-f]+)/.exec(qemu)![1]);
    const leaf = new RegExp(`^\\[0\\] 00000000_40000000–00000000_40000fff → 0x${(pa & ~0xfffn).toString(16)} `);
    const selected = async () => (await vs.treeItems(`${TREE} .monaco-list-row.selected`)).map((r) => `${r.label}  ${r.description}`);
    const row = await vs.until(`the leaf of 0x40000123 was not selected`, async () => (await selected()).find((t) => leaf.test(t))).catch(async (e: Error) => {
      throw new Error(`${e.message}; selected: ${JSON.stringify(await selected())}`);
    });
    expect(row).toMatch(/ {2}4 KiB · P RW A D XD$/);
    await vs.screenshot('go-to-va');
  });
});
