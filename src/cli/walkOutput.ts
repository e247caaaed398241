import type { PhysMem } from '../memory/physMem';
import { NOTE_SECTIONS, notesJson } from '../paging/json';
import type { PagingSpec } from '../paging/spec';
import type { WalkNote } from '../paging/tableWalk';
import { WalkFormat } from '../paging/walkFormat';
import { runWalk, type WalkRunOptions, type WalkStats } from '../paging/walkRun';
import { walkSummary, walkTextBody } from '../paging/walkText';
import { hex } from '../util/numbers';
import type { LineBuffer } from './io';

export interface WalkOutput {
  spec: PagingSpec;
  mem: PhysMem;
  run: WalkRunOptions;
  /** One line per page instead of merged ranges. */
  leaves: boolean;
  json: boolean;
  /** `#` lines on how the address space and the memory source were chosen (text only). */
  notes: string[];
  /** Extra top-level JSON members, after mode and root (default layout only). */
  jsonExtra: Record<string, unknown>;
}

/**
 * Writes a walk as it goes, holding only the walk's path, the notes and one line: text, or JSON
 * laid out as JSON.stringify(…, null, 2) would lay it out. A section that must come before what
 * the walk meets first (the counts in `--split-pa`'s heading; JSON's ranges after its leaves) is
 * a second pass over the walk.
 */
export async function writeWalk(o: WalkOutput, out: LineBuffer): Promise<WalkStats> {
  return o.json ? writeJson(o, out) : writeText(o, out);
}

async function writeText(o: WalkOutput, out: LineBuffer): Promise<WalkStats> {
  for (const n of o.notes) out.line(`# ${n}`);
  if (o.run.splitPa) {
    // The layout of old: the counts head the list, so a first pass counts.
    out.line(`# ${walkSummary(o.spec, await runWalk(o.spec, o.mem, o.run, { range: () => undefined }))}`);
    return walkTextBody(o.spec, o.mem, o.run, o.leaves, out);
  }
  const stats = await walkTextBody(o.spec, o.mem, o.run, o.leaves, out);
  out.line(`# ${walkSummary(o.spec, stats)}`);
  return stats;
}

/** One JSON array member of the top-level object, written element by element. */
class JsonArray {
  private pending: string | undefined;

  constructor(
    private readonly out: LineBuffer,
    private readonly key: string,
  ) {}

  /** An element: an object, or its text already laid out at indent 4 (see WalkFormat.leafJsonText). */
  push(value: unknown): void {
    const text = typeof value === 'string' ? value : `    ${JSON.stringify(value, null, 2).replace(/\n/g, '\n    ')}`;
    if (this.pending === undefined) this.out.line(`  ${JSON.stringify(this.key)}: [`);
    else this.out.line(`${this.pending},`);
    this.pending = text;
  }

  end(last: boolean): void {
    const comma = last ? '' : ',';
    if (this.pending === undefined) {
      this.out.line(`  ${JSON.stringify(this.key)}: []${comma}`);
      return;
    }
    this.out.line(this.pending);
    this.out.line(`  ]${comma}`);
  }
}

function member(out: LineBuffer, key: string, value: unknown): void {
  out.line(`  ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')},`);
}

async function writeJson(o: WalkOutput, out: LineBuffer): Promise<WalkStats> {
  const fmt = new WalkFormat(o.spec.mode);
  const splitPa = o.run.splitPa === true;
  out.line('{');
  member(out, 'mode', o.spec.mode);
  member(out, 'root', hex(o.spec.root));
  if (!splitPa) for (const [k, v] of Object.entries(o.jsonExtra)) member(out, k, v);
  let notes: WalkNote[] | undefined;
  let stats: WalkStats | undefined;
  if (o.leaves) {
    const leaves = new JsonArray(out, 'leaves');
    notes = [];
    const kept = notes;
    stats = await runWalk(o.spec, o.mem, o.run, { leaf: (l) => leaves.push(fmt.leafJsonText(l, splitPa)), note: (n) => kept.push(n) });
    leaves.end(false);
  }
  const ranges = new JsonArray(out, 'ranges');
  const fresh: WalkNote[] = [];
  const second = await runWalk(o.spec, o.mem, o.run, { range: (r) => ranges.push(fmt.rangeJsonText(r, splitPa)), note: (n) => fresh.push(n) });
  ranges.end(false);
  const bySection = notesJson(notes ?? fresh);
  NOTE_SECTIONS.forEach((section, i) => {
    const a = new JsonArray(out, section);
    for (const v of bySection[section]) a.push(v);
    a.end(i === NOTE_SECTIONS.length - 1);
  });
  out.line('}');
  return stats ? { ...second, leaves: stats.leaves } : second;
}
