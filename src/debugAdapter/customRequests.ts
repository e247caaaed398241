import { maxEntryLevel } from '../paging/entry';
import { permsText } from '../paging/format';
import { faultJson } from '../paging/json';
import { entriesAt, entryCoverage, geometry, modeFromRegs, parseMode, type PagingContext, type PagingMode, tableBytes } from '../paging/modes';
import { translateReport } from '../paging/translationReport';
import {
  type FrameResult,
  isRequestName,
  MAX_FRAME_BYTES,
  type PageTableResult,
  type RequestName,
  type ResolveResult,
  type ResultOf,
  type RootsResult,
  type TranslateResult,
} from '../shared/dapRequests';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { addressSpaceArg } from './addressSpaceArg';
import type { SessionContext } from './context';
import { entryInfo, tableEntries } from '../shared/entryInfo';
import { mappingsRequest } from './mappingsRequest';
import type { StopState } from './registersCache';
import { numberArg, type RequestArgs } from './requestArgs';
import { XEN_HANDLERS } from './xenRequests';

// The adapter's own requests: their shapes are the contract in shared/dapRequests.ts
// (docs/dap-custom-requests.md). Arguments arrive untyped and are checked here, one by one.

export interface CustomRequestDeps {
  ctx: SessionContext;
  state: StopState;
  /** An expression of the Debug Console's language on a vCPU. */
  value(text: string, vcpu: number): Promise<bigint>;
}

type Handler<K extends RequestName> = (a: RequestArgs, deps: CustomRequestDeps) => Promise<ResultOf<K>>;

const HANDLERS: { [K in RequestName]: Handler<K> } = {
  'hyperframe/roots': (_a, d) => roots(d.ctx, d.state),
  'hyperframe/pageTable': (a, d) => pageTable(a, d.ctx, d.state),
  'hyperframe/frame': (a, d) => frame(a, d.ctx, d.state),
  'hyperframe/translate': (a, d) => translateRequest(a, d.ctx, d.state),
  'hyperframe/resolve': (a, d) => resolve(a, d),
  'hyperframe/mappings': (a, d) => mappingsRequest(a, d.ctx, d.state),
  'hyperframe/xen/domains': (a, d) => XEN_HANDLERS['hyperframe/xen/domains'](a, d.ctx),
  'hyperframe/xen/m2p': (a, d) => XEN_HANDLERS['hyperframe/xen/m2p'](a, d.ctx),
  'hyperframe/xen/frameInfo': (a, d) => XEN_HANDLERS['hyperframe/xen/frameInfo'](a, d.ctx),
  'hyperframe/xen/p2m': (a, d) => XEN_HANDLERS['hyperframe/xen/p2m'](a, d.ctx),
  'hyperframe/xen/startInfo': (a, d) => XEN_HANDLERS['hyperframe/xen/startInfo'](a, d.ctx),
  'hyperframe/xen/region': (a, d) => XEN_HANDLERS['hyperframe/xen/region'](a, d.ctx),
};

/** Answers a `hyperframe/*` request; undefined when the command is not one of ours. */
export function customRequest(command: string, args: unknown, deps: CustomRequestDeps): Promise<unknown> | undefined {
  if (!isRequestName(command)) return undefined;
  const a: RequestArgs = typeof args === 'object' && args !== null ? (args as RequestArgs) : {};
  return (HANDLERS[command] as Handler<RequestName>)(a, deps);
}

async function roots(ctx: SessionContext, state: StopState): Promise<RootsResult> {
  const out: RootsResult = { roots: [], target: ctx.target.description, writable: ctx.target.capabilities.writeMemory };
  const n = await ctx.target.vcpuCount();
  for (let vcpu = 0; vcpu < n; vcpu++) {
    const cr = await state.controlRegs(vcpu).catch(() => undefined);
    if (!cr) {
      out.roots.push({ vcpu, cr3: '0x0', mode: 'none', root: '0x0', unavailable: `vCPU ${vcpu} reports no CR0/CR3/CR4: set pagingMode and root in the launch configuration` });
      continue;
    }
    const m = modeFromRegs(cr);
    out.roots.push({ vcpu, cr3: hex(cr.cr3), mode: m.mode, root: hex(m.root), ...(m.pcid !== undefined ? { pcid: m.pcid } : {}) });
  }
  const o = ctx.pagingOverride;
  if (o) out.configured = { mode: o.mode, root: hex(o.root) };
  return out;
}

/** Decoding context: the vCPU's (NXE, PSE, PKE) when it runs in this mode, else the defaults. */
async function decodeContext(mode: PagingMode, ctx: SessionContext, state: StopState): Promise<Partial<PagingContext> | undefined> {
  const p = await state.paging(ctx.currentVcpu()).catch(() => undefined);
  return p?.spec?.mode === mode ? p.spec.ctx : undefined;
}

function levelArg(a: RequestArgs, mode: PagingMode, command: string): number {
  const top = maxEntryLevel(mode);
  const v = a.level ?? top;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > top) {
    throw new HyperFrameError('BAD_ARGUMENT', `${command}: level ${JSON.stringify(v)} does not exist in ${mode} (1..${top}: 1 = PTE … ${top} = top)`);
  }
  return v;
}

function modeArg(a: RequestArgs, command: string): PagingMode {
  if (typeof a.mode !== 'string') throw new HyperFrameError('BAD_ARGUMENT', `${command}: 'mode' is required (legacy32, pae, long4, long5, ept)`);
  return parseMode(a.mode);
}

async function pageTable(a: RequestArgs, ctx: SessionContext, state: StopState): Promise<PageTableResult> {
  const cmd = 'hyperframe/pageTable';
  const mode = modeArg(a, cmd);
  const level = levelArg(a, mode, cmd);
  const table = numberArg(a, 'table', cmd, true);
  const align = mode === 'pae' && level === 3 ? 32n : 4096n;
  if (table % align !== 0n) throw new HyperFrameError('BAD_ARGUMENT', `${cmd}: table ${hex(table)} is not ${align}-byte aligned`);
  const baseVa = numberArg(a, 'baseVa', cmd) ?? 0n;
  const root = numberArg(a, 'root', cmd);
  const bytes = tableBytes(mode, level);
  // One read of the whole table, in one physical batch.
  const data = await ctx.target.physicalBatch(() => ctx.target.phys.read(table, bytes));
  const entries = tableEntries(data, mode, level, { table, baseVa, root, all: a.all === true, ctx: await decodeContext(mode, ctx, state) });
  return {
    mode,
    level,
    table: hex(table),
    count: entriesAt(mode, level),
    entryBytes: geometry(mode).entryBytes,
    coverage: hex(entryCoverage(mode, level)),
    entries,
    patSource: 'reset',
  };
}

async function frame(a: RequestArgs, ctx: SessionContext, state: StopState): Promise<FrameResult> {
  const cmd = 'hyperframe/frame';
  const pa = numberArg(a, 'pa', cmd);
  const mfn = numberArg(a, 'mfn', cmd);
  if ((pa === undefined) === (mfn === undefined)) throw new HyperFrameError('BAD_ARGUMENT', `${cmd}: give exactly one of 'pa' and 'mfn'`);
  const start = pa ?? mfn! << 12n;
  const bytes = a.bytes ?? 4096;
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1 || bytes > MAX_FRAME_BYTES) {
    throw new HyperFrameError('BAD_ARGUMENT', `${cmd}: bytes must be 1..${MAX_FRAME_BYTES} (got ${JSON.stringify(bytes)})`);
  }
  const data = await ctx.target.physicalBatch(() => ctx.target.phys.read(start, bytes));
  const out: FrameResult = { pa: hex(start), bytes: data.length, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
  if (a.asTable !== undefined) {
    const t = (typeof a.asTable === 'object' && a.asTable !== null ? a.asTable : {}) as RequestArgs;
    const mode = modeArg(t, `${cmd} asTable`);
    const level = levelArg(t, mode, `${cmd} asTable`);
    out.entries = tableEntries(data, mode, level, { table: start, baseVa: numberArg(t, 'baseVa', cmd) ?? 0n, all: true, ctx: await decodeContext(mode, ctx, state) });
  }
  return out;
}

async function translateRequest(a: RequestArgs, ctx: SessionContext, state: StopState): Promise<TranslateResult> {
  const cmd = 'hyperframe/translate';
  const va = numberArg(a, 'va', cmd, true);
  const { spec, vcpu } = await addressSpaceArg(a, cmd, ctx, state);
  const r = await ctx.target.physicalBatch(() => translateReport(va, spec, ctx.target.phys));
  const t = r.translation;
  const leaf = t.steps.at(-1)?.entry;
  return {
    va: hex(va),
    ...(vcpu !== undefined ? { vcpu } : {}),
    mode: spec.mode,
    root: hex(spec.root),
    steps: t.steps.map((s) => ({ level: s.level, table: hex(s.tablePa), index: s.index, entryPa: hex(s.entryPa), entry: entryInfo(s.entry) })),
    ...(t.pa !== undefined && leaf ? { pa: hex(t.pa), pageSize: Number(t.pageSize), flags: permsText(t.perms!, leaf.fields.G === 1) } : {}),
    ...(r.memoryType !== undefined ? { memoryType: r.memoryType } : {}),
    ...(t.fault ? { fault: faultJson(t.fault) } : {}),
    ...(r.entryVa !== undefined ? { entryVa: hex(r.entryVa) } : {}),
    ...(r.insideSelfMap ? { insideSelfMap: { slotVa: hex(r.insideSelfMap.slot.windowVa), level: r.insideSelfMap.level } } : {}),
  };
}

async function resolve(a: RequestArgs, deps: CustomRequestDeps): Promise<ResolveResult> {
  const cmd = 'hyperframe/resolve';
  if (typeof a.expression !== 'string' || !a.expression.trim()) throw new HyperFrameError('BAD_ARGUMENT', `${cmd}: 'expression' is required (a number, a symbol, a register or arithmetic)`);
  const vcpu = typeof a.vcpu === 'number' ? a.vcpu : deps.ctx.currentVcpu();
  const value = await deps.value(a.expression, vcpu);
  const symbol = deps.ctx.symbols.label(value);
  return { value: hex(value), ...(symbol ? { symbol } : {}) };
}
