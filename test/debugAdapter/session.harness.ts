/**
 * Drives the real debug adapter over DAP from tests: sessions served in-process on a TCP port
 * (no build step), a DebugClient per test, and helpers that wait for events with a deadline
 * (DebugClient disables its own timeouts when connected to a port).
 */
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { parseMemoryRef } from '../../src/debugAdapter/memoryRefs';
import { serveSessions, type SessionServer } from '../../src/debugAdapter/server';

let server: Promise<SessionServer> | undefined;

/** A DebugClient connected to a fresh session of the in-process adapter. */
export async function connectClient(): Promise<Client> {
  server ??= serveSessions();
  const s = await server;
  const dc = new DebugClient('node', 'unused', 'hyperframe');
  await dc.start(s.port);
  return new Client(dc);
}

export class Client {
  /** Every output event's text, in order. */
  readonly output: { category: string; text: string }[] = [];
  /** Every stopped event, in order. */
  readonly stops: DebugProtocol.StoppedEvent[] = [];

  constructor(readonly dc: DebugClient) {
    dc.on('output', (e: DebugProtocol.OutputEvent) => this.output.push({ category: e.body.category ?? 'console', text: e.body.output }));
    dc.on('stopped', (e: DebugProtocol.StoppedEvent) => this.stops.push(e));
  }

  /** The whole response to a request, failed or not (DebugClient.send keeps only a failure's message). */
  rawResponse(command: string, args?: object): Promise<DebugProtocol.Response> {
    // doSend is public in ProtocolClient's JavaScript but not in its typings.
    const dc = this.dc as unknown as { doSend(command: string, args: object | undefined, clb: (r: DebugProtocol.Response) => void): void };
    return new Promise((resolve) => dc.doSend(command, args, resolve));
  }

  consoleText(): string {
    return this.output.map((o) => o.text).join('');
  }

  /** The next event of `type`, or an error after `ms`. */
  event<E extends DebugProtocol.Event>(type: string, ms = 10_000): Promise<E> {
    return new Promise<E>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.dc.removeListener(type, on);
        reject(new Error(`no '${type}' event within ${ms} ms; console: ${JSON.stringify(this.consoleText().slice(-400))}`));
      }, ms);
      const on = (e: E): void => {
        clearTimeout(timer);
        resolve(e);
      };
      this.dc.once(type, on);
    });
  }

  /** No `type` event for `ms` (resolves), or the event that came (rejects). */
  noEvent(type: string, ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const on = (e: DebugProtocol.Event): void => {
        clearTimeout(timer);
        reject(new Error(`unexpected '${type}' event: ${JSON.stringify(e.body)}`));
      };
      const timer = setTimeout(() => {
        this.dc.removeListener(type, on);
        resolve();
      }, ms);
      this.dc.once(type, on);
    });
  }

  /** initialize, attach or launch, configurationDone; resolves with the first stop (or none when `expectStop` is false). */
  async start(request: 'attach' | 'launch', args: Record<string, unknown>, expectStop = true): Promise<DebugProtocol.StoppedEvent | undefined> {
    // What VS Code itself declares: it understands invalidated and memory events.
    const init = await this.dc.initializeRequest({ adapterID: 'hyperframe', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsInvalidatedEvent: true, supportsMemoryEvent: true });
    if (!init.body?.supportsConfigurationDoneRequest) throw new Error('the adapter must support configurationDone');
    const initialized = this.event('initialized', 30_000);
    // Awaited below only when attach or launch succeeds: a failed one must not leave it to reject unseen.
    initialized.catch(() => undefined);
    const stopped = expectStop ? this.event<DebugProtocol.StoppedEvent>('stopped', 30_000) : undefined;
    stopped?.catch(() => undefined);
    if (request === 'attach') await this.dc.attachRequest(args as DebugProtocol.AttachRequestArguments);
    else await this.dc.launchRequest(args as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await this.dc.configurationDoneRequest();
    return stopped;
  }

  async threads(): Promise<DebugProtocol.Thread[]> {
    return (await this.dc.threadsRequest()).body.threads;
  }

  async frames(threadId: number): Promise<DebugProtocol.StackFrame[]> {
    return (await this.dc.stackTraceRequest({ threadId })).body.stackFrames;
  }

  /** Frame 0's pc. */
  async pc(threadId: number): Promise<bigint> {
    const f = (await this.frames(threadId))[0];
    if (!f?.instructionPointerReference) throw new Error(`no frame for thread ${threadId}`);
    return pcOf(f, threadId);
  }

  setInstructionBreakpoints(breakpoints: DebugProtocol.InstructionBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    return this.dc
      .customRequest('setInstructionBreakpoints', { breakpoints })
      .then((r) => (r as DebugProtocol.SetInstructionBreakpointsResponse).body.breakpoints);
  }

  async setFunctionBreakpoints(breakpoints: DebugProtocol.FunctionBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> {
    return (await this.dc.setFunctionBreakpointsRequest({ breakpoints })).body.breakpoints;
  }

  /** Sends a run-control request and waits for the stop it leads to. */
  async runTo(send: () => Promise<unknown>, ms = 15_000): Promise<DebugProtocol.StoppedEvent> {
    const stopped = this.event<DebugProtocol.StoppedEvent>('stopped', ms);
    stopped.catch(() => undefined);
    await send();
    return stopped;
  }

  async disconnect(args: DebugProtocol.DisconnectArguments = {}): Promise<void> {
    await this.dc.disconnectRequest(args);
  }

  async close(): Promise<void> {
    await this.dc.stop().catch(() => undefined);
  }
}

/** `0x…` for a bigint, as instruction references are written. */
export const ref = (v: bigint): string => `0x${v.toString(16)}`;

/** A frame's pc from its instruction pointer reference, which must name its thread's vCPU (`v0:0x…`). */
export function pcOf(frame: DebugProtocol.StackFrame, threadId: number): bigint {
  const text = frame.instructionPointerReference ?? '';
  if (!/^v\d+:0x[0-9a-f]+$/.test(text)) throw new Error(`instruction pointer reference '${text}' does not name an address space`);
  const r = parseMemoryRef(text, -1);
  if (r.space.kind !== 'virtual' || r.space.vcpu !== threadId - 1) throw new Error(`'${text}' is not in the address space of thread ${threadId}`);
  return r.address;
}
