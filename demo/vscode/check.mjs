// The demo's headless check: drives the code-server that scripts/demo.sh started with Debian's
// chromium through playwright-core, the way a person would, and fails with one clear line if a
// step does not happen. Steps: open the workbench, start the HyperFrame launch configuration,
// see the vCPUs in the call stack, run the guest into its loop and pause it, report whether VS
// Code focused the top frame and opened its disassembly listing by itself (and what hovering an
// address there shows), run `walk` in the Debug Console and see its output, take a screenshot,
// stop debugging.
//
// With --guest xen (the demo's default) it attaches to the demo's Xen + dom0 instead and walks
// the HyperFrame views: the Page Tables tree, a frame in the hex editor in page-table mode, a
// hover in Xen's boot log, translate in the Debug Console; a screenshot of each.
//
//   node check.mjs --url http://127.0.0.1:8080/ --screenshot shot.png [--guest xen|long4spin] [--config NAME] [--chromium PATH]
import { chromium } from 'playwright-core';
import { setTimeout as sleep } from 'node:timers/promises';

function option(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  if (dflt === undefined) {
    console.error(`check: --${name} is required`);
    process.exit(2);
  }
  return dflt;
}

const url = option('url');
const screenshot = option('screenshot');
const guest = option('guest', 'long4spin');
const configName = option('config', guest === 'xen' ? 'Attach to Xen + dom0 (the demo\'s QEMU, port 1234)' : 'Launch long4spin under QEMU');
const executablePath = option('chromium', '/usr/bin/chromium');
const started = Date.now();

const say = (text) => console.log(`check: ${text} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

class CheckFailure extends Error {}

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs`. */
async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new CheckFailure(`${what} (waited ${timeoutMs / 1000} s)`);
    await sleep(250);
  }
}

const rowsText = (page, selector) => page.locator(selector).allInnerTexts();
const shot = (name) => screenshot.replace(/(\.png)?$/, `-${name}.png`);

/** Label and description of each row of a tree, as the user reads them. */
const treeRows = (page, selector) =>
  page.locator(`${selector} .monaco-list-row`).evaluateAll((rows) =>
    rows.map((r) => `${r.querySelector('.label-name')?.textContent ?? ''}  ${r.querySelector('.label-description')?.textContent ?? ''}`.trim()),
  );

/** Runs a command by its title from the Command Palette, reopening it until the command is there. */
async function command(page, title) {
  await until(`the command '${title}' is not in the Command Palette`, async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible', timeout: 5_000 });
    await input.fill(`>${title}`);
    await sleep(500);
    return (await rowsText(page, '.quick-input-list .monaco-list-row')).some((t) => t.includes(title));
  }, 30_000);
  await page.keyboard.press('Enter');
}

/** Right-clicks a row and picks a context-menu item by its text. */
async function contextMenu(page, row, item) {
  await row.click({ button: 'right' });
  await page.locator('.context-view .action-label', { hasText: item }).first().hover();
  await page.keyboard.press('Enter');
}

/** The Xen demo: the Page Tables view, the frame editor, a hover in the boot log, the console. */
async function xenFlow(page) {
  const TREE = '.pane:has(.pane-header[aria-label^="Page Tables"])';
  // Attaching pauses the machine; Run and Debug opens with the session (debug.openDebug). Then
  // the HyperFrame view, as a user would open it.
  await until('the call stack did not show the vCPUs, paused', async () => (await rowsText(page, '.debug-call-stack .monaco-list-row')).some((r) => /paused/i.test(r)), 60_000);
  say(`call stack: ${(await rowsText(page, '.debug-call-stack .monaco-list-row')).map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
  // VS Code opens the stopped frame's listing and focuses it just after the stop: let it, then
  // open the view (again if the listing took the focus from the palette).
  await sleep(1500);
  await until('the Page Tables view did not open', async () => {
    await command(page, 'HyperFrame: Focus on Page Tables View');
    await sleep(500);
    return page.locator(TREE).isVisible();
  }, 30_000);
  // Wider side bar: the labels carry VA spans.
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (sidebar) {
    await page.mouse.move(sidebar.x + sidebar.width, sidebar.y + 300);
    await page.mouse.down();
    await page.mouse.move(sidebar.x + sidebar.width + 20, sidebar.y + 300, { steps: 2 });
    await page.mouse.move(sidebar.x + 700, sidebar.y + 300, { steps: 8 });
    await page.mouse.up();
  }
  const root = await until('the Page Tables view did not show CPU 0 of dom0', async () => (await treeRows(page, TREE)).find((r) => /^CPU 0 · CR3 0x[0-9a-f]+ · 4-level/.test(r)), 60_000);
  say(`Page Tables: ${root}`);
  const row = (re) => page.locator(`${TREE} .monaco-list-row`).filter({ hasText: re }).first();
  await row(/^CPU 0 ·/).click();
  await row(/^\[262\] ffff8300_/).click();
  const direct = await until('the direct-map slot did not open', async () => (await treeRows(page, TREE)).find((r) => r.startsWith('[0] ffff8300_00000000')), 20_000);
  say(`Xen's direct map, first entry: ${direct}`);
  await row(/^\[258\] ffff8100_/).hover();
  await until('no tooltip on the linear page-table slot', async () => (await page.locator('.monaco-hover, .workbench-hover').allInnerTexts()).join(' ').includes('recursive slot'), 10_000);
  await page.screenshot({ path: shot('tree') });
  say(`screenshot: ${shot('tree')}`);

  // The frame of CPU 0's top-level table in the hex editor, in page-table mode.
  await contextMenu(page, row(/^CPU 0 ·/), 'Open Frame in Hex Editor');
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const title = await until('the frame editor did not open', async () => (await frame.locator('header .title').innerText()).trim(), 30_000);
  await until('the frame editor did not decode the table', async () => (await frame.locator('table.entries tr').count()) > 100, 20_000);
  await page.mouse.move(900, 20); // away from the tree: its tooltip would cover the view
  // The header row, then entry 0…: click its index cell (a click on its link would follow it).
  await frame.locator('table.entries tr').nth(263).locator('td.idx').click();
  say(`frame editor: ${title}, entry 262 selected`);
  await page.screenshot({ path: shot('frame') });
  say(`screenshot: ${shot('frame')}`);

  // Xen's boot log: hover the virtual address dom0's kernel was loaded at.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  await page.keyboard.type('xen-boot.log');
  await sleep(800);
  await page.keyboard.press('Enter');
  // Find the line (the editor renders only what is on screen), then leave the find widget.
  await until('xen-boot.log did not open', async () => (await page.locator('.tabs-container .tab.active').getAttribute('aria-label'))?.includes('xen-boot.log'), 15_000);
  await page.locator('.editor-instance .view-lines').first().click();
  await page.keyboard.press('Control+F');
  await page.keyboard.type('Loaded kernel:');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  const line = page.locator('.editor-instance .view-line', { hasText: 'Loaded kernel:' }).first();
  await line.waitFor({ timeout: 20_000 });
  await line.scrollIntoViewIfNeeded();
  const span = line.locator('span', { hasText: /ffffffff[0-9a-f]{8}/ }).first();
  const box = await span.boundingBox();
  const text = (await span.innerText()).replace(/\u00a0/g, ' ');
  const at = text.search(/ffffffff[0-9a-f]{8}/) + 8;
  const x = box.x + (box.width * at) / Math.max(1, text.length);
  await page.mouse.move(x, box.y + box.height / 2);
  await page.mouse.move(x + 2, box.y + box.height / 2);
  const hover = await until('no hover over the kernel address in xen-boot.log', async () => {
    const t = (await page.locator('.monaco-hover .hover-contents').allInnerTexts()).join('\n');
    return /VA → PA under CPU \d/.test(t) ? t : undefined;
  }, 15_000);
  say(`hover: ${hover.split('\n').filter((l) => /VA, 4-level|VA → PA/.test(l)).join(' | ').replace(/\s+/g, ' ')}`);
  await page.screenshot({ path: shot('hover') });
  say(`screenshot: ${shot('hover')}`);
  await page.mouse.move(5, 500);

  // The Debug Console: translate Xen's direct map.
  await command(page, 'Debug Console: Focus on Debug Console View');
  await page.locator('.repl .repl-input-wrapper').click();
  await page.keyboard.type('translate 0xffff830000000000');
  await page.keyboard.press('Enter');
  const pa = await until('the Debug Console did not translate the direct map', async () => (await page.locator('.repl').innerText()).match(/PA 0x[0-9a-f]+ [^\n]*/)?.[0], 30_000);
  say(`translate 0xffff830000000000: ${pa}`);
  await page.screenshot({ path: screenshot });

  await command(page, 'Debug: Disconnect');
  await until('the debug session did not end', async () => (await page.locator('.debug-call-stack .monaco-list-row').count()) === 0, 20_000);
  say('debug session ended; Xen runs on');
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
let page;
let exitCode = 0;
try {
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });

  await page.goto(url);
  await until('the VS Code workbench did not appear', async () => (await page.locator('.monaco-workbench .part.editor').count()) > 0, 60_000);
  // The explorer lists the workspace once the workbench has loaded it.
  await until('the explorer did not list the demo workspace (README.md)', async () => (await rowsText(page, '.explorer-folders-view .monaco-list-row')).some((t) => t.includes('README.md')), 60_000);
  say('workbench open');

  // Start the launch configuration: Ctrl+P, "debug NAME", then its row. The list does not refresh
  // while open, and the configurations appear once the extension host has registered the
  // debugger: reopen until it is there, and again if no session starts.
  await until(
    `the launch configuration '${configName}' did not start from "debug …" in Quick Open`,
    async () => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').first().waitFor({ state: 'visible', timeout: 5_000 });
      await page.keyboard.type(`debug ${configName}`);
      await sleep(1000);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: configName }).first();
      if (!(await row.count())) return false;
      await row.click();
      // The debug toolbar appears with the session.
      for (let i = 0; i < 40; i++) {
        if (await page.locator('.debug-toolbar').isVisible().catch(() => false)) return true;
        await sleep(250);
      }
      return false;
    },
    90_000,
  );
  say(`started '${configName}'`);
  if (guest === 'xen') {
    await xenFlow(page);
  } else {

  // The vCPUs are the call stack's threads; with stopOnAttach the first stop is QEMU's reset.
  const callStack = '.debug-call-stack .monaco-list-row';
  const toasts = async () => (await rowsText(page, '.notifications-toasts .notification-list-item')).join(' ').replace(/\s+/g, ' ').trim();
  const callStackFailure = async (e) => {
    const notes = await toasts();
    throw new CheckFailure(`${e.message}; the call stack held: ${JSON.stringify(await rowsText(page, callStack))}${notes ? `; VS Code said: ${notes}` : ''}`);
  };
  const atAttach = await until(
    'the call stack did not show the two vCPUs, paused',
    async () => {
      // The Run and Debug view opens with the session (debug.openDebug); open it if it did not.
      if (!(await page.locator('.debug-call-stack').isVisible())) await page.keyboard.press('Control+Shift+D');
      const rows = await rowsText(page, callStack);
      return rows.length >= 2 && rows.some((r) => /paused/i.test(r)) ? rows : undefined;
    },
    60_000,
  ).catch(callStackFailure);
  say(`call stack at attach: ${atAttach.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);

  // Let the guest boot into its loop (Continue, F5), then stop it there (Pause, F6).
  await page.locator('.debug-call-stack').click();
  await page.keyboard.press('F5');
  await until('the vCPUs did not run after Continue (F5)', async () => (await rowsText(page, callStack)).some((r) => /running/i.test(r)), 15_000).catch(callStackFailure);
  await sleep(2000);
  await page.keyboard.press('F6');
  await until('the vCPUs did not pause after Pause (F6)', async () => (await rowsText(page, callStack)).some((r) => /paused on pause/i.test(r)), 30_000).catch(callStackFailure);

  // Every frame has a source (a disassembly listing the adapter serves), so VS Code focuses the
  // stopped vCPU's top frame and opens its listing by itself. Say whether it did, then click the
  // frame anyway, as a person would (and so that the steps below never depend on it).
  const focusedFrame = await until(
    'VS Code did not focus a spin_… frame by itself',
    async () => (await rowsText(page, `${callStack}.selected`)).find((r) => /spin_/.test(r)),
    5_000,
  ).catch(() => undefined);
  const listingTab = await until(
    'VS Code did not open the frame\'s listing (a "… (CPU n).dis" editor)',
    async () => (await page.locator('.tabs-container .tab').evaluateAll((tabs) => tabs.map((t) => t.getAttribute('aria-label') ?? ''))).find((t) => /\(CPU \d+\)\.dis/.test(t)),
    5_000,
  ).catch(() => undefined);
  say(`focused by VS Code: ${focusedFrame ? focusedFrame.replace(/\s+/g, ' ') : 'no frame'}; listing open: ${listingTab ?? 'no'}`);
  const firstThread = page.locator(callStack).first();
  if ((await firstThread.getAttribute('aria-expanded')) !== 'true') await firstThread.locator('.monaco-tl-twistie').click();
  const inLoop = await until(
    'the call stack did not show the guest loop (a spin_… frame) under the first vCPU',
    async () => {
      const rows = await rowsText(page, callStack);
      return rows.some((r) => /spin_/.test(r)) ? rows : undefined;
    },
    30_000,
  ).catch(callStackFailure);
  say(`call stack after pause: ${inLoop.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
  await page.locator(callStack, { hasText: 'spin_' }).first().click();

  // Optional: hover an address in the listing; VS Code asks the adapter (evaluate, context
  // 'hover') only in the focused frame's document. Reported, never failed on.
  const hover = await (async () => {
    const row = page.locator('.editor-instance .monaco-editor .view-line', { hasText: /^0x[0-9a-f]{16}\s+<spin_/ }).first();
    await row.waitFor({ state: 'visible', timeout: 5_000 });
    const box = await row.boundingBox();
    if (!box) return undefined;
    await page.mouse.move(box.x + 40, box.y + box.height / 2);
    await page.mouse.move(box.x + 44, box.y + box.height / 2);
    return until('no hover', async () => (await page.locator('.debug-hover-widget').allInnerTexts()).map((t) => t.trim()).find((t) => /as a VA/.test(t)), 8_000);
  })().catch(() => undefined);
  say(`hover over an address in the listing: ${hover ? JSON.stringify(hover.replace(/\s*\n\s*/g, ' / ')) : 'none shown'}`);
  if (hover) await page.screenshot({ path: screenshot.replace(/(\.png)?$/, '-hover.png') });
  await page.mouse.move(5, 500);

  // Variables: the register scopes. Fold General (open by default, it fills the view) and open
  // Control (CR0, CR3, CR4, EFER decoded).
  const variables = '.debug-variables .monaco-list-row';
  const scopeRow = (name) => page.locator(variables).filter({ hasText: new RegExp(`^\\s*${name}\\s*$`) }).first();
  const variablesFailure = async (e) => {
    throw new CheckFailure(`${e.message}; Variables held: ${JSON.stringify(await rowsText(page, variables))}`);
  };
  await until('the Variables view did not show the General scope', async () => (await scopeRow('General').count()) > 0, 20_000).catch(variablesFailure);
  if ((await scopeRow('General').getAttribute('aria-expanded')) === 'true') await scopeRow('General').locator('.monaco-tl-twistie').click();
  await until('the Variables view did not show the Control scope', async () => (await scopeRow('Control').count()) > 0, 20_000).catch(variablesFailure);
  if ((await scopeRow('Control').getAttribute('aria-expanded')) !== 'true') await scopeRow('Control').locator('.monaco-tl-twistie').click();
  const cr3 = await until('the Control scope did not show CR3', async () => (await rowsText(page, variables)).find((t) => /^\s*cr3\b/i.test(t)), 20_000).catch(variablesFailure);
  say(`Variables: ${cr3.replace(/\s+/g, ' ')}`);

  // `walk` in the Debug Console, maximized so that the screenshot shows all of its output.
  await page.locator('.part.panel .action-label.codicon-panel-maximize').first().click({ timeout: 5_000 }).catch(() => say('note: could not maximize the panel'));
  await page.locator('.repl .repl-input-wrapper').click();
  await page.keyboard.type('walk');
  await page.keyboard.press('Enter');
  const walk = await until(
    'the Debug Console did not show the output of walk ("… pages in … ranges")',
    async () => (await page.locator('.repl').innerText()).match(/#[^\n]*\d+ pages in \d+ ranges/)?.[0],
    30_000,
  ).catch(async (e) => {
    throw new CheckFailure(`${e.message}; the console ends with: ${JSON.stringify((await page.locator('.repl').innerText().catch(() => '')).slice(-400))}`);
  });
  say(`walk: ${walk}`);

  await sleep(500);
  await page.screenshot({ path: screenshot });
  say(`screenshot: ${screenshot}`);

  // Stop debugging: the adapter quits the QEMU it started.
  await page.locator('.debug-call-stack').click();
  await page.keyboard.press('Shift+F5');
  await until('the debug session did not end after Stop (Shift+F5)', async () => (await page.locator(callStack).count()) === 0, 20_000);
  say('debug session stopped');
  }
} catch (e) {
  exitCode = 1;
  console.error(`check FAILED: ${e instanceof CheckFailure ? e.message : (e?.stack ?? e)}`);
  if (page) {
    const failShot = screenshot.replace(/(\.png)?$/, '-failed.png');
    await page.screenshot({ path: failShot }).then(
      () => console.error(`check: screenshot of the failure: ${failShot}`),
      () => undefined,
    );
  }
} finally {
  await browser.close().catch(() => undefined);
}
process.exit(exitCode);
