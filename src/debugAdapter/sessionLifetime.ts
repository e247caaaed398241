/**
 * Start and end of the `hyperframe` debug session, and the plumbing its requests share: one
 * clear message per error, output that stops once the client is gone.
 */
import { CapabilitiesEvent, ContinuedEvent, DebugSession, Event, InitializedEvent, OutputEvent, StoppedEvent, TerminatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ERROR_IDS, UNEXPECTED_ERROR_ID } from '../shared/dapRequests';
import { HyperFrameError, isHyperFrameError } from '../util/errors';
import { ADAPTER_CAPABILITIES } from './capabilities';
import { threadIdOf } from './stack/callStack';
import { Debuggee, type EndOptions } from './debuggee';
import type { ReportedStop } from './execution';
import { parseAttachConfig, parseLaunchConfig, type SessionConfig } from './launchConfig';
import { openSession } from './openSession';
import { rawImageNote } from './rawImage';

export type Body<R extends DebugProtocol.Response> = R extends { body?: infer B } ? B : never;

/** The longest the end of a session may take (disconnect, terminate, the client gone) before the machine is dropped. */
const END_LIMIT_MS = 8000;

/**
 * The session's life: attach or launch to a Debuggee, its events to the client (stops, runs, the
 * connection or QEMU gone), and the end, bounded in time. The requests made of an attached machine
 * are answered by the subclass (session.ts).
 */
export abstract class SessionLifetime extends DebugSession {
  protected debuggee: Debuggee | undefined;
  /** An attach or launch on its way to a Debuggee. */
  private opening: Promise<void> | undefined;
  /** How the session was asked to end, once it was: an open still in progress ends at once. */
  private endWanted: EndOptions | undefined;
  private terminated = false;
  /** Set once the client is gone: nothing more may be written to it. */
  private silent = false;
  /** Events the client said it understands (initialize arguments). */
  protected client = { invalidated: false, memory: false };

  constructor() {
    super();
    // Frame listings count lines from 1 (stack/listings.ts); a client may count from 0.
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- plumbing ----

  protected output(text: string, category: 'console' | 'stdout' | 'stderr' | 'important' = 'console'): void {
    if (!this.silent) this.sendEvent(new OutputEvent(text, category));
  }

  /**
   * Runs a handler; its result becomes the body, its error one message for the user, also when
   * it throws before its first await (`this.d` before attach).
   */
  protected handle<R extends DebugProtocol.Response>(response: R, fn: () => Promise<Body<R> | void>): Promise<void> {
    return Promise.resolve().then(fn).then(
      (body) => {
        if (body !== undefined) response.body = body;
        this.sendResponse(response);
      },
      (e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        // The id tells a client the cause (shared/dapRequests.ts ERROR_IDS): the target runs, a bad argument, …
        const id = isHyperFrameError(e) ? ERROR_IDS[e.code] : UNEXPECTED_ERROR_ID;
        this.sendErrorResponse(response, { id, format: message });
      },
    );
  }

  protected get d(): Debuggee {
    if (!this.debuggee) throw new HyperFrameError('NOT_ATTACHED', 'not attached: start the session with attach or launch first');
    return this.debuggee;
  }

  private terminate(reason?: string): void {
    if (this.terminated) return;
    this.terminated = true;
    if (reason) this.output(`${reason}\n`, 'important');
    if (!this.silent) this.sendEvent(new TerminatedEvent());
  }

  // ---- start ----

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.client = { invalidated: args.supportsInvalidatedEvent === true, memory: args.supportsMemoryEvent === true };
    response.body = { ...ADAPTER_CAPABILITIES };
    this.sendResponse(response);
  }

  protected override attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    this.handle(response, () => this.open(() => parseAttachConfig(args)));
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    this.handle(response, () => this.open(() => parseLaunchConfig(args)));
  }

  private async open(parse: () => SessionConfig): Promise<void> {
    if (this.debuggee || this.opening) throw new HyperFrameError('BAD_ARGUMENT', 'this session is already attached');
    if (this.endWanted) throw new HyperFrameError('DISCONNECTED', 'the session is ending');
    const config = parse();
    const opening = this.connect(config);
    this.opening = opening;
    try {
      await opening;
    } finally {
      this.opening = undefined;
    }
  }

  private async connect(config: SessionConfig): Promise<void> {
    const opened = await openSession(config, (t, c) => this.output(t, c));
    if ((await opened.target.vcpuCount()) === 0) this.output(`${rawImageNote(opened.pagingOverride)}\n`);
    const d = new Debuggee(opened, config, {
      output: (t, c) => this.output(t, c),
      stopped: (s) => this.onStopped(s),
      continued: (vcpu) => {
        if (!this.silent) this.sendEvent(new ContinuedEvent(threadIdOf(vcpu), true));
      },
    });
    this.debuggee = d;
    if (this.endWanted) {
      // Disconnected (or the client gone) while connecting: QEMU paused the VM when we connected.
      await d.endWithin(this.endWanted, END_LIMIT_MS).catch((e: unknown) => this.output(`${(e as Error).message}\n`));
      throw new HyperFrameError('DISCONNECTED', 'the session ended while it was starting; the machine was let go at once');
    }
    if (!config.viewBinaryData) {
      // The client cannot show memory itself (VS Code without a hex editor would try to download
      // one): take "View Binary Data" away; HyperFrame's own views read memory all the same.
      this.sendEvent(new CapabilitiesEvent({ supportsReadMemoryRequest: false }));
    }
    opened.target.onDisconnect((reason) => {
      if (!d.ended) this.terminate(`connection to the target lost: ${reason}`);
    });
    if (opened.qemu) {
      const q = opened.qemu;
      const name = config.kind === 'qemu' ? config.qemuPath : 'qemu';
      this.sendEvent(new Event('process', { name, systemProcessId: q.pid, isLocalProcess: true, startMethod: 'launch' }));
      void q.exited.then(() => {
        if (!d.ended) this.terminate(`QEMU ended (${q.exitDescription()})${q.stderrTail() ? `: ${q.stderrTail()}` : ''}`);
      });
    }
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.handle(response, async () => {
      const d = this.d;
      if (!d.config.stopOnAttach && d.target.capabilities.runControl) {
        await d.execution.continue();
        return;
      }
      // Sent after the response, as clients expect the stop to follow configurationDone.
      setImmediate(() => d.report({ reason: 'entry', vcpu: d.target.lastStop?.vcpu ?? 0 }));
    });
  }

  private onStopped(stop: ReportedStop): void {
    if (stop.reason === 'exited') {
      this.terminate(stop.text);
      return;
    }
    if (stop.text) this.output(`${stop.text}\n`);
    const ev = new StoppedEvent(stop.reason, threadIdOf(stop.vcpu), stop.text) as DebugProtocol.StoppedEvent;
    ev.body.allThreadsStopped = true;
    if (stop.description) ev.body.description = stop.description;
    if (stop.hitBreakpointIds?.length) ev.body.hitBreakpointIds = stop.hitBreakpointIds;
    this.sendEvent(ev);
  }

  // ---- the end ----

  /**
   * Lets go of the machine: waits for an attach or launch in progress (which then ends at once
   * by itself), ends the debuggee, all within END_LIMIT_MS.
   */
  private async end(opts: EndOptions): Promise<void> {
    this.endWanted ??= opts;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new HyperFrameError('TIMEOUT', `the session did not end within ${END_LIMIT_MS} ms`)), END_LIMIT_MS);
    });
    const ending = (async (): Promise<void> => {
      if (this.opening) {
        this.output('the session ends while it is starting: the machine is let go as soon as it is reached\n');
        await this.opening.catch(() => undefined);
      }
      await this.debuggee?.endWithin(opts, END_LIMIT_MS);
    })();
    try {
      await Promise.race([ending, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): void {
    void this.handle(response, () => this.end({ terminate: args?.terminateDebuggee, suspend: args?.suspendDebuggee })).then(() => this.shutdown());
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.handle(response, async () => {
      // Quits QEMU the adapter launched; an attached machine is left running, never killed.
      await this.end({ terminate: true });
      this.terminate();
    });
  }

  /** The client is gone (socket closed, stdin ended, SIGTERM): still let go of the machine cleanly. */
  override shutdown(): void {
    this.silent = true;
    void this.end({})
      .catch(() => undefined)
      .finally(() => super.shutdown());
  }
}
