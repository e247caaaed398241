/**
 * A session over a raw image has memory and nothing else: no vCPU, no register, no call stack.
 * What it says instead, in the three places a user looks: the Debug Console at start, the one
 * frame of the call stack, and the Variables view.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { PagingSpec } from '../paging/spec';
import { hex } from '../util/numbers';
import type { SessionContext } from './context';
import { physicalRef } from './memoryRefs';
import type { VarEntry, VariableStore } from './variablesStore';

/** The sentence that explains a raw image, with or without the launch configuration's address space. */
export function rawImageNote(paging?: Pick<PagingSpec, 'mode' | 'root'>): string {
  return paging
    ? `a raw image has no registers: virtual addresses translate through ${paging.mode}, root ${hex(paging.root)} (the launch configuration's pagingMode and root); there is no call stack`
    : "a raw image has no registers: give pagingMode and root in the launch configuration to translate virtual addresses; physical memory reads as it is (phys PA in the Debug Console)";
}

/** The call stack's only frame: where a stack would be, the reason there is none. */
export function rawImageFrame(id: number): DebugProtocol.StackFrame {
  return { id, name: 'no registers: a raw image holds memory only (see Variables)', line: 0, column: 0, presentationHint: 'normal' };
}

/** One scope instead of General, Segment and Control: what the image is and how it translates. */
export function rawImageScopes(ctx: SessionContext, store: VariableStore): DebugProtocol.Scope[] {
  const row = (name: string, value: string, memoryReference?: string): VarEntry => ({
    variable: { name, value, presentationHint: { attributes: ['readOnly'] }, ...(memoryReference ? { memoryReference } : {}) },
  });
  const paging = ctx.pagingOverride;
  const children = async (): Promise<VarEntry[]> => [
    row('registers', rawImageNote(paging)),
    row('image', ctx.target.description),
    ...(paging ? [row('pagingMode', paging.mode), row('root', hex(paging.root, 16), physicalRef(paging.root))] : []),
  ];
  return [{ name: 'Raw image', variablesReference: store.add(children), expensive: false }];
}
