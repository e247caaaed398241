import type { GdbClient } from '../gdbstub/client';
import type { ThreadId } from '../gdbstub/replies';
import type { WritablePhysMem } from '../memory/physMem';
import { bit, hex } from '../util/numbers';
import { HyperFrameError } from '../util/errors';
import { cr3Mode, rootOfCr3 } from '../paging/modes';
import { findHostRam, type SharedRamFile } from './hostPhysical';
import type { PhysicalStrategy } from './target';

/**
 * What the user asked for in the launch config or on the command line: `auto` (the first that
 * works of: the shared RAM file, /proc/<pid>/mem, QEMU's physical mode, identity with paging off,
 * a direct map from the symbols), or one of them.
 */
export type PhysicalMemoryOption = 'auto' | 'file' | 'proc' | 'qemu' | 'identity' | { directMap: bigint };

/** The words of PhysicalMemoryOption, for parsers and messages. */
export const PHYSICAL_MEMORY_WORDS = ['auto', 'file', 'proc', 'qemu', 'identity'] as const;

/** Where symbols can tell us the direct map: the few names that matter here. */
export interface SymbolLookup {
  lookup(name: string): { va: bigint } | undefined;
}

/** Xen x86_64 maps all machine memory at DIRECTMAP_VIRT_START (include/asm-x86/config.h). */
export const XEN_DIRECTMAP_VIRT_START = 0xffff830000000000n;

export interface LivePhysical {
  strategy: PhysicalStrategy;
  mem: WritablePhysMem;
  /** One batch of physical accesses (QEMU: one mode switch for all of them). */
  batch<T>(fn: () => Promise<T>): Promise<T>;
  /** Why this strategy, for the user. */
  reason: string;
  /** Lets go of what the strategy holds open (a file, /proc/<pid>/mem). */
  close?(): void;
}

/** Reads physical memory as virtual memory at `offset + pa`, through one vCPU. */
class OffsetPhysMem implements WritablePhysMem {
  constructor(
    private readonly client: GdbClient,
    private readonly offset: bigint,
    private readonly thread: ThreadId | undefined,
    readonly description: string,
  ) {}
  read(pa: bigint, bytes: number): Promise<Uint8Array> {
    return this.client.readMemory(this.offset + pa, bytes, this.thread);
  }
  write(pa: bigint, data: Uint8Array): Promise<void> {
    return this.client.writeMemory(this.offset + pa, data, this.thread);
  }
}

function qemuMode(client: GdbClient, reason: string): LivePhysical {
  return { strategy: { kind: 'qemu' }, mem: client.physMem(), batch: (fn) => client.withPhysical(fn), reason };
}

/** The root table of the first vCPU, a place whose bytes tell a wrong host path at once. */
async function rootProbe(client: GdbClient, thread: ThreadId | undefined): Promise<bigint[]> {
  const r = await client.readRegisters(thread).catch(() => undefined);
  const cr0 = r?.get('cr0');
  const cr3 = r?.get('cr3');
  if (cr0 === undefined || cr3 === undefined || !bit(cr0, 31)) return [];
  return [rootOfCr3(cr3Mode(r?.get('cr4') ?? 0n, r?.get('efer') ?? 0n), cr3) & ~0xfffn];
}

/** QEMU on this host: guest RAM read directly when possible, else QEMU's physical mode, saying why. */
async function hostOrStub(client: GdbClient, how: 'file' | 'proc' | 'auto', thread: ThreadId | undefined, ramFile: SharedRamFile | undefined): Promise<LivePhysical> {
  const stub = client.physMem();
  const host = await findHostRam(client, stub, how, ramFile, await rootProbe(client, thread));
  if (host.mem !== undefined) {
    const mem = host.mem;
    return { strategy: host.strategy, mem, batch: (fn) => fn(), reason: host.reason, close: () => mem.close() };
  }
  if (how !== 'auto') throw new HyperFrameError('TARGET', `physical memory '${how}' is not possible: ${host.why}`);
  return qemuMode(client, `QEMU's physical-memory mode over the stub (not directly: ${host.why})`);
}

/**
 * Chooses how to reach physical memory: QEMU's physical mode when the stub has it; identity when
 * paging is off; a direct map from the options or the symbols (Xen's at 0xffff830000000000,
 * Linux's page_offset_base); otherwise a clear error naming the settings that would help.
 */
export async function choosePhysical(
  client: GdbClient,
  option: PhysicalMemoryOption,
  firstThread: ThreadId | undefined,
  symbols?: SymbolLookup,
  ramFile?: SharedRamFile,
): Promise<LivePhysical> {
  const peer = client.connection.peer;
  const direct = (offset: bigint, reason: string): LivePhysical => ({
    strategy: { kind: 'directMap', offset },
    mem: new OffsetPhysMem(client, offset, firstThread, `${peer}, physical through the direct map at ${hex(offset)}`),
    batch: (fn) => fn(),
    reason,
  });
  const identity = (reason: string): LivePhysical => ({
    strategy: { kind: 'identity' },
    mem: new OffsetPhysMem(client, 0n, firstThread, `${peer}, physical = virtual (paging off)`),
    batch: (fn) => fn(),
    reason,
  });
  if (option === 'file' || option === 'proc') {
    if (!client.features.phyMemMode) throw new HyperFrameError('TARGET', `physical memory '${option}' needs QEMU (its monitor's memory map); ${peer} is not QEMU's gdbstub`);
    return hostOrStub(client, option, firstThread, ramFile);
  }
  if (option === 'qemu') return qemuMode(client, "QEMU's physical-memory mode over the stub, as configured");
  if (option === 'auto' && client.features.phyMemMode) return hostOrStub(client, 'auto', firstThread, ramFile);
  if (option === 'identity') return identity('identity, as configured');
  if (typeof option === 'object') return direct(option.directMap, `direct map at ${hex(option.directMap)}, as configured`);

  const cr0 = (await client.readRegisters(firstThread)).get('cr0');
  if (cr0 !== undefined && !bit(cr0, 31)) return identity('paging is off (CR0.PG=0): physical = virtual');
  if (symbols?.lookup('idle_pg_table')) return direct(XEN_DIRECTMAP_VIRT_START, "Xen's direct map (xen-syms has idle_pg_table)");
  const pob = symbols?.lookup('page_offset_base');
  if (pob) {
    const bytes = await client.readMemory(pob.va, 8, firstThread);
    const offset = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
    return direct(offset, `Linux's direct map: page_offset_base = ${hex(offset)}`);
  }
  throw new HyperFrameError(
    'TARGET',
    `the stub at ${peer} has no physical-memory mode and nothing tells where physical memory is mapped: set physicalMemory to { "directMap": "0x…" } (Xen x86_64: ${hex(XEN_DIRECTMAP_VIRT_START)}) or load symbols (xen-syms, vmlinux)`,
  );
}
