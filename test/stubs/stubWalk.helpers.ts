/**
 * What the tests of test/stubs share: a CLI walk through a test server compared leaf for leaf with
 * QEMU's own `info tlb` of the guest behind it (asked over QEMU's HMP socket, which the test
 * server never touches), and QEMU's run state.
 */
import { expect } from 'vitest';
import type { PagingMode } from '../../src/paging/modes';
import { parseInfoTlb, type BootedGuest } from '../guests/harness';
import { tlbLineFor } from '../helpers/infoTlb';
import { cli } from '../helpers/runCli';

interface JsonLeaf {
  va: string;
  pa: string;
  level: number;
  entry: string;
}

export interface StubWalk {
  leaves: number;
  /** `info tlb` lines of ours, sorted, outside the self-map windows QEMU descends into. */
  lines: string[];
}

/** `hyperframe walk --target … --root … --mode … --leaves --json`, checked against `info tlb` of `cpu`. */
export async function walkMatchesInfoTlb(g: BootedGuest, port: number, mode: PagingMode, root: bigint, cpu: number, extra: string[] = []): Promise<StubWalk> {
  const r = await cli('walk', '--target', `127.0.0.1:${port}`, '--root', `0x${root.toString(16)}`, '--mode', mode, '--leaves', '--json', ...extra);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const j = JSON.parse(r.out) as { mode: string; root: string; leaves: JsonLeaf[]; selfMaps: { va: string; size: number }[] };
  await g.hmp(`cpu ${cpu}`);
  const tlb = await g.hmp('info tlb');
  const windows = j.selfMaps.map((s) => [BigInt(s.va), BigInt(s.va) + BigInt(s.size)] as const);
  const qemu = parseInfoTlb(tlb)
    .filter((l) => !windows.some(([lo, hi]) => l.va >= lo && l.va < hi))
    .map((l) => l.text)
    .sort();
  const ours = j.leaves.map((l) => tlbLineFor(mode, { va: BigInt(l.va), pa: BigInt(l.pa), level: l.level, raw: BigInt(l.entry) })).sort();
  expect(ours.length).toBeGreaterThan(10);
  expect(ours).toEqual(qemu);
  return { leaves: ours.length, lines: ours };
}

/** QEMU's own word on whether the VM runs (`info status`). */
export async function vmStatus(g: BootedGuest): Promise<string> {
  return (await g.hmp('info status')).trim();
}
