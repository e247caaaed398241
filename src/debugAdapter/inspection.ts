import type { DebugProtocol } from '@vscode/debugprotocol';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { SessionContext } from './context';
import { customRequest } from './customRequests';
import { disassembleRequest } from './disassembleRequest';
import { isBoolean } from './evaluate/ast';
import { type EvalEnv, evaluateExpr } from './evaluate/evaluator';
import { parseExpression } from './evaluate/parser';
import { replCommand, runReplCommand } from './evaluate/repl';
import { evaluateText, targetEvalEnv } from './evaluate/targetEnv';
import { hover } from './hover';
import { rawImageScopes } from './rawImage';
import { formatMemoryRef, offsetRef, parseMemoryRef, readSpace, type SpaceWrite, virtualRef, writeSpace } from './memoryRefs';
import { StopState } from './registersCache';
import { looksLikeAddress, RegisterScopes } from './variablesRegisters';
import { VariableStore } from './variablesStore';

/**
 * Everything that inspects a stopped target, behind one object the session calls into:
 * scopes and variables, memory, disassembly, evaluate, hover and the custom requests.
 * Stateful only in its variable references, which `invalidate()` drops at every stop.
 */
export class Inspection {
  private readonly store = new VariableStore();
  private readonly registerScopes: RegisterScopes;

  /** `state`: the debuggee's one state of the current stop, shared with run control and the call stack. */
  constructor(
    private readonly ctx: SessionContext,
    private readonly state = new StopState(ctx),
  ) {
    this.registerScopes = new RegisterScopes(ctx, this.state, this.store);
  }

  /** Drop variable references and cached values: the target ran or was written. */
  invalidate(): void {
    this.state.invalidate();
    this.store.clear();
  }

  /** After a write: values are read again, but the references the views hold stay valid. */
  private written(): void {
    this.ctx.target.invalidate();
    this.state.invalidate();
    this.store.forgetValues();
  }

  async scopes(vcpu: number): Promise<DebugProtocol.Scope[]> {
    if ((await this.ctx.target.vcpuCount()) === 0) return rawImageScopes(this.ctx, this.store);
    return this.registerScopes.scopes(vcpu);
  }

  async variables(args: DebugProtocol.VariablesArguments): Promise<DebugProtocol.Variable[]> {
    return this.store.variables(args);
  }

  async setVariable(args: DebugProtocol.SetVariableArguments): Promise<DebugProtocol.SetVariableResponse['body']> {
    const entry = await this.store.entry(args.variablesReference, args.name);
    if (!entry.set) throw new HyperFrameError('BAD_ARGUMENT', `${args.name} cannot be changed`);
    const value = await this.value(args.value, this.ctx.currentVcpu());
    if (entry.maxValue !== undefined && value > entry.maxValue) {
      throw new HyperFrameError('BAD_ARGUMENT', `${hex(value)} does not fit in ${args.name} (at most ${hex(entry.maxValue)})`);
    }
    try {
      await entry.set(value);
    } finally {
      this.written();
    }
    const fresh = await this.store.entry(args.variablesReference, args.name);
    return { value: fresh.variable.value, ...(fresh.variable.memoryReference ? { memoryReference: fresh.variable.memoryReference } : {}) };
  }

  async readMemory(args: DebugProtocol.ReadMemoryArguments): Promise<DebugProtocol.ReadMemoryResponse['body']> {
    const ref = offsetRef(parseMemoryRef(args.memoryReference, this.ctx.currentVcpu()), args.offset);
    const r = await readSpace(this.ctx.target, ref.space, ref.address, args.count);
    return {
      address: hex(ref.address),
      data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64'),
      ...(r.unreadableBytes ? { unreadableBytes: r.unreadableBytes } : {}),
    };
  }

  async writeMemory(args: DebugProtocol.WriteMemoryArguments): Promise<DebugProtocol.WriteMemoryResponse['body']> {
    if (!this.ctx.target.capabilities.writeMemory) throw new HyperFrameError('TARGET', `${this.ctx.target.description}: memory cannot be written`);
    const ref = offsetRef(parseMemoryRef(args.memoryReference, this.ctx.currentVcpu()), args.offset);
    const data = new Uint8Array(Buffer.from(args.data, 'base64'));
    let w: SpaceWrite;
    try {
      w = await writeSpace(this.ctx.target, ref.space, ref.address, data, args.allowPartial === true);
    } finally {
      this.written();
    }
    if (w.error) this.ctx.log(`writeMemory ${formatMemoryRef(ref)}: ${w.bytesWritten} of ${data.length} bytes written: ${w.error}\n`, 'console');
    return { offset: 0, bytesWritten: w.bytesWritten };
  }

  async disassemble(args: DebugProtocol.DisassembleArguments): Promise<DebugProtocol.DisassembleResponse['body']> {
    return disassembleRequest(args, this.ctx, this.state);
  }

  async evaluate(args: DebugProtocol.EvaluateArguments, vcpu: number): Promise<DebugProtocol.EvaluateResponse['body']> {
    const text = args.expression;
    if (args.context === 'repl') {
      const cmd = replCommand(text);
      if (cmd) {
        const result = await runReplCommand(cmd.name, cmd.rest, { ctx: this.ctx, state: this.state, vcpu, value: (t) => this.value(t, vcpu) });
        if (cmd.name === 'monitor') this.written(); // a monitor command may change anything
        return { result, variablesReference: 0 };
      }
    }
    if (args.context === 'hover') {
      const h = await hover(text, vcpu, this.ctx, this.state);
      if (h) return { result: h.result, variablesReference: 0, ...(h.memoryReference ? { memoryReference: h.memoryReference } : {}) };
    }
    const expr = parseExpression(text);
    const value = await evaluateExpr(expr, this.env(vcpu), text);
    if (isBoolean(expr)) return { result: value ? 'true' : 'false', type: 'bool', variablesReference: 0 };
    const wide = (await this.state.registers(vcpu).catch(() => undefined))?.has('rax') ?? true;
    return {
      result: value > 9n && value < 1n << 32n ? `${hex(value)} (${value})` : hex(value),
      type: 'u64',
      variablesReference: 0,
      ...(looksLikeAddress(value, wide) ? { memoryReference: virtualRef(vcpu, value) } : {}),
    };
  }

  /** A breakpoint condition: true when the expression is not zero on `vcpu`. */
  async evaluateCondition(expression: string, vcpu: number): Promise<boolean> {
    return (await this.value(expression, vcpu)) !== 0n;
  }

  /** `hyperframe/*` custom requests; undefined when the command is not one of ours. */
  async customRequest(command: string, args: unknown): Promise<unknown> {
    return customRequest(command, args, { ctx: this.ctx, state: this.state, value: (text, vcpu) => this.value(text, vcpu) });
  }

  private value(text: string, vcpu: number): Promise<bigint> {
    return evaluateText(text, this.env(vcpu));
  }

  private env(vcpu: number): EvalEnv {
    return targetEvalEnv(this.ctx.target, this.ctx.symbols, vcpu, () => this.state.registers(vcpu));
  }
}
