/**
 * Tables made to fan in: every entry of the PML4, of the PDPT and of the PD points at one table
 * below it, the PT maps 512 pages. The MMU sees 512^4 pages (all 256 TiB of a 4-level space, a
 * 4 KiB page each); a walk that re-walked every shared subtree would list them for an hour and a
 * half. With the re-walk budget the walk ends after the distinct tables plus the budget, and what
 * it does not list it reports: the pages listed plus the VA reported "not walked again" is the
 * whole space, computed by hand.
 */
import { describe, expect, it } from 'vitest';
import { TableWalk, SHARED_REWALK_BUDGET, type WalkNote } from '../../src/paging/tableWalk';
import { noteLines } from '../../src/paging/walkFold';
import { runWalk } from '../../src/paging/walkRun';
import { SparseMem } from '../helpers/sparseMem';

const PML4 = 0x1000n;
const PDPT = 0x2000n;
const PD = 0x3000n;
const PT = 0x4000n;
const RW_P = 0x3n;

function fanIn(): SparseMem {
  const mem = new SparseMem(true);
  for (let i = 0n; i < 512n; i++) {
    mem.u64(PML4 + i * 8n, PDPT | RW_P);
    mem.u64(PDPT + i * 8n, PD | RW_P);
    mem.u64(PD + i * 8n, PT | RW_P);
    mem.u64(PT + i * 8n, ((0x100n + i) << 12n) | RW_P);
  }
  return mem;
}

const SPACE_BYTES = 512n * 512n * 512n * 512n * 4096n; // 2^48: both canonical halves

async function walkAll(mem: SparseMem, budget?: number): Promise<{ leaves: number; leafBytes: bigint; notes: WalkNote[]; walk: TableWalk }> {
  const walk = new TableWalk({ mode: 'long4', root: PML4 }, mem, budget === undefined ? {} : { sharedRewalkBudget: budget });
  let leaves = 0;
  let leafBytes = 0n;
  const notes: WalkNote[] = [];
  await walk.all({
    leaf: (l) => {
      leaves++;
      leafBytes += BigInt(l.pages) << 12n;
    },
    note: (n) => void notes.push(n),
  });
  return { leaves, leafBytes, notes, walk };
}

describe('walking tables that fan in', () => {
  it('ends after the budget, reads each table once, and reports every byte of VA it did not list', async () => {
    const mem = fanIn();
    const budget = 100_000;
    const { leaves, leafBytes, notes, walk } = await walkAll(mem, budget);
    expect(walk.tablesRead).toBe(4);
    // The first PT walked, then re-walked PTs until the budget ran out (one more PT may finish it).
    expect(leaves).toBeGreaterThanOrEqual(budget);
    expect(leaves).toBeLessThanOrEqual(512 + budget + 512);
    const skipped = notes.filter((n) => n.kind === 'shared' && n.notWalked !== undefined);
    expect(skipped.length).toBe(walk.sharedNotWalked);
    // At most the rest of each open table on the path: 3 levels of 511 entries.
    expect(skipped.length).toBeLessThanOrEqual(3 * 511);
    const notWalked = skipped.reduce((s, n) => s + (n.kind === 'shared' ? n.notWalked! : 0n), 0n);
    expect(leafBytes + notWalked).toBe(SPACE_BYTES);
  });

  it('walks every shared subtree again while the budget lasts (no note says "not walked")', async () => {
    const mem = new SparseMem(true);
    // Only PML4[0] and [1]: 2 x 512^3 pages would be too many; one PDPT entry and one PD entry each.
    mem.u64(PML4, PDPT | RW_P).u64(PML4 + 8n, PDPT | RW_P).u64(PDPT, PD | RW_P).u64(PD, PT | RW_P).u64(PD + 8n, PT | RW_P);
    for (let i = 0n; i < 512n; i++) mem.u64(PT + i * 8n, ((0x100n + i) << 12n) | RW_P);
    const { leaves, notes, walk } = await walkAll(mem);
    expect(leaves).toBe(4 * 512);
    // PT again under PD[1] (512); under PML4[1]: the PDPT (1 entry), the PD (2), the PT twice (2 x 512).
    expect(walk.rewalkedEntries).toBe(512 + 1 + 2 + 512 + 512);
    expect(notes.every((n) => n.kind !== 'shared' || n.notWalked === undefined)).toBe(true);
  });

  it('with the default budget, the CLI walk says what it left and folds the lines', async () => {
    const stats = await runWalk({ mode: 'long4', root: PML4 }, fanIn(), {}, { range: () => undefined, note: () => undefined });
    expect(stats.leaves).toBeLessThanOrEqual(SHARED_REWALK_BUDGET + 2 * 512);
    expect(stats.sharedNotWalked).toBeGreaterThan(0);
    expect(stats.tablesRead).toBe(4);
    const { notes } = await walkAll(fanIn(), 2048);
    const lines: string[] = [];
    noteLines(notes, 'long4', (t) => lines.push(t));
    // One line per level for the skipped subtrees (the PML4's split by the canonical hole).
    const skippedLines = lines.filter((l) => l.includes('not walked again'));
    expect(skippedLines).toHaveLength(4);
    expect(skippedLines).toContain('shared    0x0000008000000000; x255 every 0x8000000000 to 0x00007f8000000000  level-3 table 0x2000 also reached from 0x0000000000000000; not walked again (re-walk budget spent)');
    expect(skippedLines).toContain('shared    0xffff800000000000; x256 every 0x8000000000 to 0xffffff8000000000  level-3 table 0x2000 also reached from 0x0000000000000000; not walked again (re-walk budget spent)');
  });

  it('--expand-shared lifts the budget (checked on a window small enough to finish)', async () => {
    const from = 0n;
    const to = 1n << 31n; // 2 GiB: two PDPT entries, 1,024 PTs, 524,288 pages
    const limited = await runWalk({ mode: 'long4', root: PML4 }, fanIn(), { query: { from, to } }, {});
    const expanded = await runWalk({ mode: 'long4', root: PML4 }, fanIn(), { query: { from, to }, expandShared: true }, {});
    expect(limited.leaves).toBe(Number(to / 4096n)); // under the budget: all of it either way
    expect(expanded.leaves).toBe(limited.leaves);
    expect(expanded.sharedNotWalked).toBe(0);
  });
});
