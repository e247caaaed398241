import { GdbClient } from '../../src/gdbstub/client';
import type { LeafEvent } from '../../src/paging/mappings';
import type { PagingMode } from '../../src/paging/modes';
import type { LeafFlags } from '../guests/expected-types';

const b = (v: bigint, n: number) => ((v >> BigInt(n)) & 1n) === 1n;

/** A leaf's own bits, read straight from its raw entry (not the effective rights). */
export function leafFlagsFromRaw(raw: bigint, level: number, mode: PagingMode): LeafFlags {
  return {
    rw: b(raw, 1),
    us: b(raw, 2),
    pwt: b(raw, 3),
    pcd: b(raw, 4),
    g: b(raw, 8),
    pat: level > 1 ? b(raw, 12) : b(raw, 7),
    xd: mode !== 'legacy32' && b(raw, 63),
  };
}

/**
 * The line QEMU 7.2's `info tlb` prints for a leaf (target/i386/monitor.c): each leaf's own bits
 * as XGPDACTUW, P being bit 7 as printed (PS for large pages; cleared for 4 KiB PTEs); in PAE the
 * address column keeps bit 63; legacy 4 MiB pages lose their PSE-36 bits.
 */
export function tlbLineFor(mode: PagingMode, leaf: Pick<LeafEvent, 'va' | 'pa' | 'level'> & { raw: bigint }): string {
  const raw = leaf.raw;
  let shown = leaf.pa;
  if (mode === 'legacy32') shown &= 0xffff_ffffn;
  if (mode === 'pae' && b(raw, 63)) shown |= 1n << 63n;
  const f = (n: number, c: string) => (b(raw, n) ? c : '-');
  const flags = (mode !== 'legacy32' ? f(63, 'X') : '-') + f(8, 'G') + (leaf.level > 1 ? f(7, 'P') : '-') + f(6, 'D') + f(5, 'A') + f(4, 'C') + f(3, 'T') + f(2, 'U') + f(1, 'W');
  const h = (v: bigint) => v.toString(16).padStart(16, '0');
  return `${h(leaf.va)}: ${h(shown)} ${flags}`;
}

/**
 * Stops the VM through HMP and fetches `info tlb` for `cpu` through qRcmd on a gdb connection
 * closed without `D` (a detach would resume the VM): QEMU's walk and the next one of ours then see
 * the same tables and the same A/D bits. The VM stays paused.
 */
export async function frozenInfoTlb(
  vm: { hmp(cmd: string): Promise<string>; gdbPort: number },
  cpu = 0,
  monitorTimeoutMs?: number,
): Promise<string> {
  await vm.hmp('stop');
  const client = await GdbClient.connect('127.0.0.1', vm.gdbPort, monitorTimeoutMs ? { monitorTimeoutMs } : {});
  try {
    await client.monitor(`cpu ${cpu}`);
    return await client.monitor('info tlb');
  } finally {
    await client.close();
  }
}
