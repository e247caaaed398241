import type { SymbolTable } from '../symbols';
import type { XenBuild } from '../xen/structLayouts';
import type { PagingSpec } from '../paging/spec';
import type { Target } from '../target/target';

/**
 * What the request handlers share with the session: the target, symbols, which vCPU the user
 * is looking at, and a way to write to the Debug Console. The session owns it and updates it.
 */
export interface SessionContext {
  readonly target: Target;
  readonly symbols: SymbolTable;
  /** Struct offsets from the launch configuration's xenOffsets, for a Xen build HyperFrame does not know. */
  readonly xenBuild?: XenBuild;
  /** vCPU of the frame/thread the user selected, or of the last stop. */
  currentVcpu(): number;
  /** Paging mode/root forced by the launch config (`pagingMode`), else undefined (auto from registers). */
  readonly pagingOverride?: Pick<PagingSpec, 'mode' | 'root'>;
  /** Text for the Debug Console. */
  log(text: string, category?: 'console' | 'stdout' | 'stderr' | 'important'): void;
}
