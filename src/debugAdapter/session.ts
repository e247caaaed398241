/**
 * The `hyperframe` debug session: DAP requests in, dispatched to the run control, breakpoints,
 * call stack and inspection of one attached machine. Thin on purpose: each request says what it
 * needs and which module answers; errors come back as one clear message.
 */
import { CapabilitiesEvent, ContinuedEvent, DebugSession, Event, InitializedEvent, InvalidatedEvent, MemoryEvent, OutputEvent, StoppedEvent, TerminatedEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ERROR_IDS, UNEXPECTED_ERROR_ID } from '../shared/dapRequests';
import { HyperFrameError, isHyperFrameError } from '../util/errors';
import { ADAPTER_CAPABILITIES } from './capabilities';
import { stackTrace, threadIdOf, threads, vcpuOfFrame, vcpuOfThread } from './stack/callStack';
import { dataBreakpointInfo, virtualAddressOf } from './dataBreakpointInfo';
import { Debuggee, type EndOptions } from './debuggee';
import type { ReportedStop } from './execution';
import { parseAttachConfig, parseLaunchConfig, type SessionConfig } from './launchConfig';
import { listingOfArgs, setListingBreakpoints, unverifiedBreakpoints } from './stack/listingBreakpoints';
import { LISTING_MIME_TYPE } from './stack/listings';
import { openSession } from './openSession';
import { rawImageNote } from './rawImage';

type Body<R extends DebugProtocol.Response> = R extends { body?: infer B } ? B : never;

/** The longest the end of a session may take (disconnect, terminate, the client gone) before the machine is dropped. */
const END_LIMIT_MS = 8000;

export class HyperFrameSession extends DebugSession {
  private debuggee: Debuggee | undefined;
  /** An attach or launch on its way to a Debuggee. */
  private opening: Promise<void> | undefined;
  /** How the session was asked to end, once it was: an open still in progress ends at once. */
  private endWanted: EndOptions | undefined;
  private terminated = false;
  /** Set once the client is gone: nothing more may be written to it. */
  private silent = false;
  /** Events the client said it understands (initialize arguments). */
  private client = { invalidated: false, memory: false };

  constructor() {
    super();
    // Frame listings count lines from 1 (stack/listings.ts); a client may count from 0.
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- plumbing ----

  private output(text: string, category: 'console' | 'stdout' | 'stderr' | 'important' = 'console'): void {
    if (!this.silent) this.sendEvent(new OutputEvent(text, category));
  }

  /**
   * Runs a handler; its result becomes the body, its error one message for the user, also when
   * it throws before its first await (`this.d` before attach).
   */
  private handle<R extends DebugProtocol.Response>(response: R, fn: () => Promise<Body<R> | void>): Promise<void> {
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

  private get d(): Debuggee {
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

  // ---- threads and frames ----

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    this.handle(response, async () => {
      const d = this.debuggee;
      if (!d) return { threads: [] };
      // While running, LiveTarget answers from what it knows without touching the stub.
      return { threads: await d.execution.serialized(() => threads(d.target)) };
    });
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.handle(response, async () => {
      // Not a change of focus: clients ask for every thread's stack. Stops and frames (scopes, evaluate) are.
      const d = this.d;
      const body = await d.execution.stopped(() => stackTrace(d.target, d.stopState, d.stackWalker, d.listings, args), 'read the call stack');
      for (const f of body.stackFrames) {
        if (!f.source) continue;
        f.line = this.convertDebuggerLineToClient(f.line);
        f.column = this.convertDebuggerColumnToClient(f.column);
      }
      return body;
    });
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    // A frame's disassembly listing, made with the call stack: no target access, so not queued.
    this.handle(response, async () => ({ content: this.d.listings.text(args.source?.sourceReference ?? args.sourceReference), mimeType: LISTING_MIME_TYPE }));
  }

  // ---- run control ----

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.handle(response, async () => {
      await this.d.execution.continue();
      return { allThreadsContinued: true };
    });
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.handle(response, () => this.d.execution.next(vcpuOfThread(args.threadId, this.d.current)));
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.handle(response, () => this.d.execution.stepInstruction(vcpuOfThread(args.threadId, this.d.current)));
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.handle(response, () => this.d.execution.stepOut(vcpuOfThread(args.threadId, this.d.current)));
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.handle(response, async () => {
      const d = this.d;
      if (!d.target.capabilities.runControl) throw new HyperFrameError('TARGET', 'a dump is a snapshot: it cannot run, step or pause');
      // Already stopped: say so again, so a client that thought otherwise shows the stop.
      if (!d.execution.pause()) setImmediate(() => d.report({ reason: 'pause', vcpu: d.current }));
    });
  }

  // ---- breakpoints ----

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    // A frame's disassembly listing (by handle, also a stale one, or by name); anything else has no line info.
    const handle = listingOfArgs(this.debuggee?.listings, args);
    if (handle === undefined) {
      response.body = { breakpoints: unverifiedBreakpoints(args) };
      this.sendResponse(response);
      return;
    }
    const toDebuggerLine = (l: number): number => this.convertClientLineToDebugger(l);
    this.handle(response, async () => {
      const d = this.d;
      return { breakpoints: await d.execution.whileStopped(() => setListingBreakpoints(d.breakpoints, d.listings, handle, args, toDebuggerLine)) };
    });
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse): void {
    response.body = { breakpoints: [] };
    this.sendResponse(response);
  }

  protected override setInstructionBreakpointsRequest(
    response: DebugProtocol.SetInstructionBreakpointsResponse,
    args: DebugProtocol.SetInstructionBreakpointsArguments,
  ): void {
    this.handle(response, async () => {
      const d = this.d;
      return { breakpoints: await d.execution.whileStopped(() => d.breakpoints.setInstructionBreakpoints(args.breakpoints)) };
    });
  }

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    this.handle(response, async () => {
      const d = this.d;
      return { breakpoints: await d.execution.whileStopped(() => d.breakpoints.setFunctionBreakpoints(args.breakpoints)) };
    });
  }

  protected override dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    this.handle(response, async () => {
      const d = this.d;
      const canWatch = d.target.capabilities.breakpoints.includes('write');
      return dataBreakpointInfo(args, d.symbols, canWatch, (a) =>
        d.execution.stopped(async () => {
          // A variable or an expression of the inspection side that lives in memory.
          if (a.variablesReference !== undefined) {
            const v = (await d.inspection.variables({ variablesReference: a.variablesReference })).find((x) => x.name === a.name);
            return v?.memoryReference ? { address: virtualAddressOf(v.memoryReference) } : undefined;
          }
          const vcpu = vcpuOfFrame(a.frameId, d.current);
          const r = await d.inspection.evaluate({ expression: a.name, frameId: a.frameId, context: 'watch' }, vcpu);
          return r.memoryReference ? { address: virtualAddressOf(r.memoryReference) } : undefined;
        }, 'look up a variable'),
      );
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.handle(response, async () => {
      const d = this.d;
      return { breakpoints: await d.execution.whileStopped(() => d.breakpoints.setDataBreakpoints(args.breakpoints)) };
    });
  }

  // ---- inspection (answered by Inspection, on the stopped target) ----

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.handle(response, async () => {
      const d = this.d;
      d.current = vcpuOfFrame(args.frameId, d.current);
      const vcpu = d.current;
      return { scopes: await d.execution.stopped(() => d.inspection.scopes(vcpu), 'read registers') };
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.handle(response, async () => ({ variables: await this.d.execution.stopped(() => this.d.inspection.variables(args), 'read variables') }));
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    this.handle(response, async () => {
      const d = this.d;
      const body = await d.execution.stopped(() => d.inspection.setVariable(args).finally(() => d.afterWrite()), 'change a variable');
      // One register can change others' meaning (CR0.PG, CR3): have the client ask again.
      if (this.client.invalidated) this.sendEvent(new InvalidatedEvent(['variables']));
      return body;
    });
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.handle(response, () => this.d.execution.stopped(() => this.d.inspection.readMemory(args), 'read memory'));
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.handle(response, async () => {
      const d = this.d;
      const body = await d.execution.stopped(() => d.inspection.writeMemory(args).finally(() => d.afterWrite()), 'write memory');
      // Other views of the same bytes (another hex view, a frame editor) must refresh.
      if (this.client.memory) this.sendEvent(new MemoryEvent(args.memoryReference, args.offset ?? 0, body?.bytesWritten ?? 0));
      return body;
    });
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.handle(response, () => this.d.execution.stopped(() => this.d.inspection.disassemble(args), 'disassemble'));
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.handle(response, () => {
      const d = this.d;
      if (args.frameId !== undefined) d.current = vcpuOfFrame(args.frameId, d.current);
      const vcpu = vcpuOfFrame(args.frameId, d.current);
      // A console command may write registers or memory (set, monitor): run control reads again.
      const after = (): void => (args.context === 'repl' ? d.afterWrite() : undefined);
      return d.execution.stopped(() => d.inspection.evaluate(args, vcpu).finally(after), 'evaluate');
    });
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    this.handle(response, async () => {
      const d = this.d;
      const body = await d.execution.stopped(() => d.inspection.customRequest(command, args), command);
      if (body === undefined) throw new HyperFrameError('BAD_ARGUMENT', `unknown request '${command}'`);
      return body as Body<DebugProtocol.Response>;
    });
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
