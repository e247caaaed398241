/**
 * The one message protocol between the frame editor's host (the extension) and its webview
 * (media/frameEditor). Requests carry an id and get one reply with the same id; notifications
 * carry none. The host trusts nothing the webview sends: `parseFromWebview` checks every field
 * and says what is wrong, so a malformed message is refused with a reason, never acted on.
 * No `vscode` import, no DOM: both sides compile it.
 */
import { isPagingMode, PAGING_MODES } from '../paging/modes';
import type { PagingModeName, TableEntry } from './dapRequests';

/** A 64-bit address as it travels: lower-case `0x…`. */
export type HexString = string;

export interface TableView {
  mode: PagingModeName;
  level: number;
  /** First VA the table covers. */
  baseVa: HexString;
  /** Where the table starts when not at the frame's first byte (a PAE PDPT: 32 bytes anywhere). */
  pa?: HexString;
}

/** What the webview shows, sent once at start and again when it changes (a stop, a run, a save). */
export interface FrameInit {
  /** Session name or file name. */
  space: string;
  /** `session` (a live target or a dump opened through a session) or `file` (a dump opened directly). */
  kind: 'session' | 'file';
  /** The window the view scrolls over: a frame for sessions, the whole file for files. */
  start: HexString;
  length: number;
  /** The frame to show first. */
  frame: HexString;
  /** Read the frame as a table (from where it was opened). */
  table?: TableView;
  /** What the frame is, when known (`CPU 0 · PML4`). */
  label?: string;
  /** Why edits are refused now (the target runs, a dump), or absent when editing is allowed. */
  readOnly?: string;
  /** Bytes changed and not saved yet, by PA. */
  dirty: [HexString, number][];
  /** Set when VS Code saves by itself (files.autoSave): edits then reach the target without Ctrl+S. */
  autoSave?: string;
}

// ---- webview → host ----

export type WebviewRequest =
  | { type: 'read'; id: number; pa: HexString; length: number }
  | { type: 'decodeTable'; id: number; pa: HexString; table: TableView }
  | { type: 'decodeValue'; id: number; value: HexString; mode: PagingModeName; level: number };

export type WebviewNotification =
  | { type: 'ready' }
  | { type: 'edit'; pa: HexString; value: number }
  /** The frame on screen changed (scroll, navigation): the host names it in the tab's status. */
  | { type: 'showing'; frame: HexString }
  /** Follow an entry into another session's window (sessions only: a file scrolls itself). */
  | { type: 'openFrame'; pa: HexString; table?: TableView }
  | { type: 'save' };

export type FromWebview = WebviewRequest | WebviewNotification;

// ---- host → webview ----

export type HostReply =
  /** `notes`: words beside `entries` by position (a Xen frame's pfn), when the host has some. */
  | { type: 'reply'; id: number; ok: true; data?: string; unreadable?: number; entries?: TableEntry[]; notes?: string[]; entry?: TableEntry }
  | { type: 'reply'; id: number; ok: false; error: string };

export type HostNotification =
  | { type: 'init'; init: FrameInit }
  /** Bytes changed (an edit, undo, redo, revert, a write by anyone): the view reads them again. */
  | { type: 'changed'; pa: HexString; length: number; dirty: [HexString, number][] }
  | { type: 'state'; readOnly?: string }
  | { type: 'message'; level: 'info' | 'error'; text: string }
  /** Lines about a frame for the header (a Xen frame's page_info), shown while that frame is. */
  | { type: 'frameNote'; frame: HexString; lines: string[]; warning?: boolean };

export type ToWebview = HostReply | HostNotification;

// ---- validation of what the webview sends ----

/** The most a single read may ask for (a screenful is a few KiB). */
export const MAX_READ_BYTES = 1 << 16;

export type Parsed = { ok: true; message: FromWebview } | { ok: false; error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isHex = (v: unknown): v is HexString => typeof v === 'string' && /^0x[0-9a-f]{1,16}$/.test(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function tableProblem(t: unknown): string | undefined {
  if (!isObject(t)) return 'table must be an object';
  if (!isPagingMode(t.mode)) return `table.mode must be one of ${PAGING_MODES.join(', ')}`;
  if (typeof t.level !== 'number' || !Number.isInteger(t.level) || t.level < 1 || t.level > 5) return 'table.level must be 1..5';
  if (!isHex(t.baseVa)) return 'table.baseVa must be a 0x… address';
  if (t.pa !== undefined && !isHex(t.pa)) return 'table.pa must be a 0x… address';
  return undefined;
}

/** Checks a message from the webview field by field; the reason when it is not one we accept. */
export function parseFromWebview(raw: unknown): Parsed {
  const bad = (error: string): Parsed => ({ ok: false, error });
  if (!isObject(raw) || typeof raw.type !== 'string') return bad('not a message: an object with a type is expected');
  const m = raw;
  switch (m.type) {
    case 'ready':
    case 'save':
      return { ok: true, message: { type: m.type } };
    case 'read':
      if (!isId(m.id)) return bad('read: id must be a non-negative integer');
      if (!isHex(m.pa)) return bad('read: pa must be a 0x… address');
      if (typeof m.length !== 'number' || !Number.isInteger(m.length) || m.length < 1 || m.length > MAX_READ_BYTES) return bad(`read: length must be 1..${MAX_READ_BYTES}`);
      return { ok: true, message: { type: 'read', id: m.id, pa: m.pa, length: m.length } };
    case 'decodeTable': {
      if (!isId(m.id)) return bad('decodeTable: id must be a non-negative integer');
      if (!isHex(m.pa)) return bad('decodeTable: pa must be a 0x… address');
      const p = tableProblem(m.table);
      if (p) return bad(`decodeTable: ${p}`);
      return { ok: true, message: { type: 'decodeTable', id: m.id, pa: m.pa, table: m.table as TableView } };
    }
    case 'decodeValue':
      if (!isId(m.id)) return bad('decodeValue: id must be a non-negative integer');
      if (!isHex(m.value)) return bad('decodeValue: value must be 0x…');
      if (!isPagingMode(m.mode)) return bad('decodeValue: mode is not a paging mode');
      if (typeof m.level !== 'number' || !Number.isInteger(m.level) || m.level < 1 || m.level > 5) return bad('decodeValue: level must be 1..5');
      return { ok: true, message: { type: 'decodeValue', id: m.id, value: m.value, mode: m.mode, level: m.level } };
    case 'edit':
      if (!isHex(m.pa)) return bad('edit: pa must be a 0x… address');
      if (typeof m.value !== 'number' || !Number.isInteger(m.value) || m.value < 0 || m.value > 255) return bad('edit: value must be a byte, 0..255');
      return { ok: true, message: { type: 'edit', pa: m.pa, value: m.value } };
    case 'showing':
      if (!isHex(m.frame)) return bad('showing: frame must be a 0x… address');
      return { ok: true, message: { type: 'showing', frame: m.frame } };
    case 'openFrame': {
      if (!isHex(m.pa)) return bad('openFrame: pa must be a 0x… address');
      if (m.table !== undefined) {
        const p = tableProblem(m.table);
        if (p) return bad(`openFrame: ${p}`);
      }
      return { ok: true, message: { type: 'openFrame', pa: m.pa, ...(m.table !== undefined ? { table: m.table as TableView } : {}) } };
    }
    default:
      return bad(`unknown message type ${JSON.stringify(m.type).slice(0, 40)}`);
  }
}
