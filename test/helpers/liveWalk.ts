import { expect } from 'vitest';
import { resolveAddressSpace } from '../../src/cli/options';
import { WalkFormat } from '../../src/paging/walkFormat';
import { runWalk } from '../../src/paging/walkRun';
import type { SharedRamFile } from '../../src/target/hostPhysical';
import type { PhysicalMemoryOption } from '../../src/target/livePhysical';
import { LiveTarget } from '../../src/target/liveTarget';

export interface LiveWalk {
  /** Every leaf as walk --leaves prints it, in walk order. */
  leaves: string[];
  /** Self-maps, shared tables, faults, unreadable tables: kind and VA. */
  notes: string[];
  tables: number;
  /** Packets sent during the walk alone (after attach). */
  packets: number;
  /** The path to physical memory the attach took, as the target names it. */
  physical: string;
  ms: number;
}

/**
 * A whole walk of vCPU `cpu` through a fresh attach that reaches physical memory as told; the VM
 * is left paused (close without `D`), so that several walks see one frozen state.
 */
export async function liveWalk(port: number, cpu: number, physicalMemory: PhysicalMemoryOption, ramFile?: SharedRamFile): Promise<LiveWalk> {
  const t = await LiveTarget.attach({ host: '127.0.0.1', port, physicalMemory, ramFile });
  try {
    const { spec } = await resolveAddressSpace({ cpu: String(cpu) }, t);
    const fmt = new WalkFormat(spec.mode);
    const leaves: string[] = [];
    const notes: string[] = [];
    const before = t.client.counters.packetsSent;
    const start = performance.now();
    const stats = await t.physicalBatch(() =>
      runWalk(spec, t.phys, {}, { leaf: (l) => void leaves.push(fmt.leafLine(l, false)), note: (n) => void notes.push(`${n.kind} ${n.va}`) }),
    );
    const ms = performance.now() - start;
    return { leaves, notes, tables: stats.tablesRead, packets: t.client.counters.packetsSent - before, physical: t.physicalMemory, ms };
  } finally {
    await t.close({ leavePaused: true });
  }
}

/** The differences between two lists of lines, few enough to print. */
export function lineDiff(ours: string[], theirs: string[]): { onlyOurs: string[]; onlyTheirs: string[]; counts: [number, number] } {
  const t = new Set(theirs);
  const o = new Set(ours);
  const onlyOurs = ours.filter((x) => !t.has(x));
  const onlyTheirs = theirs.filter((x) => !o.has(x));
  return { onlyOurs: onlyOurs.slice(0, 20), onlyTheirs: onlyTheirs.slice(0, 20), counts: [onlyOurs.length, onlyTheirs.length] };
}

/**
 * vCPU 0's walk with guest RAM read from /proc/<pid>/mem and over the stub (QEMU's physical mode)
 * in one freeze of the VM: the same leaves and notes, no packet for the host path, two per table
 * over the stub (plus the switch into physical mode and out). Returns both walks.
 */
export async function hostVersusStub(vm: { gdbPort: number; pid: number; hmp(cmd: string): Promise<string> }, ram: string): Promise<{ stub: LiveWalk; proc: LiveWalk; summary: string }> {
  await vm.hmp('stop');
  let stub: LiveWalk;
  let proc: LiveWalk;
  try {
    stub = await liveWalk(vm.gdbPort, 0, 'qemu');
    proc = await liveWalk(vm.gdbPort, 0, 'proc');
  } finally {
    await vm.hmp('cont');
  }
  expect(proc.physical).toMatch(new RegExp(`^QEMU guest RAM via /proc/${vm.pid}/mem \\(gpa2hva: pc\\.ram ${ram}`));
  if (proc.leaves.join('\n') !== stub.leaves.join('\n')) expect(lineDiff(proc.leaves, stub.leaves)).toEqual({ onlyOurs: [], onlyTheirs: [], counts: [0, 0] });
  expect(proc.notes).toEqual(stub.notes);
  expect(proc.packets).toBe(0);
  expect(stub.packets).toBe(2 * stub.tables + 2);
  const summary =
    `host path vs stub: ${proc.leaves.length} leaves equal; ${stub.tables} tables; walk ${proc.ms.toFixed(0)} ms via /proc (0 packets), ` +
    `${stub.ms.toFixed(0)} ms over the stub (${stub.packets} packets, pipelined)`;
  return { stub, proc, summary };
}
