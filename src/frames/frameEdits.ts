/**
 * The unsaved edits of a frame editor document: which bytes changed from what the target held,
 * undo and redo of single-byte edits (VS Code keeps the undo stack; it calls back into these),
 * and what Save must write — only the changed bytes, in runs. Pure: tested without VS Code.
 */
export interface ByteEdit {
  pa: bigint;
  /** The byte before the edit (as shown: the saved value or an earlier edit). */
  before: number;
  after: number;
}

export interface WriteRun {
  pa: bigint;
  data: Uint8Array;
}

export class FrameEdits {
  /** The byte each changed PA holds now, and what the target held when it was first changed. */
  private readonly current = new Map<bigint, number>();
  private readonly original = new Map<bigint, number>();

  /** Records an edit of `pa` from `before` (what the view showed) to `after`; the edit for undo, or undefined when nothing changes. */
  edit(pa: bigint, before: number, after: number): ByteEdit | undefined {
    if (before === after) return undefined;
    // Not changed yet: `before` is what the target holds now (it may have moved since an earlier edit).
    if (!this.current.has(pa)) this.original.set(pa, before);
    this.set(pa, after);
    return { pa, before, after };
  }

  undo(e: ByteEdit): void {
    this.set(e.pa, e.before);
  }

  redo(e: ByteEdit): void {
    this.set(e.pa, e.after);
  }

  private set(pa: bigint, value: number): void {
    // Back to what the target holds: not a change any more (the original is kept for undo and redo).
    if (this.original.get(pa) === value) {
      this.current.delete(pa);
    } else {
      this.current.set(pa, value);
    }
  }

  /** The changed byte at `pa`, if it is changed. */
  byteAt(pa: bigint): number | undefined {
    return this.current.get(pa);
  }

  get dirty(): boolean {
    return this.current.size > 0;
  }

  /** Changed bytes, by PA, in order. */
  changes(): [bigint, number][] {
    return [...this.current.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** `data` (read from the target at `pa`) with the unsaved edits laid over it. */
  overlay(pa: bigint, data: Uint8Array): Uint8Array {
    if (!this.current.size) return data;
    const out = new Uint8Array(data);
    const end = pa + BigInt(data.length);
    for (const [at, v] of this.current) if (at >= pa && at < end) out[Number(at - pa)] = v;
    return out;
  }

  /** What Save writes: runs of consecutive changed bytes, none crossing a 4 KiB frame (a frame may map elsewhere). */
  writeRuns(): WriteRun[] {
    const runs: WriteRun[] = [];
    let start = -1n;
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length) runs.push({ pa: start, data: Uint8Array.from(bytes) });
      bytes = [];
    };
    for (const [pa, v] of this.changes()) {
      const next = start + BigInt(bytes.length);
      if (!bytes.length || pa !== next || (pa & 0xfffn) === 0n) {
        flush();
        start = pa;
      }
      bytes.push(v);
    }
    flush();
    return runs;
  }

  /** After a save: the bytes at `pa` now are what the target holds; those that did not take stay changed. */
  saved(run: WriteRun, readBack: Uint8Array): bigint[] {
    const mismatched: bigint[] = [];
    run.data.forEach((v, i) => {
      const pa = run.pa + BigInt(i);
      // The target holds what it read back now, written or not.
      this.original.set(pa, readBack[i]);
      if (readBack[i] === v) this.current.delete(pa);
      else mismatched.push(pa);
    });
    return mismatched;
  }

  /** Forgets every edit (Revert). */
  clear(): void {
    this.current.clear();
    this.original.clear();
  }

  /** For hot exit: the changes and their originals, to restore in a new window. */
  toJSON(): { pa: string; value: number; original: number }[] {
    return this.changes().map(([pa, value]) => ({ pa: `0x${pa.toString(16)}`, value, original: this.original.get(pa) ?? value }));
  }

  static fromJSON(items: unknown): FrameEdits {
    const e = new FrameEdits();
    if (!Array.isArray(items)) return e;
    for (const it of items) {
      if (typeof it !== 'object' || it === null) continue;
      const { pa, value, original } = it as { pa?: unknown; value?: unknown; original?: unknown };
      if (typeof pa !== 'string' || !/^0x[0-9a-f]+$/.test(pa) || !isByte(value) || !isByte(original)) continue;
      e.edit(BigInt(pa), original, value);
    }
    return e;
  }
}

function isByte(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;
}
