import { parseArgs, type ParseArgsConfig } from 'node:util';
import { openTarget as openSource, parsePhysicalMemory, type TargetSource } from '../target/openTarget';
import { loadSymbolFiles, type SymbolTable } from '../symbols';
import type { Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { parseNumber } from '../util/numbers';
import { checkedMaxPhysBits, modeFromRegs, parseMode, type PagingMode } from '../paging/modes';
import type { PagingSpec } from '../paging/spec';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that reads memory takes. */
export const SOURCE_OPTIONS: Options = {
  core: { type: 'string' },
  target: { type: 'string' },
  physical: { type: 'string' },
  timeout: { type: 'string' },
  symbols: { type: 'string', multiple: true },
  raw: { type: 'string' },
  base: { type: 'string' },
  root: { type: 'string' },
  mode: { type: 'string' },
  cpu: { type: 'string' },
  'max-phys-bits': { type: 'string' },
  json: { type: 'boolean' },
};

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** node:util's parseArgs, with its errors turned into one clear line. */
export function parse(argv: string[], options: Options, command: string): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    // runCli names the command once (`hyperframe walk: …`): the message must not name it again.
    throw new HyperFrameError('BAD_ARGUMENT', `${msg.replace(/\. To specify.*$/, '')} ('hyperframe ${command} --help' lists what it takes)`);
  }
}

export function str(v: Parsed['values'], name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

/** --max-phys-bits: MAXPHYADDR as x86 CPUs implement it, 32..52 (default 52). */
export function maxPhysBits(v: Parsed['values']): number {
  const text = str(v, 'max-phys-bits');
  if (text === undefined) return 52;
  return checkedMaxPhysBits(parseNumber(text, 'MAXPHYADDR'));
}

/** `host:port`, `:port` or `port` (host defaults to 127.0.0.1). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new HyperFrameError('BAD_ARGUMENT', `bad --target '${text}': expected host:port, e.g. 127.0.0.1:1234`);
  return { host: m[1] || '127.0.0.1', port };
}

/** The --symbols files (xen-syms, vmlinux, System.map), merged; empty without --symbols. */
export async function sourceSymbols(v: Parsed['values']): Promise<SymbolTable> {
  return loadSymbolFiles((v.symbols as string[] | undefined) ?? []);
}

/** --timeout MS: how long to wait for each answer of the stub (default 5000; 100..600000). */
function timeoutOption(v: Parsed['values']): number | undefined {
  const text = str(v, 'timeout');
  if (text === undefined) return undefined;
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms < 100 || ms > 600_000) throw new HyperFrameError('BAD_ARGUMENT', `bad --timeout '${text}': milliseconds to wait for each answer of the stub, 100 to 600000 (default 5000)`);
  return ms;
}

/** The memory source the options name: a live stub, a core or a raw image. */
export function targetSource(v: Parsed['values']): TargetSource {
  const core = str(v, 'core');
  const raw = str(v, 'raw');
  const live = str(v, 'target');
  if ([core, raw, live].filter(Boolean).length > 1) throw new HyperFrameError('BAD_ARGUMENT', 'give one of --target, --core or --raw');
  if (live) return { kind: 'attach', ...parseHostPort(live), physicalMemory: parsePhysicalMemory(str(v, 'physical'), 'option'), timeoutMs: timeoutOption(v) };
  if (str(v, 'timeout') !== undefined) throw new HyperFrameError('BAD_ARGUMENT', '--timeout applies to --target only');
  if (str(v, 'base') !== undefined && !raw) throw new HyperFrameError('BAD_ARGUMENT', '--base applies to --raw images only');
  if (core) return { kind: 'dump', path: core, raw: false };
  if (raw) {
    const base = str(v, 'base');
    return { kind: 'dump', path: raw, raw: true, base: base === undefined ? undefined : parseNumber(base, 'base address') };
  }
  throw new HyperFrameError('BAD_ARGUMENT', 'no memory to read: give --target HOST:PORT, --core FILE or --raw FILE [--base PA]');
}

/**
 * Opens the memory source the options name. A live target finds its direct map through `symbols`
 * (loaded from --symbols unless the caller has them).
 */
export async function openTarget(v: Parsed['values'], symbols?: SymbolTable): Promise<Target> {
  const source = targetSource(v);
  return openSource({ source, symbols: source.kind === 'attach' ? (symbols ?? (await sourceSymbols(v))) : undefined });
}

export interface ResolvedAddressSpace {
  spec: PagingSpec;
  /** How the mode and root were chosen, for the user (and lines on inferred registers). */
  notes: string[];
}

/**
 * The address space to walk: --root and --mode when given, else what the vCPU's CR0/CR3/CR4/EFER
 * say (a core or a live target).
 */
export async function resolveAddressSpace(v: Parsed['values'], target: Target): Promise<ResolvedAddressSpace> {
  const maxPhyAddr = maxPhysBits(v);
  const rootText = str(v, 'root');
  const modeText = str(v, 'mode');
  const cpu = str(v, 'cpu') === undefined ? 0 : Number(parseNumber(str(v, 'cpu')!, 'vCPU number'));
  if (rootText !== undefined && modeText !== undefined) {
    return { spec: { mode: parseMode(modeText), root: parseNumber(rootText, 'root'), ctx: { maxPhyAddr } }, notes: [] };
  }
  if ((await target.vcpuCount()) === 0) {
    const missing = [rootText === undefined ? '--root' : '', modeText === undefined ? '--mode' : ''].filter(Boolean);
    throw new HyperFrameError('BAD_ARGUMENT', `this source has no registers: give ${missing.join(' and ')}`);
  }
  const regs = await target.controlRegs(cpu);
  const m = modeFromRegs(regs, maxPhyAddr);
  if (m.mode === 'none' && modeText === undefined) {
    throw new HyperFrameError('BAD_ARGUMENT', `vCPU ${cpu} has paging off (CR0.PG=0): there are no tables to walk`);
  }
  const mode: PagingMode = modeText !== undefined ? parseMode(modeText) : (m.mode as PagingMode);
  const root = rootText !== undefined ? parseNumber(rootText, 'root') : m.root;
  const notes = [`vCPU ${cpu}: ${m.reason}, CR3 0x${regs.cr3.toString(16)}`, ...regs.notes];
  return { spec: { mode, root, ctx: m.context }, notes };
}
