import type { SymbolTable } from '../../symbols';
import type { Target } from '../../target/target';
import { registerByName } from '../../x86/registers';
import { type EvalEnv, evaluateExpr } from './evaluator';
import { parseExpression } from './parser';

/**
 * What an expression reads on one vCPU of a target: its registers (as `registers` gives them, so
 * that a caller may cache them per stop), the symbols, its virtual memory and physical memory.
 * The Debug Console and the CLI evaluate through the same environment: one language for both.
 */
export function targetEvalEnv(target: Target, symbols: SymbolTable, vcpu: number, registers: () => Promise<Map<string, bigint>>): EvalEnv {
  return {
    register: async (name) => registerByName(await registers(), name),
    symbol: (name) => symbols.lookup(name)?.va,
    readVirtual: (address, bytes) => target.readVirtual(vcpu, address, bytes),
    readPhysical: (address, bytes) => target.physicalBatch(() => target.phys.read(address, bytes)),
  };
}

/** Parses and evaluates `text` (numbers, symbols, registers, arithmetic, memory) to a 64-bit value. */
export function evaluateText(text: string, env: EvalEnv): Promise<bigint> {
  return evaluateExpr(parseExpression(text), env, text);
}
