/**
 * The one way the CLI and the debug adapter turn "what to look at" into a Target: a gdb-remote
 * stub to attach to, or a dump file. Each face reads its own spelling of it (command-line options,
 * a launch configuration) into a TargetSource; everything after that is shared.
 */
import type { SymbolTable } from '../symbols';
import { HyperFrameError } from '../util/errors';
import { parseNumber } from '../util/numbers';
import { DumpTarget } from './dumpTarget';
import type { SharedRamFile } from './hostPhysical';
import { PHYSICAL_MEMORY_WORDS, type PhysicalMemoryOption } from './livePhysical';
import { LiveTarget } from './liveTarget';
import type { Target } from './target';

export type TargetSource =
  | {
      kind: 'attach';
      host: string;
      port: number;
      physicalMemory: PhysicalMemoryOption;
      /** Per request (default 5000 ms). */
      timeoutMs?: number;
      /** For the TCP connection itself (default 5000 ms). */
      connectTimeoutMs?: number;
      /** Guest RAM as a shared file, when the one who started QEMU made it so. */
      ramFile?: SharedRamFile;
    }
  | { kind: 'dump'; path: string; raw: boolean; /** Physical address of a raw image's first byte. */ base?: bigint };

export interface TargetOptions {
  source: TargetSource;
  /** Symbols that name addresses; a live target also finds its direct map in them. */
  symbols?: SymbolTable;
  /** Stub output nobody waits for (an unparseable stop reply): the user must see it. */
  onProtocolError?: (message: string) => void;
}

export async function openTarget({ source, symbols, onProtocolError }: TargetOptions): Promise<Target> {
  if (source.kind === 'dump') return DumpTarget.open(source.path, { raw: source.raw, base: source.base });
  const { host, port, physicalMemory, timeoutMs, connectTimeoutMs, ramFile } = source;
  const target = await LiveTarget.attach({ host, port, physicalMemory, timeoutMs, connectTimeoutMs, ramFile, symbols: symbols?.size ? symbols : undefined });
  if (onProtocolError) target.onProtocolError(onProtocolError);
  return target;
}

/**
 * How to reach a live target's physical memory: a word (auto, file, proc, qemu, identity) or a
 * direct map's offset, as the CLI's --physical (`0xffff830000000000`) or a launch configuration's
 * 'physicalMemory' (`{ "directMap": "0xffff830000000000" }`) spells it. Undefined is 'auto'.
 */
export function parsePhysicalMemory(v: unknown, spelling: 'option' | 'config'): PhysicalMemoryOption {
  if (v === undefined || v === null) return 'auto';
  const word = PHYSICAL_MEMORY_WORDS.find((w) => w === v);
  if (word) return word;
  const offset = spelling === 'option' ? v : directMapField(v);
  if (typeof offset === 'string') {
    try {
      return { directMap: parseNumber(offset, 'direct-map offset') };
    } catch (e) {
      if (spelling === 'config') throw new HyperFrameError('BAD_ARGUMENT', `bad 'physicalMemory': ${(e as Error).message}`);
    }
  }
  if (spelling === 'option') {
    throw new HyperFrameError('BAD_ARGUMENT', `bad --physical '${String(v)}': expected ${PHYSICAL_MEMORY_WORDS.join(', ')} or a direct-map offset such as 0xffff830000000000`);
  }
  const shown = JSON.stringify(v) ?? String(v);
  const hint = `expected ${PHYSICAL_MEMORY_WORDS.map((w) => `"${w}"`).join(', ')} or { "directMap": "0xffff830000000000" }`;
  throw new HyperFrameError('BAD_ARGUMENT', `bad 'physicalMemory' ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown}: ${hint}`);
}

/** The offset text of `{ "directMap": "0x…" }`, or undefined for anything else. */
function directMapField(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length !== 1) return undefined;
  return (v as { directMap?: unknown }).directMap;
}
