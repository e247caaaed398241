/**
 * `dataBreakpointInfo`: what a data breakpoint on a name would watch. The answer is an id that
 * carries the address and size (`0x100f08/8`), so `setDataBreakpoints` needs no lookup and the
 * id stays valid across stops. x86 debug registers watch 1, 2, 4 or 8 aligned bytes.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SymbolTable } from '../symbols';
import { HyperFrameError } from '../util/errors';
import { hex, parseNumber } from '../util/numbers';
import { parseMemoryRef } from './memoryRefs';

const SIZES = [8, 4, 2, 1];

/**
 * The virtual address in a memory or instruction reference: `0x…`, or `v<cpu>:0x…` as the
 * inspection side writes them. Breakpoints and watchpoints work on virtual addresses only.
 */
export function virtualAddressOf(ref: string): bigint {
  // QEMU's breakpoints are global, so the vCPU a virtual reference names does not matter here.
  const r = parseMemoryRef(ref, 0);
  if (r.space.kind === 'physical') {
    throw new HyperFrameError('BAD_ARGUMENT', `'${ref}' is a physical address: breakpoints and watchpoints take virtual addresses`);
  }
  return r.address;
}

export function formatDataId(address: bigint, bytes: number): string {
  return `${hex(address)}/${bytes}`;
}

export function parseDataId(id: string): { address: bigint; bytes: number } {
  const m = /^(0x[0-9a-f]+)\/([1248])$/i.exec(id);
  if (!m) throw new HyperFrameError('BAD_ARGUMENT', `'${id}' is not a data breakpoint id of this adapter (ask dataBreakpointInfo first)`);
  return { address: BigInt(m[1]), bytes: Number(m[2]) };
}

/** Finds the memory a name means when it is not an address or a symbol (a variable, an expression). */
export type MemoryResolver = (args: DebugProtocol.DataBreakpointInfoArguments) => Promise<{ address: bigint; bytes?: number } | undefined>;

type InfoBody = DebugProtocol.DataBreakpointInfoResponse['body'];

function refuse(description: string): InfoBody {
  return { dataId: null, description };
}

export async function dataBreakpointInfo(
  args: DebugProtocol.DataBreakpointInfoArguments,
  symbols: SymbolTable,
  canWatch: boolean,
  resolve: MemoryResolver,
): Promise<InfoBody> {
  if (!canWatch) return refuse('this target cannot watch memory (a dump, or a stub without Z2/Z3/Z4)');
  const name = args.name.trim();
  let address: bigint | undefined;
  let bytes = args.bytes;
  let label = name;
  if (args.variablesReference === undefined) {
    if (args.asAddress || /^(0x[0-9a-f_`]+|\d+)$/i.test(name)) {
      try {
        address = parseNumber(name, 'address');
      } catch (e) {
        return refuse((e as Error).message);
      }
    } else {
      const m = /^&?\s*([A-Za-z_.$][\w.$]*)(?:\s*\+\s*(0x[0-9a-f]+|\d+))?$/i.exec(name);
      const sym = m ? symbols.lookup(m[1]) : undefined;
      if (sym && m) {
        address = sym.va + (m[2] ? parseNumber(m[2], 'offset') : 0n);
        if (bytes === undefined && !m[2] && SIZES.includes(Number(sym.sizeBytes))) bytes = Number(sym.sizeBytes);
        label = m[2] ? name : `${sym.name}`;
      }
    }
  }
  if (address === undefined) {
    const found = await resolve(args).catch(() => undefined);
    if (!found) return refuse(`'${name}' has no address to watch: give a symbol, an address (0x…) or a variable that lives in memory`);
    address = found.address;
    bytes ??= found.bytes;
  }
  if (bytes === undefined) bytes = SIZES.find((s) => address % BigInt(s) === 0n) ?? 1;
  if (!SIZES.includes(bytes)) return refuse(`cannot watch ${bytes} bytes: x86 watches 1, 2, 4 or 8`);
  if (address % BigInt(bytes) !== 0n) return refuse(`cannot watch ${bytes} bytes at ${hex(address)}: the address must be ${bytes}-byte aligned`);
  return {
    dataId: formatDataId(address, bytes),
    description: `${label} (${bytes} bytes at ${hex(address)})`,
    accessTypes: ['write', 'read', 'readWrite'],
    canPersist: true,
  };
}
