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
    vs = await VsCode.start({ name: 'pageTables', files: { '.vscode/launch.json': attachLaunchJson('Attach long4smp', guest.gdbPort), 'notes.log': 'pte 0x00fb152063\n(XEN) mm.c: table mfn=0x110 at pa=0x110000\n' } });
  }, 180_000);

  afterAll(async () => {
    await vs?.stop();
    await guest?.stop();
  });

  const rows = () => vs.treeRows(TREE);

  it('shows a welcome with a way to start a session, then one root per vCPU once it stops', async () => {
    await vs.command('HyperFrame: Focus on Page Tables View');
    // Wait for the words, not the element: a welcome pane is in the DOM before its text is drawn.
    const welcome = await vs.until('no welcome text in the empty view', async () => (await vs.page.locator(`${VIEW} .welcome-view-content`).allInnerTexts()).join(' ').trim() || undefined);
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

  it('while the guest runs the view says so; at the next stop the tree comes back as it was expanded', async () => {
    const { page } = vs;
    await page.locator('.debug-toolbar .codicon-debug-continue').click();
    const welcome = await vs.until('no "running" welcome while the guest runs', async () => (await page.locator('.welcome-view-content').allInnerTexts()).join(' ').match(/The target is running[^\n]*/)?.[0]);
    expect(welcome).toMatch(/Pause to see them/);
    await vs.screenshot('running');
    await page.locator('.debug-toolbar .codicon-debug-pause').click();
    // Expansion is kept by node id across stops: the leaf revealed before is listed again.
    const leaf = await vs.until('the expanded path did not come back after the stop', async () => (await rows()).find((r) => r.startsWith('[0] 00000000_40000000–00000000_40000fff → 0x900000')), 30_000);
    expect(leaf).toMatch(/4 KiB · P RW A D XD$/);
    const selected = await vs.until('the selection did not come back after the stop', async () => (await vs.treeItems(`${TREE} .monaco-list-row.selected`)).map((r) => r.label)[0]);
    expect(selected).toMatch(/^\[0\] 00000000_40000000–00000000_40000fff/);
  });

  it('Add Page Table Root pins a table by PA; it is listed with its entries and removed again', async () => {
    await vs.command('HyperFrame: Add Page Table Root…');
    await vs.answer('Physical address');
    await vs.answer(`0x${T.PML4_AP.toString(16)}`);
    await vs.answer('4-level');
    await vs.answer('AP tables');
    const pinned = await vs.until('the pinned root did not appear', async () => (await rows()).find((r) => r.startsWith('AP tables')));
    expect(pinned).toBe(`AP tables  4-level · PA 0x${T.PML4_AP.toString(16)}`);
    await vs.page.locator(`${TREE} .monaco-list-row`).filter({ hasText: /^AP tables/ }).first().click();
    const kids = await vs.until('the pinned root has no entries', async () => {
      const r = await rows();
      const at = r.findIndex((x) => x.startsWith('AP tables'));
      return at >= 0 && r[at + 1]?.startsWith('[0] ') ? r.slice(at + 1, at + 4) : undefined;
    });
    expect(kids[0]).toMatch(/^\[0\] 00000000_00000000–0000007f_ffffffff → 0x11e000 /);
    await vs.screenshot('pinned');
    await vs.page.locator(`${TREE} .monaco-list-row`).filter({ hasText: /^AP tables/ }).first().click({ button: 'right' });
    // VS Code's menus act on mouse-up; hover the item, then Enter, as a keyboard user would.
    await vs.page.locator('.context-view .action-label', { hasText: 'Remove Pinned Root' }).first().hover();
    await vs.page.keyboard.press('Enter');
    await vs.until('the pinned root was not removed', async () => !(await rows()).some((r) => r.startsWith('AP tables')));
  });

  it('a PTE value in a .log file: the hover decodes it and says where it lands on the stopped vCPU; an inlay hint follows it', async () => {
    await vs.openFile('notes.log');
    const hint = await vs.until('no inlay hint after the entry', async () => (await vs.page.locator('.editor-instance .view-line').allInnerTexts()).join('\n').replace(/\u00a0/g, ' ').match(/⟶ [^\n]*/)?.[0]);
    expect(hint).toBe('⟶ P RW A D · 0xfb152000');
    const hover = await vs.hoverText('0x00fb152063');
    // By hand (SDM table 4-19): bits 0, 1, 5, 6 = P RW A D; frame 0xfb152000; PAT entry 0 = WB.
    expect(hover).toMatch(/64-bit PTE\s+4 KiB page at 0xfb152000 · P RW A D · WB/);
    expect(hover).toMatch(/32-bit PTE\s+4 KiB page at 0xfb152000 · P RW A D · WB/);
    expect(hover).toMatch(/VA, PAE\s+PDPT 3 · PD 472 · PT 338 · offset 0x63/);
    // As a VA under the stopped vCPU's tables: what QEMU's own walker says on that vCPU.
    const live = /VA → PA under CPU (\d)'s CR3: PA (0x[0-9a-f]+) \(1 GiB page; R - - U -\)/.exec(hover);
    expect(live).not.toBeNull();
    await guest.hmp(`cpu ${live![1]}`);
    expect(await guest.hmp('gva2gpa 0xfb152063')).toMatch(new RegExp(`gpa: 0x0*${live![2].slice(2)}\\b`));
    await vs.screenshot('hover');
  });

  it('frame links in the .log file while the session lives; Decode Entry shows every field of the value under the cursor in the session’s mode', async () => {
    const { page } = vs;
    await vs.openFile('notes.log');
    // `mfn=0x110` and `pa=0x110000` (a session is live): VS Code underlines document links as detected-link.
    const links = await vs.until('no frame links in the log', async () => {
      const t = await page.locator('.editor-instance .detected-link').allInnerTexts();
      return t.length >= 2 ? t : undefined;
    });
    expect(links).toEqual(['0x110', '0x110000']);
    // The cursor right after the value on line 1: Decode Entry offers it.
    await page.locator('.editor-instance .view-line', { hasText: 'pte 0x00fb152063' }).first().click();
    await page.keyboard.press('End');
    await vs.command('HyperFrame: Decode Entry…');
    const input = page.locator('.quick-input-widget input').first();
    await vs.until('Decode Entry did not offer the value under the cursor', async () => (await input.inputValue()) === '0xfb152063');
    await page.keyboard.press('Enter');
    const rowsOf = async () => (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    const modes = await vs.until('no paging mode to pick', async () => ((await rowsOf())[0]?.startsWith('long4') ? rowsOf() : undefined));
    expect(modes[0]).toMatch(/^long4 ?4-level · CPU \d's mode in the debug session/);
    await page.keyboard.press('Enter');
    // By hand (SDM table 4-19): P RW A D, frame 0xfb152000, PAT entry 0 = WB; PS clear, so a PTE first.
    const levels = await vs.until('no level to pick', async () => ((await rowsOf())[0]?.startsWith('PTE') ? rowsOf() : undefined));
    expect(levels[0]).toMatch(/^PTE ?level 1 · most likely ?4 KiB page at 0xfb152000 · P RW A D · WB$/);
    await page.keyboard.press('Enter');
    const text = await vs.until('the decode document did not open', async () => {
      const t = (await page.locator('.editor-instance .view-line').allInnerTexts()).join('\n').replace(/\u00a0/g, ' ');
      return t.includes('as a long4 PTE') ? t : undefined;
    });
    expect(text).toContain('0x00000000fb152063 as a long4 PTE (level 1)');
    expect(text).toMatch(/51:12 +address +0xfb152000 +page frame/);
    expect(text).toMatch(/63 +XD +0 +execute allowed/);
    expect(await page.locator('.tabs-container .tab.active').getAttribute('aria-label')).toContain('Decode 0xfb152063 · long4 PTE');
    await vs.screenshot('decode-entry');
  });

  it('the frame editor: a root opens in page-table mode, an entry is followed, a byte is edited, saved and read back', async () => {
    const { page } = vs;
    await page.locator(`${TREE} .monaco-list-row`).filter({ hasText: /^CPU 0 ·/ }).first().click({ button: 'right' });
    await page.locator('.context-view .action-label', { hasText: 'Open Frame in Hex Editor' }).first().hover();
    await page.keyboard.press('Enter');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const title = await vs.until('the frame editor did not open', async () => (await frame.locator('header .title').innerText()).trim(), 30_000);
    expect(title).toBe(`Frame 0x${T.PML4.toString(16)} · MFN 0x${(T.PML4 >> 12n).toString(16)}`);
    // Page-table mode from where it was opened: entry 0 of the PML4 as the guest wrote it (xp).
    const raw0 = parseXp(await guest.hmp(`xp /1gx 0x${T.PML4.toString(16)}`))[0];
    const row0 = await vs.until('no entry rows', async () => (await frame.locator('table.entries tr').nth(1).innerText()).replace(/\s+/g, ' '));
    expect(row0).toBe(`0 0x0 0x${raw0.toString(16)} table 0x${T.PDPT_LO.toString(16)} P RW US A`);
    await vs.screenshot('frame-table');
    await frame.locator('table.entries a', { hasText: `table 0x${T.PDPT_LO.toString(16)}` }).first().click();
    await vs.until('following entry 0 did not open the PDPT', async () => (await frame.locator('header .title').innerText()).includes(`Frame 0x${T.PDPT_LO.toString(16)}`));
    expect(await frame.locator('header .sub').innerText()).toMatch(/read as long4 PDPT table, VA 0x0/);
    // A byte of CPU 1's data page (0x900000): edit, save, read back through the Debug Console.
    await frame.locator('nav input').fill('0x900000');
    await frame.locator('nav input').press('Enter');
    await frame.locator('nav button', { hasText: 'Bytes' }).click();
    await vs.until('the bytes of 0x900000 did not show', async () => (await frame.locator('.row .off').first().innerText()) === '0x0000000000900000');
    await frame.locator('.row .b').first().click();
    await page.keyboard.type('5a');
    await vs.until('the edit did not show as changed', async () => (await frame.locator('.row .b.dirty').first().innerText()) === '5a');
    await page.keyboard.press('Control+s');
    await vs.until('the save did not finish', async () => !(await frame.locator('header .dirtynote').count()), 15_000);
    expect(parseXp(await guest.hmp('xp /1bx 0x900000'))[0]).toBe(0x5an);
    const consoleText = await vs.console('phys 0x900000 16', /0x0000000000900000 {2}5a/);
    expect(consoleText).toMatch(/0x0000000000900000 {2}5a/);
    await vs.screenshot('frame-saved');
  });
});
