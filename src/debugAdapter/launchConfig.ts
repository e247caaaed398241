/**
 * The `hyperframe` debug configuration: what attach and launch accept, checked field by field so
 * that a mistake comes back as one sentence naming the field, what was given and what would do.
 */
import { CPU_PAGING_MODES, type CpuPagingMode } from '../paging/modes';
import type { PhysicalMemoryOption } from '../target/livePhysical';
import { parsePhysicalMemory } from '../target/openTarget';
import { HyperFrameError } from '../util/errors';
import { parseNumber } from '../util/numbers';

export type PagingModeOption = 'auto' | CpuPagingMode;
/** Also the enum of package.json's pagingMode (a test compares them). */
export const PAGING_MODE_OPTIONS: readonly PagingModeOption[] = ['auto', ...CPU_PAGING_MODES];

interface CommonConfig {
  /** Symbol files that name addresses: ELF images (xen-syms, vmlinux) and System.map files. */
  symbols: string[];
  /** A JSON file of struct offsets for a Xen build HyperFrame does not know (docs/xen-offsets.md). */
  xenOffsets?: string;
  pagingMode: PagingModeOption;
  /** Root table for `pagingMode` (default: the vCPU's CR3). */
  root?: bigint;
  /** Report the stop found at attach (true) or let the machine run (false). */
  stopOnAttach: boolean;
  /** Leave the machine paused when the session ends (default: running). */
  leavePaused: boolean;
  /** Per-request and connect timeout, ms. */
  timeoutMs: number;
  /** Log each stop the adapter handles on its own (resumed silently) to the Debug Console. */
  trace: boolean;
  /**
   * Whether the client can show memory itself ("View Binary Data": VS Code needs the
   * ms-vscode.hexeditor extension, or it tries to download it). HyperFrame's extension sets it.
   */
  viewBinaryData: boolean;
}

export interface AttachConfig extends CommonConfig {
  kind: 'attach';
  host: string;
  port: number;
  physicalMemory: PhysicalMemoryOption;
}

export interface DumpConfig extends CommonConfig {
  kind: 'dump';
  path: string;
  raw: boolean;
  /** Physical address of a raw image's first byte. */
  base?: bigint;
}

export interface QemuConfig extends CommonConfig {
  kind: 'qemu';
  qemuPath: string;
  args: string[];
  physicalMemory: PhysicalMemoryOption;
}

export type SessionConfig = AttachConfig | DumpConfig | QemuConfig;

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_QEMU = 'qemu-system-x86_64';

function bad(message: string): HyperFrameError {
  return new HyperFrameError('BAD_ARGUMENT', message);
}

/** The JSON value, for messages: short and unambiguous. */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

type Raw = Record<string, unknown>;

function asRecord(args: unknown, request: string): Raw {
  if (args === undefined || args === null) return {}; // a client may leave out empty arguments
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw bad(`${request}: the configuration must be an object`);
  return args as Raw;
}

function optString(r: Raw, key: string): string | undefined {
  const v = r[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw bad(`'${key}' must be a non-empty string, got ${shown(v)}`);
  return v;
}

function optBool(r: Raw, key: string, dflt: boolean): boolean {
  const v = r[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw bad(`'${key}' must be true or false, got ${shown(v)}`);
  return v;
}

function stringList(r: Raw, key: string): string[] {
  const v = r[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw bad(`'${key}' must be a list of strings, got ${shown(v)}`);
  return v as string[];
}

/** A 64-bit value: a "0x…" string (JSON numbers lose bits past 2^53) or a safe integer. */
function optBig(r: Raw, key: string, what: string): bigint | undefined {
  const v = r[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string') {
    try {
      return parseNumber(v, what);
    } catch (e) {
      throw bad(`'${key}': ${(e as Error).message}`);
    }
  }
  throw bad(`'${key}' must be a "0x…" string, got ${shown(v)}`);
}

export function parsePort(v: unknown, key = 'port'): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw bad(`'${key}' must be a TCP port number 1..65535, got ${shown(v)}`);
  }
  return n;
}

function parseCommon(r: Raw): CommonConfig {
  const mode = r.pagingMode ?? 'auto';
  const pagingMode = PAGING_MODE_OPTIONS.find((m) => m === mode);
  if (!pagingMode) throw bad(`bad 'pagingMode' ${shown(mode)}: expected one of ${PAGING_MODE_OPTIONS.join(', ')}`);
  const root = optBig(r, 'root', 'root');
  if (root !== undefined && pagingMode === 'auto') throw bad(`'root' needs a 'pagingMode' (legacy32, pae, long4 or long5)`);
  const timeout = r.timeout ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw bad(`'timeout' must be a positive number of milliseconds, got ${shown(r.timeout)}`);
  }
  return {
    symbols: stringList(r, 'symbols'),
    xenOffsets: optString(r, 'xenOffsets'),
    pagingMode,
    root,
    stopOnAttach: optBool(r, 'stopOnAttach', true),
    leavePaused: optBool(r, 'leavePaused', false),
    timeoutMs: timeout,
    trace: optBool(r, 'trace', false),
    viewBinaryData: optBool(r, 'viewBinaryData', true),
  };
}

/** `attach`: a gdb-remote stub that is already listening. */
export function parseAttachConfig(args: unknown): AttachConfig {
  const r = asRecord(args, 'attach');
  if (r.port === undefined || r.port === null) {
    throw bad(`attach needs a 'port': the gdbstub's TCP port (QEMU's -s listens on 1234, -gdb tcp::PORT elsewhere)`);
  }
  return {
    kind: 'attach',
    ...parseCommon(r),
    host: optString(r, 'host') ?? '127.0.0.1',
    port: parsePort(r.port),
    physicalMemory: parsePhysicalMemory(r.physicalMemory, 'config'),
  };
}

/** `launch`: a dump opened offline (`core` or `raw`), or QEMU started by the adapter. */
export function parseLaunchConfig(args: unknown): DumpConfig | QemuConfig {
  const r = asRecord(args, 'launch');
  const core = optString(r, 'core');
  const raw = optString(r, 'raw');
  const qemuGiven = r.qemuPath !== undefined || r.args !== undefined;
  const given = [core && 'core', raw && 'raw', qemuGiven && 'qemuPath/args'].filter(Boolean);
  if (given.length > 1) throw bad(`launch takes one of 'core', 'raw' or 'qemuPath'/'args', not ${given.join(' and ')}`);
  if (r.base !== undefined && !raw) throw bad(`'base' applies to a 'raw' image only`);
  const common = parseCommon(r);
  if (core || raw) {
    if (r.physicalMemory !== undefined) throw bad(`'physicalMemory' applies to live targets; a dump holds physical memory itself`);
    return { kind: 'dump', ...common, path: (core ?? raw) as string, raw: raw !== undefined, base: optBig(r, 'base', 'base address') };
  }
  if (!qemuGiven) {
    throw bad(`launch needs 'core' (an ELF core), 'raw' (a memory image) or 'args' for QEMU (e.g. ["-kernel", "vmlinux", "-smp", "2"]); to connect to a running stub use "request": "attach"`);
  }
  if (!Array.isArray(r.args) || r.args.some((a) => typeof a !== 'string')) {
    throw bad(`'args' must be a list of strings (QEMU's command line without the program), got ${shown(r.args)}`);
  }
  return {
    kind: 'qemu',
    ...common,
    qemuPath: optString(r, 'qemuPath') ?? DEFAULT_QEMU,
    args: r.args as string[],
    physicalMemory: parsePhysicalMemory(r.physicalMemory, 'config'),
  };
}
