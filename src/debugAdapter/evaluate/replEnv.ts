import type { SessionContext } from '../context';
import type { StopState } from '../registersCache';

/** What a Debug Console command needs: the session, the stop's state, the vCPU, expressions. */
export interface ReplEnv {
  ctx: SessionContext;
  state: StopState;
  vcpu: number;
  /** Evaluates an argument as an expression (numbers, registers, symbols, arithmetic). */
  value(text: string): Promise<bigint>;
}
