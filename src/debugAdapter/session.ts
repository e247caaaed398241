/**
 * The `hyperframe` debug session: DAP requests in, dispatched to the run control, breakpoints,
 * call stack and inspection of one attached machine. Thin on purpose: each request says what it
 * needs and which module answers; errors come back as one clear message. How the session starts
 * and ends is sessionLifetime.ts.
 */
import { InvalidatedEvent, MemoryEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { HyperFrameError } from '../util/errors';
import { stackTrace, threads, vcpuOfFrame, vcpuOfThread } from './stack/callStack';
import { dataBreakpointInfo, virtualAddressOf } from './dataBreakpointInfo';
import { listingOfArgs, setListingBreakpoints, unverifiedBreakpoints } from './stack/listingBreakpoints';
import { LISTING_MIME_TYPE } from './stack/listings';
import { type Body, SessionLifetime } from './sessionLifetime';

export class HyperFrameSession extends SessionLifetime {
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
}
