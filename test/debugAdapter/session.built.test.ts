/**
 * The built adapter as VS Code runs it: `node dist/debugAdapter.js`, DAP over stdin/stdout. One
 * session through DebugClient; then the adapter ended by SIGTERM and by its stdin closing while
 * attached: either way it detaches first and the VM keeps running.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, type BootedGuest } from '../guests/harness';
import { SPIN } from '../guests/long4spin.expected';

const ROOT = join(__dirname, '..', '..');
const ADAPTER = join(ROOT, 'dist', 'debugAdapter.js');

/** Just enough DAP over a child's stdio to attach and watch for events. */
class StdioDap {
  private buf = Buffer.alloc(0);
  private seq = 1;
  private readonly waiting = new Map<number, (r: DebugProtocol.Response) => void>();
  private readonly events: DebugProtocol.Event[] = [];
  private readonly eventWaiters: { name: string; resolve: (e: DebugProtocol.Event) => void }[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (d: Buffer) => this.onData(d));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const head = this.buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = Number(/Content-Length: (\d+)/.exec(this.buf.subarray(0, head).toString())?.[1]);
      if (this.buf.length < head + 4 + len) return;
      const msg = JSON.parse(this.buf.subarray(head + 4, head + 4 + len).toString()) as DebugProtocol.ProtocolMessage;
      this.buf = this.buf.subarray(head + 4 + len);
      if (msg.type === 'response') this.waiting.get((msg as DebugProtocol.Response).request_seq)?.(msg as DebugProtocol.Response);
      if (msg.type === 'event') {
        const ev = msg as DebugProtocol.Event;
        const i = this.eventWaiters.findIndex((w) => w.name === ev.event);
        if (i >= 0) this.eventWaiters.splice(i, 1)[0].resolve(ev);
        else this.events.push(ev);
      }
    }
  }

  request(command: string, args: unknown): Promise<DebugProtocol.Response> {
    const seq = this.seq++;
    const json = JSON.stringify({ type: 'request', seq, command, arguments: args });
    this.child.stdin.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    return new Promise((resolve) => this.waiting.set(seq, resolve));
  }

  event(name: string): Promise<DebugProtocol.Event> {
    const i = this.events.findIndex((e) => e.event === name);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]);
    return new Promise((resolve) => this.eventWaiters.push({ name, resolve }));
  }
}

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
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'pipe' });
    guest = await bootGuest('long4');
  }, 120_000);
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
      expect(frames[0]).toMatchObject({ name: 'spin_main+0xa', instructionPointerReference: `0x${SPIN.spin_after_func.toString(16)}` });
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
    const child = spawn(process.execPath, [ADAPTER], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const dap = new StdioDap(child);
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
