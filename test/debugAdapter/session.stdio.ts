/**
 * The built adapter as VS Code runs it: `node dist/debugAdapter.js`, DAP over its stdin/stdout,
 * with just enough of the protocol to start a session, send requests and watch for events. Unlike
 * the in-process server, the adapter here is a process of its own, which exits at the end of the
 * session (and with it whatever its exit hook kills).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const ROOT = join(__dirname, '..', '..');
export const ADAPTER = join(ROOT, 'dist', 'debugAdapter.js');

/** Bundles dist/debugAdapter.js (scripts/build.mjs), as the extension ships it. */
export function buildAdapter(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'pipe' });
}

export class StdioDap {
  /** Resolves with the exit code once the adapter process has exited. */
  readonly exited: Promise<number | null>;
  /** Every output event's text, in order. */
  readonly output: string[] = [];
  private buf = Buffer.alloc(0);
  private seq = 1;
  private readonly waiting = new Map<number, (r: DebugProtocol.Response) => void>();
  private readonly events: DebugProtocol.Event[] = [];
  private readonly eventWaiters: { name: string; resolve: (e: DebugProtocol.Event) => void }[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    child.stdout.on('data', (d: Buffer) => this.onData(d));
  }

  static start(): StdioDap {
    return new StdioDap(spawn(process.execPath, [ADAPTER], { stdio: ['pipe', 'pipe', 'pipe'] }));
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
        if (ev.event === 'output') this.output.push((ev as DebugProtocol.OutputEvent).body.output);
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

  consoleText(): string {
    return this.output.join('');
  }

  /** initialize, then attach or launch, configurationDone, and the first stop (when one is expected). */
  async start(request: 'attach' | 'launch', args: Record<string, unknown>, expectStop = true): Promise<DebugProtocol.StoppedEvent | undefined> {
    await this.request('initialize', { adapterID: 'hyperframe', pathFormat: 'path' });
    const started = await this.request(request, args);
    if (!started.success) throw new Error(`${request} failed: ${started.message}`);
    await this.event('initialized');
    await this.request('configurationDone', {});
    return expectStop ? ((await this.event('stopped')) as DebugProtocol.StoppedEvent) : undefined;
  }
}
