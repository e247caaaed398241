/**
 * Where a machine frame lives, as the frame editor's URIs say it:
 * `hyperframe-frame:/<session id>/<pa>.frame?mode=long4&level=4&baseVa=0x…&label=…`.
 * The session names whose memory (a live debug session); `pa` the frame's first byte; the query
 * how to read it as a table (mode, level, the first VA it covers) and what it is (label).
 * Pure string work, so the tree, the links and the editor agree without `vscode`.
 */
import { isPagingMode } from '../paging/modes';
import type { PagingModeName } from './dapRequests';

export const FRAME_SCHEME = 'hyperframe-frame';

export interface FrameLocation {
  sessionId: string;
  pa: bigint;
  /** Read the frame as a paging structure of this mode and level. */
  table?: { mode: PagingModeName; level: number; baseVa?: bigint };
  /** What the frame is, for the editor's header (`CPU 0 · PML4`, `idle_pg_table`). */
  label?: string;
}

/** The path and query of a frame URI (the scheme is FRAME_SCHEME). */
export function frameUriParts(loc: FrameLocation): { path: string; query: string } {
  const q = new URLSearchParams();
  if (loc.table) {
    q.set('mode', loc.table.mode);
    q.set('level', String(loc.table.level));
    if (loc.table.baseVa !== undefined) q.set('baseVa', `0x${loc.table.baseVa.toString(16)}`);
  }
  if (loc.label) q.set('label', loc.label);
  return { path: `/${encodeURIComponent(loc.sessionId)}/0x${loc.pa.toString(16)}.frame`, query: q.toString() };
}

/** Reads a frame URI's path and query back; undefined when they do not name a frame. */
export function parseFrameUri(path: string, query: string): FrameLocation | undefined {
  const m = /^\/([^/]+)\/(0x[0-9a-f]+)\.frame$/i.exec(path);
  if (!m) return undefined;
  const q = new URLSearchParams(query);
  const loc: FrameLocation = { sessionId: decodeURIComponent(m[1]), pa: BigInt(m[2]) };
  const mode = q.get('mode');
  const level = Number(q.get('level'));
  if (isPagingMode(mode) && Number.isInteger(level) && level >= 1 && level <= 5) {
    const baseVa = q.get('baseVa');
    loc.table = { mode, level, ...(baseVa && /^0x[0-9a-f]+$/i.test(baseVa) ? { baseVa: BigInt(baseVa) } : {}) };
  }
  const label = q.get('label');
  if (label) loc.label = label;
  return loc;
}
