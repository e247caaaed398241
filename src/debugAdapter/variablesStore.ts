import type { DebugProtocol } from '@vscode/debugprotocol';
import { HyperFrameError } from '../util/errors';

/** One row of the Variables view: what to show, how to expand it, how to change it. */
/** The variable menu context of values that are addresses (package.json `debug/variables/context`). */
export const ADDRESS_MENU_CONTEXT = 'hyperframe.address';

export interface VarEntry {
  /** `variablesReference` is filled by the store from `children`. */
  variable: Omit<DebugProtocol.Variable, 'variablesReference'>;
  children?: () => Promise<VarEntry[]>;
  /** Writes a new value (already parsed); the caller then re-reads everything. */
  set?: (value: bigint) => Promise<void>;
  /** Refuses values that do not fit, before anything is written. */
  maxValue?: bigint;
}

interface Container {
  children: () => Promise<VarEntry[]>;
  /** Entries of the last listing, by name, for setVariable. */
  entries?: Map<string, VarEntry>;
}

/**
 * Variable references for one stop. A container's children are computed when listed; the numbers
 * stay valid until `clear()` (the target ran), while `forgetValues()` (after a write) only makes
 * the next listing read the target again.
 */
export class VariableStore {
  private readonly containers = new Map<number, Container>();
  /** Never reused within a session, so a stale reference fails instead of showing other values. */
  private nextRef = 1;

  add(children: () => Promise<VarEntry[]>): number {
    const ref = this.nextRef++;
    this.containers.set(ref, { children });
    return ref;
  }

  clear(): void {
    this.containers.clear();
  }

  forgetValues(): void {
    for (const c of this.containers.values()) c.entries = undefined;
  }

  async variables(args: DebugProtocol.VariablesArguments): Promise<DebugProtocol.Variable[]> {
    const c = this.container(args.variablesReference);
    const entries = await c.children();
    c.entries = new Map(entries.map((e) => [e.variable.name, e]));
    const start = args.start ?? 0;
    const slice = args.count ? entries.slice(start, start + args.count) : entries.slice(start);
    return slice.map((e) => this.toVariable(e));
  }

  /** The entry named `name` under `ref`, listing the container if it was not listed since the last write. */
  async entry(ref: number, name: string): Promise<VarEntry> {
    const c = this.container(ref);
    if (!c.entries) c.entries = new Map((await c.children()).map((e) => [e.variable.name, e]));
    const e = c.entries.get(name);
    if (!e) throw new HyperFrameError('BAD_ARGUMENT', `there is no variable '${name}' here (it may have gone with the last stop)`);
    return e;
  }

  toVariable(e: VarEntry): DebugProtocol.Variable {
    const variablesReference = e.children ? this.add(e.children) : 0;
    // VS Code's own key (not DAP): lets HyperFrame's extension offer "Open Frame" on addresses.
    const menu = e.variable.memoryReference ? { __vscodeVariableMenuContext: ADDRESS_MENU_CONTEXT } : {};
    return { ...e.variable, variablesReference, ...menu };
  }

  private container(ref: number): Container {
    const c = this.containers.get(ref);
    if (!c) throw new HyperFrameError('BAD_ARGUMENT', `variable reference ${ref} is gone: the target ran since it was given out`);
    return c;
  }
}
