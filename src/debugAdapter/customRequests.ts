import { decodeEntry, maxEntryLevel } from '../paging/entry';
import { setFlags } from '../paging/format';
import { canonicalize, entriesAt, entryCoverage, geometry, modeFromRegs, parseMode, type PagingContext, type PagingMode, tableBytes } from '../paging/modes';
import { entryAt } from '../paging/tables';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { SessionContext } from './context';
import { mappingsRequest } from './mappingsRequest';
import type { StopState } from './registersCache';
import { numberArg, type RequestArgs } from './requestArgs';

// The adapter's own requests (documented in docs/dap-custom-requests.md). 64-bit values travel as
// `0x…` strings; arguments take such strings or plain numbers.

export interface RootInfo {
  vcpu: number;
  /** CR3 as the register holds it (root, PCID or PWT/PCD). */
  cr3: string;
  /** `none` when paging is off. */
  mode: PagingMode | 'none';
  /** Physical address of the top-level table. */
  root: string;
  /** Set when CR4.PCIDE. */
  pcid?: number;
}

export interface RootsResult {
  roots: RootInfo[];
  /** The launch configuration's pagingMode/root, when it overrides the registers. */
  configured?: { mode: PagingMode; root: string };
}

export interface TableEntryInfo {
  index: number;
  /** First VA the entry covers (canonical), from `baseVa`. */
  va: string;
  raw: string;
  kind: 'table' | 'page' | 'not-present';
  /** Next table or the page (0x0 when not present). */
  address: string;
  /** Bytes, for pages. */
  pageSize?: number;
  /** Set flags by SDM name, in bit order (`P RW US A D XD`, `AVL=3`). */
  flags: string[];
  /** Reserved bits that are set (`0x0` when none). */
  reserved: string;
  /** EPT misconfigurations. */
  problems?: string[];
  /** Points at this table itself or at the given root: a recursive slot. */
  selfMap?: boolean;
}

export interface PageTableResult {
  mode: PagingMode;
  level: number;
  table: string;
  /** Entries in the table (512, 1024 for legacy32, 4 for a PAE PDPT). */
  count: number;
  entryBytes: number;
  /** Bytes of VA one entry covers. */
  coverage: string;
  entries: TableEntryInfo[];
}

export interface FrameResult {
  pa: string;
  bytes: number;
  /** The bytes, base64. */
  data: string;
  entries?: TableEntryInfo[];
}

export const MAX_FRAME_BYTES = 1 << 20;

export async function customRequest(command: string, args: unknown, ctx: SessionContext, state: StopState): Promise<unknown> {
  const a: RequestArgs = typeof args === 'object' && args !== null ? (args as RequestArgs) : {};
  switch (command) {
    case 'hyperframe/roots':
      return roots(ctx, state);
    case 'hyperframe/pageTable':
      return pageTable(a, ctx, state);
    case 'hyperframe/frame':
      return frame(a, ctx, state);
    case 'hyperframe/mappings':
      return mappingsRequest(a, ctx, state);
    default:
      return undefined;
  }
}

async function roots(ctx: SessionContext, state: StopState): Promise<RootsResult> {
  const out: RootsResult = { roots: [] };
  const n = await ctx.target.vcpuCount();
  for (let vcpu = 0; vcpu < n; vcpu++) {
    const cr = await state.controlRegs(vcpu);
    if (!cr) throw new HyperFrameError('TARGET', `vCPU ${vcpu} reports no CR0/CR3/CR4`);
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

function decodeAll(data: Uint8Array, mode: PagingMode, level: number, opts: { table: bigint; baseVa: bigint; root?: bigint; all: boolean; ctx?: Partial<PagingContext> }): TableEntryInfo[] {
  const { entryBytes } = geometry(mode);
  const n = Math.floor(data.length / entryBytes);
  const cover = entryCoverage(mode, level);
  const out: TableEntryInfo[] = [];
  for (let i = 0; i < n; i++) {
    const raw = entryAt(data, mode, i);
    if (raw === 0n && !opts.all) continue;
    const e = decodeEntry(raw, mode, level, opts.ctx);
    const selfMap = e.kind === 'table' && (e.address === opts.table || e.address === opts.root);
    out.push({
      index: i,
      va: hex(canonicalize(mode, opts.baseVa + BigInt(i) * cover)),
      raw: hex(raw),
      kind: e.kind,
      address: hex(e.address),
      ...(e.pageSize !== undefined ? { pageSize: Number(e.pageSize) } : {}),
      flags: setFlags(e.fields),
      reserved: hex(e.reserved),
      ...(e.problems.length ? { problems: e.problems } : {}),
      ...(selfMap ? { selfMap: true } : {}),
    });
  }
  return out;
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
  const entries = decodeAll(data, mode, level, { table, baseVa, root, all: a.all === true, ctx: await decodeContext(mode, ctx, state) });
  return {
    mode,
    level,
    table: hex(table),
    count: entriesAt(mode, level),
    entryBytes: geometry(mode).entryBytes,
    coverage: hex(entryCoverage(mode, level)),
    entries,
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
    out.entries = decodeAll(data, mode, level, { table: start, baseVa: numberArg(t, 'baseVa', cmd) ?? 0n, all: true, ctx: await decodeContext(mode, ctx, state) });
  }
  return out;
}
