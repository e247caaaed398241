import { describe, expect, it } from 'vitest';
import { FrameEdits } from '../../src/frames/frameEdits';

describe('a frame editor document’s edits', () => {
  it('undo and redo byte by byte; a byte typed back to what the target holds is no longer a change', () => {
    const e = new FrameEdits();
    const a = e.edit(0x1000n, 0x00, 0x5a)!;
    const b = e.edit(0x1000n, 0x5a, 0x00)!;
    expect(e.dirty).toBe(false);
    e.undo(b);
    expect(e.byteAt(0x1000n)).toBe(0x5a);
    e.undo(a);
    expect(e.dirty).toBe(false);
    e.redo(a);
    expect(e.changes()).toEqual([[0x1000n, 0x5a]]);
    expect(e.edit(0x2000n, 7, 7)).toBeUndefined();
  });

  it('Save writes only the changed bytes, in runs that never cross a 4 KiB frame', () => {
    const e = new FrameEdits();
    for (const [pa, v] of [
      [0x1ffen, 1],
      [0x1fffn, 2],
      [0x2000n, 3],
      [0x2001n, 4],
      [0x2010n, 5],
    ] as const) {
      e.edit(pa, 0, v);
    }
    expect(e.writeRuns()).toEqual([
      { pa: 0x1ffen, data: Uint8Array.from([1, 2]) },
      { pa: 0x2000n, data: Uint8Array.from([3, 4]) },
      { pa: 0x2010n, data: Uint8Array.from([5]) },
    ]);
  });

  it('a read-back that differs keeps that byte changed and says where', () => {
    const e = new FrameEdits();
    e.edit(0x3000n, 0, 0xaa);
    e.edit(0x3001n, 0, 0xbb);
    const [run] = e.writeRuns();
    expect(e.saved(run, Uint8Array.from([0xaa, 0x00]))).toEqual([0x3001n]);
    expect(e.changes()).toEqual([[0x3001n, 0xbb]]);
  });

  it('lays edits over bytes read, and survives hot exit through JSON (bad items dropped)', () => {
    const e = new FrameEdits();
    e.edit(0x4002n, 0x11, 0x22);
    expect([...e.overlay(0x4000n, Uint8Array.from([9, 9, 0x11, 9]))]).toEqual([9, 9, 0x22, 9]);
    const back = FrameEdits.fromJSON([...JSON.parse(JSON.stringify(e.toJSON())), { pa: 'x', value: 1, original: 2 }, { pa: '0x5', value: 300, original: 1 }]);
    expect(back.changes()).toEqual([[0x4002n, 0x22]]);
    expect(FrameEdits.fromJSON('garbage').dirty).toBe(false);
  });
});
