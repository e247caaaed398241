/**
 * What the frame editor shows and where: the frame, the view (bytes or table), the selection, the
 * pages read so far, the history. One object, shared by the modules that draw and change it.
 */
import type { FrameInit, TableView } from '../../src/shared/frameProtocol';
import type { TableEntry } from '../../src/shared/dapRequests';

export const PAGE = 4096n;
export const ROW_BYTES = 16;
export const ROW_PX = 20;
/** Browsers cap an element's height near 2^25 px: beyond it the scroll position maps onto rows by ratio. */
export const MAX_SCROLL_PX = 8_000_000;
export const LEVEL_NAMES: Record<number, string> = { 1: 'PT', 2: 'PD', 3: 'PDPT', 4: 'PML4', 5: 'PML5' };

export type ViewKind = 'bytes' | 'table';

/** One place in the back/forward history. */
export interface Place {
  frame: bigint;
  table?: TableView;
  view: ViewKind;
}

export interface EditorState {
  init: FrameInit | undefined;
  /** The window the view scrolls over: one frame for sessions, the whole file for files. */
  winStart: bigint;
  winLength: number;
  frame: bigint;
  view: ViewKind;
  table: TableView | undefined;
  readOnly: string | undefined;
  selected: bigint;
  pendingNibble: number | undefined;
  column: 'hex' | 'ascii';
  selectedEntry: number;
  entries: TableEntry[] | undefined;
  /** Words the host adds beside each entry (a Xen frame's pfn, Xen's region), by position. */
  entryNotes: string[] | undefined;
  historyAt: number;
  /**
   * The first row on screen. It is the truth, not scrollTop: past MAX_SCROLL_PX one pixel of scroll
   * stands for many rows, so a jump sets the row and puts the scroll bar near it.
   */
  topRow: number;
  /** The scroll event a jump causes must not move topRow again. */
  jumped: boolean;
}

export const st: EditorState = {
  init: undefined,
  winStart: 0n,
  winLength: 4096,
  frame: 0n,
  view: 'bytes',
  table: undefined,
  readOnly: undefined,
  selected: 0n,
  pendingNibble: undefined,
  column: 'hex',
  selectedEntry: 0,
  entries: undefined,
  entryNotes: undefined,
  historyAt: -1,
  topRow: 0,
  jumped: false,
};

export const history: Place[] = [];
export const pages = new Map<bigint, { data?: Uint8Array; unreadable?: boolean; error?: string }>();
export const dirty = new Map<bigint, number>();
/** What the host knows about frames (a Xen frame's page_info), by frame address. */
export const notes = new Map<string, { lines: string[]; warning?: boolean }>();

/**
 * Draws everything again after a change. main.ts sets it to the renderer: the modules that change
 * the state call it without importing the views that draw it.
 */
export const redraw = { render: (): void => undefined };

export const hex = (v: bigint, digits = 0): string => `0x${v.toString(16).padStart(digits, '0')}`;

export function sizeText(bytes: number): string {
  return bytes >= 1 << 30 ? `${bytes / 2 ** 30} GiB` : bytes >= 1 << 20 ? `${bytes / 2 ** 20} MiB` : `${bytes / 1024} KiB`;
}
