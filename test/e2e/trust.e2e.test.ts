/**
 * Restricted Mode: a launch.json that came with an untrusted folder must not start QEMU (or any
 * program it names) nor read QEMU's RAM from this host. The "QEMU" here is a shell script that would
 * leave a marker file if it ever ran. VS Code itself asks for trust before any debug session there;
 * the extension's own gate (src/shared/launchTrust.ts, unit-tested) stands behind it. A dump still
 * opens in the frame editor, read-only.
 */
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xenSampleRam } from '../fixtures/sampleDumps';
import { e2eUnavailable, VsCode } from './vscode';

const unavailable = e2eUnavailable();

describe.skipIf(unavailable)('Restricted Mode', () => {
  let vs: VsCode;
  let marker: string;

  beforeAll(async () => {
    const launch = {
      version: '0.2.0',
      configurations: [
        { type: 'hyperframe', request: 'launch', name: 'Launch the folder QEMU', qemuPath: '${workspaceFolder}/qemu.sh', args: ['-m', '64'] },
        { type: 'hyperframe', request: 'attach', name: 'Attach with host RAM', host: '127.0.0.1', port: 1 },
      ],
    };
    // Written before the workbench opens: the explorer need not notice files that appear later.
    const files = { '.vscode/launch.json': JSON.stringify(launch, null, 2), 'qemu.sh': '#!/bin/sh\ntouch "$(dirname "$0")/qemu-ran"\nsleep 30\n', 'ram.raw': xenSampleRam() };
    vs = await VsCode.start({ name: 'trust', restricted: true, files });
    marker = join(vs.workspace, 'qemu-ran');
    chmodSync(join(vs.workspace, 'qemu.sh'), 0o755);
  }, 180_000);

  afterAll(async () => {
    await vs?.stop();
  });

  /** VS Code asks before any debugging in Restricted Mode; the user says no. */
  const refuseTrust = async (shot: string) => {
    const dialog = vs.page.locator('.monaco-dialog-box');
    await vs.until('VS Code did not ask for trust', async () => /trust the authors/i.test(await dialog.innerText().catch(() => '')), 30_000);
    await vs.screenshot(shot);
    await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
    await vs.until('the trust dialog did not close', async () => (await dialog.count()) === 0);
  };
  const debugging = async () => vs.page.locator('.debug-toolbar').isVisible().catch(() => false);

  it('starts no program a launch configuration names, and no session', async () => {
    await vs.startDebugging('Launch the folder QEMU', { expectSession: false });
    await refuseTrust('launch-asks-trust');
    await new Promise((r) => setTimeout(r, 3000));
    expect(existsSync(marker)).toBe(false);
    expect(await debugging()).toBe(false);
  });

  it('starts no session for an attach either (VS Code asks first; the extension\'s own refusal is unit-tested)', async () => {
    await vs.startDebugging('Attach with host RAM', { expectSession: false });
    await refuseTrust('attach-asks-trust');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await debugging()).toBe(false);
  });

  it('still opens a dump read-only in the frame editor', async () => {
    const { page } = vs;
    await vs.openWith('ram.raw', 'HyperFrame Frame Editor');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const title = await vs.until('the frame editor did not open the image', async () => (await frame.locator('header .title').innerText()).trim(), 30_000);
    expect(title).toBe('Frame 0x0 · MFN 0x0');
    expect(await frame.locator('header').innerText()).toMatch(/read-only/i);
    await vs.screenshot('dump-in-restricted-mode');
  });
});
