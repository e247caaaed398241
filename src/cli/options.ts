import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DumpTarget } from '../target/dumpTarget';
import type { Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { parseNumber } from '../util/numbers';
import { modeFromRegs, parseMode, type PagingMode } from '../paging/modes';
import type { PagingSpec } from '../paging/spec';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that reads memory takes. */
export const SOURCE_OPTIONS: Options = {
  core: { type: 'string' },
  raw: { type: 'string' },
  base: { type: 'string' },
  root: { type: 'string' },
  mode: { type: 'string' },
  cpu: { type: 'string' },
  'max-phys-bits': { type: 'string' },
  json: { type: 'boolean' },
};

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** node:util's parseArgs, with its errors turned into one clear line. */
export function parse(argv: string[], options: Options, command: string): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new HyperFrameError('BAD_ARGUMENT', `${command}: ${msg.replace(/\. To specify.*$/, '')}`);
  }
}

export function str(v: Parsed['values'], name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

/** Opens the memory source the options name: a core, a raw image (and, later, a live target). */
export async function openTarget(v: Parsed['values']): Promise<Target> {
  const core = str(v, 'core');
  const raw = str(v, 'raw');
  if (core && raw) throw new HyperFrameError('BAD_ARGUMENT', 'give either --core or --raw, not both');
  if (str(v, 'base') !== undefined && !raw) throw new HyperFrameError('BAD_ARGUMENT', '--base applies to --raw images only');
  if (core) return DumpTarget.open(core);
  if (raw) {
    const base = str(v, 'base');
    return DumpTarget.open(raw, { raw: true, base: base === undefined ? undefined : parseNumber(base, 'base address') });
  }
  throw new HyperFrameError('BAD_ARGUMENT', 'no memory to read: give --core FILE or --raw FILE [--base PA]');
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
  const maxPhyAddrText = str(v, 'max-phys-bits');
  const maxPhyAddr = maxPhyAddrText === undefined ? 52 : Number(parseNumber(maxPhyAddrText, 'MAXPHYADDR'));
  if (maxPhyAddr < 32 || maxPhyAddr > 52) throw new HyperFrameError('BAD_ARGUMENT', `--max-phys-bits ${maxPhyAddr} is outside 32..52`);
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
