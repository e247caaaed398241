/**
 * The built adapter as VS Code runs it: `node dist/debugAdapter.js`, DAP over stdin/stdout. One
 * session through DebugClient; then the adapter ended by SIGTERM and by its stdin closing while
 * attached: either way it detaches first and the VM keeps running. Then `launch`: a QEMU the
 * session started ends with it, unless the disconnect says terminateDebuggee: false, in which case
 * it must outlive the adapter process (whose exit kills the QEMU it still owns).
 */
import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, buildGuest, HmpClient, type BootedGuest } from '../guests/harness';
import { SPIN } from '../guests/long4spin.expected';
import { ADAPTER, buildAdapter, StdioDap } from './session.stdio';
import { alive, gone } from '../helpers/processes';

const QEMU = process.env.HF_QEMU ?? 'qemu-system-x86_64';

beforeAll(() => buildAdapter(), 120_000);

async function statusSoon(g: BootedGuest, want: RegExp): Promise<string> {
  let s = '';
  for (let i = 0; i < 100 && !want.test(s); i++) {
    s = await g.hmp('info status');
    if (!want.test(s)) await new Promise((r) => setTimeout(r, 20));
  }
  return s;
}

describe('the built adapter (node dist/debugAdapter.js)', () => {
  let guest: BootedGuest;

  beforeAll(async () => {
    guest = await bootGuest('long4');
  });
  afterAll(async () => guest?.stop());

  it('runs a session over stdio: attach, entry stop, threads, disconnect', async () => {
    const dc = new DebugClient('node', ADAPTER, 'hyperframe');
    await dc.start();
    try {
      await dc.initializeRequest({ adapterID: 'hyperframe', pathFormat: 'path' });
      const configured = dc.waitForEvent('initialized', 15_000).then(() => dc.configurationDoneRequest());
      const [stopped] = await Promise.all([dc.waitForEvent('stopped', 15_000), configured, dc.attachRequest({ port: guest.gdbPort } as never)]);
      expect((stopped as DebugProtocol.StoppedEvent).body.reason).toBe('entry');
      expect((await dc.threadsRequest()).body.threads).toEqual([{ id: 1, name: 'CPU 0 (halted)' }]);
      expect(await guest.hmp('info status')).toMatch(/paused/);
      await dc.disconnectRequest({});
      expect(await statusSoon(guest, /running/)).toMatch(/VM status: running/);
    } finally {
      await dc.stop();
    }
  });

  it('steps over a call with the bundled decoder (iced-x86 WebAssembly next to the bundle)', async () => {
    const spin = await bootGuest('long4spin');
    const dc = new DebugClient('node', ADAPTER, 'hyperframe');
    await dc.start();
    try {
      await dc.initializeRequest({ adapterID: 'hyperframe', pathFormat: 'path' });
      const configured = dc.waitForEvent('initialized', 15_000).then(() => dc.configurationDoneRequest());
      await Promise.all([dc.waitForEvent('stopped', 15_000), configured, dc.attachRequest({ port: spin.gdbPort, symbols: [spin.elfPath] } as never)]);
      const call = `0x${SPIN.spin_call_func.toString(16)}`;
      await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: call }] });
      const hit = dc.waitForEvent('stopped', 15_000);
      await dc.continueRequest({ threadId: 1 });
      const threadId = ((await hit) as DebugProtocol.StoppedEvent).body.threadId ?? 1;
      await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
      const stepped = dc.waitForEvent('stopped', 15_000);
      await dc.nextRequest({ threadId });
      expect(((await stepped) as DebugProtocol.StoppedEvent).body).toMatchObject({ reason: 'step', threadId });
      const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
      expect(frames[0]).toMatchObject({ name: 'spin_main+0xa', instructionPointerReference: `v${threadId - 1}:0x${SPIN.spin_after_func.toString(16)}` });
      await dc.disconnectRequest({});
    } finally {
      await dc.stop();
      await spin.stop();
    }
  });

  it.each([
    ['SIGTERM', (p: ChildProcessWithoutNullStreams) => p.kill('SIGTERM')],
    ['its stdin closing', (p: ChildProcessWithoutNullStreams) => p.stdin.end()],
  ])('detaches before exiting on %s', async (_what, end) => {
    const dap = StdioDap.start();
    const { child, exited } = dap;
    try {
      await dap.request('initialize', { adapterID: 'hyperframe', pathFormat: 'path' });
      const attach = await dap.request('attach', { port: guest.gdbPort });
      expect(attach.success).toBe(true);
      await dap.event('initialized');
      await dap.request('configurationDone', {});
      expect(((await dap.event('stopped')) as DebugProtocol.StoppedEvent).body.reason).toBe('entry');
      expect(await guest.hmp('info status')).toMatch(/paused/);
      end(child);
      await exited;
      expect(await statusSoon(guest, /running/)).toMatch(/VM status: running/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('launch with the built adapter: QEMU lives as long as the session, unless told otherwise', () => {
  let elf: string;
  let dir: string;
  const pids: number[] = [];

  beforeAll(async () => {
    elf = await buildGuest('long4');
    dir = await mkdtemp(join(tmpdir(), 'hf-launch-built-'));
  });
  afterAll(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const args = (monitor: string): string[] => [
    '-accel', 'tcg', '-display', 'none', '-nodefaults', '-no-reboot', '-serial', 'stdio',
    '-m', '64', '-cpu', 'qemu64,+pdpe1gb', '-kernel', elf, '-monitor', `unix:${monitor},server=on,wait=off`,
  ];

  /** Launches QEMU through a fresh adapter process, stopped at entry; its pid. */
  async function launch(dap: StdioDap, monitor: string): Promise<number> {
    const processEvent = dap.event('process');
    const stop = await dap.start('launch', { qemuPath: QEMU, args: args(monitor) });
    expect(stop?.body).toMatchObject({ reason: 'entry', threadId: 1 });
    const pid = ((await processEvent) as DebugProtocol.ProcessEvent).body.systemProcessId ?? -1;
    pids.push(pid);
    expect(alive(pid)).toBe(true);
    return pid;
  }

  it('terminateDebuggee false: QEMU outlives the adapter, running, its output in the files it named', async () => {
    const dap = StdioDap.start();
    const monitor = join(dir, 'kept.sock');
    try {
      const pid = await launch(dap, monitor);
      const r = await dap.request('disconnect', { terminateDebuggee: false });
      expect(r.success).toBe(true);
      await dap.exited; // the adapter is gone, with its exit hook
      expect(alive(pid)).toBe(true);
      const hmp = await HmpClient.connect(monitor, Date.now() + 5000, () => alive(pid));
      try {
        expect(await hmp.command('info status', 5000)).toMatch(/VM status: running/);
      } finally {
        hmp.close();
      }
      const said = new RegExp(`detached; the machine is running\\. QEMU \\(pid ${pid}\\) keeps running after this session; its output goes to (\\S+stdout\\.log) and (\\S+stderr\\.log)`);
      const m = said.exec(dap.consoleText());
      expect(m, dap.consoleText()).not.toBeNull();
      // The guest printed its marker once resumed: into the file, with no adapter to read it.
      const log = m?.[1] ?? '';
      const end = Date.now() + 10_000;
      while (!(existsSync(log) && readFileSync(log, 'utf8').includes('HF-GUEST-READY long4')) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(readFileSync(log, 'utf8')).toContain('HF-GUEST-READY long4');
      process.kill(pid, 'SIGKILL');
      await rm(dirname(log), { recursive: true, force: true });
    } finally {
      dap.child.kill('SIGKILL');
    }
  });

  it.each([
    ['a disconnect', (dap: StdioDap) => void dap.request('disconnect', {})],
    ['SIGTERM to the adapter', (dap: StdioDap) => dap.child.kill('SIGTERM')],
  ])('%s ends the QEMU the session launched', async (_what, end) => {
    const dap = StdioDap.start();
    try {
      const pid = await launch(dap, join(dir, `ended-${pids.length}.sock`));
      end(dap);
      await dap.exited;
      expect(await gone(pid)).toBe(true);
    } finally {
      dap.child.kill('SIGKILL');
    }
  });
});
