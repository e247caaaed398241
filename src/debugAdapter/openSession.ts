/**
 * Turns a checked configuration into an opened session: the Target (target/openTarget.ts, as the
 * CLI opens it), after starting QEMU when the configuration says so. Also loads the symbol files
 * and settles the paging override, so that the session starts with everything its requests need.
 */
import type { PagingSpec } from '../paging/spec';
import { loadSymbolFiles, type SymbolTable } from '../symbols';
import { loadOffsetsFile } from '../xenTarget/offsetsFile';
import type { XenBuild } from '../xen/structLayouts';
import type { SharedRamFile } from '../target/hostPhysical';
import type { PhysicalMemoryOption } from '../target/livePhysical';
import { openTarget } from '../target/openTarget';
import type { Target } from '../target/target';
import { rootOfCr3 } from '../paging/modes';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { SessionConfig } from './launchConfig';
import { connectWhenReady, spawnQemu, type LaunchedQemu } from './qemuLauncher';

export interface OpenedTarget {
  target: Target;
  symbols: SymbolTable;
  /** The launch configuration's xenOffsets, read: a Xen build's struct offsets. */
  xenBuild?: XenBuild;
  pagingOverride?: Pick<PagingSpec, 'mode' | 'root'>;
  /** QEMU, when the adapter started it. */
  qemu?: LaunchedQemu;
}

export type Output = (text: string, category: 'console' | 'stdout' | 'stderr' | 'important') => void;

async function pagingOverride(cfg: SessionConfig, target: Target, out: Output): Promise<Pick<PagingSpec, 'mode' | 'root'> | undefined> {
  if (cfg.pagingMode === 'auto') return undefined;
  if (cfg.root !== undefined) return { mode: cfg.pagingMode, root: cfg.root };
  if ((await target.vcpuCount()) === 0) {
    throw new HyperFrameError('BAD_ARGUMENT', `'pagingMode' ${cfg.pagingMode} on an image without registers needs a 'root' (the top table's physical address)`);
  }
  const root = rootOfCr3(cfg.pagingMode, (await target.controlRegs(0)).cr3);
  out(`pagingMode ${cfg.pagingMode} without 'root': using CPU 0's CR3 (${hex(root)}) for every vCPU\n`, 'console');
  return { mode: cfg.pagingMode, root };
}

export async function openSession(cfg: SessionConfig, out: Output): Promise<OpenedTarget> {
  const symbols = await loadSymbolFiles(cfg.symbols);
  const xenBuild = cfg.xenOffsets === undefined ? undefined : await loadOffsetsFile(cfg.xenOffsets);
  if (symbols.size > 0) out(`${symbols.size} symbols from ${cfg.symbols.join(', ')}\n`, 'console');
  const attach = (at: { host: string; port: number }, physicalMemory: PhysicalMemoryOption, ramFile?: SharedRamFile): Promise<Target> =>
    openTarget({
      source: { kind: 'attach', host: at.host, port: at.port, physicalMemory, timeoutMs: cfg.timeoutMs, connectTimeoutMs: cfg.timeoutMs, ramFile },
      symbols,
      // Nobody waits for what it says, so the Debug Console must show it.
      onProtocolError: (message) => out(`${message}\n`, 'important'),
    });
  let target: Target;
  let qemu: LaunchedQemu | undefined;
  switch (cfg.kind) {
    case 'attach':
      target = await attach(cfg, cfg.physicalMemory);
      break;
    case 'dump':
      target = await openTarget({ source: { kind: 'dump', path: cfg.path, raw: cfg.raw, base: cfg.base } });
      break;
    case 'qemu': {
      // Guest RAM in a shared file unless the configuration asks for another way to read it.
      const ramFile = cfg.physicalMemory === 'auto' || cfg.physicalMemory === 'file';
      qemu = await spawnQemu(cfg.qemuPath, cfg.args, (text, category) => out(text, category), { ramFile });
      out(`started ${cfg.qemuPath} (pid ${qemu.pid}), gdbstub on ${qemu.gdb.host}:${qemu.gdb.port}\n`, 'console');
      if (qemu.ramFileNote) out(`guest RAM is not in a shared file: ${qemu.ramFileNote}\n`, 'console');
      if (qemu.gdb.exposed) out(`warning: ${qemu.gdb.exposed}\n`, 'stderr');
      const q = qemu;
      try {
        target = await connectWhenReady(q, () => attach(q.gdb, cfg.physicalMemory, q.ramFile), Math.max(cfg.timeoutMs, 10_000));
        q.forgetRamFile(); // QEMU has it mapped and the target has it open: no name needed any more
      } catch (e) {
        await q.terminate(1000);
        throw e;
      }
      break;
    }
  }
  try {
    out(`${target.description}\n`, 'console');
    // What a stub unlike QEMU's lacks, once each (the root is moot when the configuration gives it).
    for (const u of target.capabilities.unavailable ?? []) if (!(u.feature === 'control registers' && cfg.root !== undefined)) out(`${u.reason}\n`, 'console');
    return { target, symbols, xenBuild, qemu, pagingOverride: await pagingOverride(cfg, target, out) };
  } catch (e) {
    await target.close().catch(() => undefined);
    await qemu?.terminate(1000);
    throw e;
  }
}
