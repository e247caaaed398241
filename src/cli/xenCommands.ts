import type { SymbolTable } from '../symbols';
import type { Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { hex, parseNumber } from '../util/numbers';
import { layoutFor, layoutRows, parseArch, type XenBuild } from '../xen';
import { loadOffsetsFile } from '../xenTarget/offsetsFile';
import { PvGuest } from '../xenTarget/pvGuest';
import { domainsResult, frameInfoResult, m2pResult, p2mResult, regionResult, startInfoResult } from '../xenTarget/results';
import { XenSystem } from '../xenTarget/xenSystem';
import { domainsLines, frameInfoLines, m2pLines, p2mLines, startInfoLines } from '../xenText/xenText';
import type { CliIo } from './io';
import { openTarget, parse, type Parsed, SOURCE_OPTIONS, str, sourceSymbols } from './options';

export const XEN_HELP = `hyperframe region <va> [--xen VERSION] [--arch x86_64|x86_32-pae|x86_32|x86_64-compat] [--context pv|idle] [--json]
hyperframe region --list [--xen VERSION] [--arch ARCH]
  Where a VA falls in Xen's virtual layout, and what that region holds (no target needed).

hyperframe domains SOURCE --symbols xen-syms [--xen-offsets FILE] [--json]
  Xen's domains from domain_list: pages, max pages, vCPUs and their page-table roots.

hyperframe m2p <mfn> [--count N] SOURCE --symbols xen-syms [--json]
  machine_to_phys_mapping: the pfn each machine frame's owner maps it at.

hyperframe frame <mfn> [--bytes] SOURCE --symbols xen-syms [--xen-offsets FILE] [--json]
  A frame's struct page_info (count_info, type_info, owner) and M2P entry; --bytes adds its contents.

hyperframe p2m [--check] [--domain N] [--cpu N] SOURCE --symbols xen-syms --symbols System.map [--json]
  A PV guest's P2M (pfn -> mfn) as runs beside its E820; --check: m2p[p2m[pfn]] == pfn for every mapped pfn.

hyperframe startinfo [--at VA] [--cpu N] SOURCE --symbols System.map [--json]
  A PV guest's start_info, with pt_base beside each vCPU's live CR3.`;

const XEN_OPTIONS = { ...SOURCE_OPTIONS, 'xen-offsets': { type: 'string' } } as const;

async function offsetsOption(v: Parsed['values']): Promise<XenBuild | undefined> {
  const file = str(v, 'xen-offsets');
  return file === undefined ? undefined : loadOffsetsFile(file);
}

/** Opens the source and runs `fn` in one physical batch, with the symbols loaded once. */
async function withTarget<T>(v: Parsed['values'], fn: (target: Target, symbols: SymbolTable) => Promise<T>): Promise<T> {
  const symbols = await sourceSymbols(v);
  const target = await openTarget(v, symbols);
  try {
    return await target.physicalBatch(() => fn(target, symbols));
  } finally {
    await target.close();
  }
}

async function withXen<T>(v: Parsed['values'], fn: (xen: XenSystem, target: Target, symbols: SymbolTable) => Promise<T>): Promise<T> {
  const build = await offsetsOption(v);
  return withTarget(v, async (target, symbols) => fn(await XenSystem.open(target, symbols, { build }), target, symbols));
}

function oneNumber(positionals: string[], command: string, what: string): bigint {
  if (positionals.length !== 1) throw new HyperFrameError('BAD_ARGUMENT', `${command} takes one ${what}, got ${positionals.length}`);
  return parseNumber(positionals[0], what);
}

function intOption(v: Parsed['values'], name: string): number | undefined {
  const t = str(v, name);
  return t === undefined ? undefined : Number(parseNumber(t, `--${name}`));
}

function print(io: CliIo, v: Parsed['values'], json: unknown, lines: () => string[]): void {
  if (v.json) io.out(JSON.stringify(json, null, 2));
  else for (const l of lines()) io.out(l);
}

export async function regionCommand(argv: string[], io: CliIo): Promise<number> {
  const opts = { xen: { type: 'string' }, arch: { type: 'string' }, context: { type: 'string' }, list: { type: 'boolean' }, json: { type: 'boolean' } } as const;
  const { values: v, positionals } = parse(argv, opts, 'region');
  const context = str(v, 'context');
  if (context !== undefined && context !== 'pv' && context !== 'idle') throw new HyperFrameError('BAD_ARGUMENT', `--context must be pv or idle, not '${context}'`);
  const req = { xen: str(v, 'xen'), arch: str(v, 'arch'), context: context as 'pv' | 'idle' | undefined };
  if (v.list) {
    const layout = layoutFor({ xen: req.xen, arch: req.arch === undefined ? undefined : parseArch(req.arch), context: req.context });
    print(io, v, { layout: layout.name, regions: layout.regions.map((r) => ({ name: r.name, kind: r.kind, start: hex(r.start), end: hex(r.end), description: r.description, source: r.source })) }, () => [`# ${layout.name}`, ...layoutRows(layout)]);
    return 0;
  }
  const r = regionResult(oneNumber(positionals, 'region', 'virtual address'), req);
  print(io, v, r, () => r.lines);
  return r.region ? 0 : 1;
}

export async function domainsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, XEN_OPTIONS, 'domains');
  if (positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `domains takes no positional argument (got '${positionals[0]}')`);
  const r = await withXen(v, (xen) => domainsResult(xen));
  print(io, v, r, () => domainsLines(r));
  return 0;
}

export async function m2pCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, { ...XEN_OPTIONS, count: { type: 'string' } }, 'm2p');
  const mfn = oneNumber(positionals, 'm2p', 'machine frame number');
  const r = await withXen(v, (xen) => m2pResult(xen, mfn, intOption(v, 'count') ?? 1));
  print(io, v, r, () => m2pLines(r));
  return 0;
}

export async function frameCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, { ...XEN_OPTIONS, bytes: { type: 'boolean' } }, 'frame');
  const mfn = oneNumber(positionals, 'frame', 'machine frame number');
  const { info, data } = await withXen(v, async (xen, target) => ({
    info: await frameInfoResult(xen, mfn),
    data: v.bytes ? await target.phys.read(mfn << 12n, 4096) : undefined,
  }));
  print(io, v, data ? { ...info, data: Buffer.from(data).toString('base64') } : info, () => [...frameInfoLines(info), ...(data ? hexDump(data, mfn << 12n) : [])]);
  return 0;
}

/** 16 bytes a line: machine address, hex bytes, ASCII. */
export function hexDump(data: Uint8Array, base: bigint): string[] {
  const out: string[] = [];
  for (let o = 0; o < data.length; o += 16) {
    const row = data.subarray(o, o + 16);
    const bytes = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${hex(base + BigInt(o), 12)}  ${bytes.padEnd(47)}  ${text}`);
  }
  return out;
}

/** The PV guest a command means: --domain N through Xen, else the guest on --cpu's tables. */
async function guestOf(v: Parsed['values'], target: Target, symbols: SymbolTable, build: XenBuild | undefined): Promise<PvGuest> {
  const domain = intOption(v, 'domain');
  const hasXen = symbols.lookupAll('idle_pg_table').length > 0;
  const xen = hasXen ? await XenSystem.open(target, symbols, { build }) : undefined;
  if (domain !== undefined && !xen) throw new HyperFrameError('BAD_ARGUMENT', '--domain needs the hypervisor\'s symbols: add --symbols xen-syms');
  return PvGuest.open(target, symbols, xen, { domain, vcpu: intOption(v, 'cpu') });
}

export async function p2mCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, { ...XEN_OPTIONS, check: { type: 'boolean' }, domain: { type: 'string' } }, 'p2m');
  if (positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `p2m takes no positional argument (got '${positionals[0]}')`);
  const build = await offsetsOption(v);
  const r = await withTarget(v, async (target, symbols) => p2mResult(await guestOf(v, target, symbols, build), { check: v.check === true }));
  print(io, v, r, () => p2mLines(r));
  return r.check && r.check.mismatches.length ? 1 : 0;
}

export async function startInfoCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, { ...XEN_OPTIONS, at: { type: 'string' }, domain: { type: 'string' } }, 'startinfo');
  if (positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `startinfo takes no positional argument (got '${positionals[0]}')`);
  const at = str(v, 'at');
  const build = await offsetsOption(v);
  const r = await withTarget(v, async (target, symbols) => startInfoResult(await guestOf(v, target, symbols, build), { at: at === undefined ? undefined : parseNumber(at, '--at') }));
  print(io, v, r, () => startInfoLines(r));
  return 0;
}
