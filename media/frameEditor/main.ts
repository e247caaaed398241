/**
 * The frame editor's webview: bytes (offset, 16 hex bytes, ASCII) or the frame's entries decoded,
 * a header naming the frame, back/forward history, a data inspector, hex editing. It never sees a
 * session: it asks the host for bytes and decodes over the protocol of src/shared/frameProtocol.ts.
 */
import type { PagingModeName, TableEntry } from '../../src/shared/dapRequests';
import type { FrameInit, FromWebview, HostReply, TableView, ToWebview } from '../../src/shared/frameProtocol';
import { intReadings, vaReading } from './values';

interface VsCodeApi {
  postMessage(m: FromWebview): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

const PAGE = 4096n;
const ROW_BYTES = 16;
const ROW_PX = 20;
/** Browsers cap an element's height near 2^25 px: beyond it the scroll position maps onto rows by ratio. */
const MAX_SCROLL_PX = 8_000_000;
/** The picker's order; the set is the one of paging/modes.ts. */
const MODES = ['long4', 'long5', 'pae', 'legacy32', 'ept'] as const satisfies readonly PagingModeName[];
const LEVEL_NAMES: Record<number, string> = { 1: 'PT', 2: 'PD', 3: 'PDPT', 4: 'PML4', 5: 'PML5' };

const hex = (v: bigint, digits = 0): string => `0x${v.toString(16).padStart(digits, '0')}`;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

// ---- state ----
let init: FrameInit | undefined;
/** The window the view scrolls over: one frame for sessions, the whole file for files. */
let winStart = 0n;
let winLength = 4096;
let frame = 0n;
let view: 'bytes' | 'table' = 'bytes';
let table: TableView | undefined;
let readOnly: string | undefined;
let selected = 0n;
let pendingNibble: number | undefined;
let column: 'hex' | 'ascii' = 'hex';
let selectedEntry = 0;
let entries: TableEntry[] | undefined;
/** Words the host adds beside each entry (a Xen frame's pfn, Xen's region), by position. */
let entryNotes: string[] | undefined;
const history: { frame: bigint; table?: TableView; view: 'bytes' | 'table' }[] = [];
let historyAt = -1;
const pages = new Map<bigint, { data?: Uint8Array; unreadable?: boolean; error?: string }>();
const dirty = new Map<bigint, number>();

// ---- talking to the host ----
let nextId = 1;
const pending = new Map<number, (r: HostReply) => void>();
type Request = Extract<FromWebview, { id: number }>;
/** A request without its id (Omit over the union, member by member). */
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;
function request(m: RequestBody): Promise<HostReply> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    vscode.postMessage({ ...m, id } as FromWebview);
  });
}

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const m = ev.data;
  switch (m.type) {
    case 'reply':
      pending.get(m.id)?.(m);
      pending.delete(m.id);
      break;
    case 'init':
      start(m.init);
      break;
    case 'changed': {
      dirty.clear();
      for (const [pa, v] of m.dirty) dirty.set(BigInt(pa), v);
      const from = BigInt(m.pa);
      for (const key of [...pages.keys()]) if (m.length === 0 || (key < from + BigInt(m.length) && key + PAGE > from)) pages.delete(key);
      if (view === 'table') void loadTable();
      render();
      break;
    }
    case 'state':
      readOnly = m.readOnly;
      renderHeader();
      break;
    case 'message':
      toast(m.text, m.level);
      break;
    case 'frameNote':
      notes.set(m.frame, m);
      renderHeader();
      break;
  }
});

// ---- layout ----
const app = document.getElementById('app')!;
const header = el('header');
const bar = el('nav');
const main = el('main');
main.tabIndex = 0;
const spacer = el('div', 'spacer');
const rows = el('div', 'rows');
spacer.append(rows);
const inspector = el('footer');
const toastBox = el('div', 'toast');
app.append(header, bar, main, inspector, toastBox);

function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', undefined, label);
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

const backBtn = button('←', 'Back (Alt+Left)', () => go(-1));
const fwdBtn = button('→', 'Forward (Alt+Right)', () => go(1));
const prevBtn = button('‹ Frame', 'Previous frame (Ctrl+PageUp)', () => showFrame(frame - PAGE));
const nextBtn = button('Frame ›', 'Next frame (Ctrl+PageDown)', () => showFrame(frame + PAGE));
const gotoInput = el('input');
gotoInput.placeholder = 'Go to: 0x… PA or mfn 0x…';
gotoInput.title = 'Go to a physical address or an MFN (Ctrl+G)';
gotoInput.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter') return;
  const pa = parseAddress(gotoInput.value);
  if (pa === undefined) return toast(`'${gotoInput.value}' is not an address: 0x… or mfn 0x…`, 'error');
  gotoInput.value = '';
  showFrame(pa & ~(PAGE - 1n), undefined, pa);
  main.focus();
});
const bytesBtn = button('Bytes', 'Show the frame as bytes', () => setView('bytes'));
const tableBtn = button('Page table', 'Show the frame as paging-structure entries', () => setView('table'));
const modeSel = el('select');
for (const m of MODES) modeSel.append(new Option(m, m));
modeSel.title = 'Paging mode the frame is read as';
const levelSel = el('select');
levelSel.title = 'Level of the table';
modeSel.addEventListener('change', () => setTable({ mode: modeSel.value as TableView['mode'], level: topLevel(modeSel.value), baseVa: '0x0' }));
levelSel.addEventListener('change', () => table && setTable({ ...table, level: Number(levelSel.value) }));
const saveBtn = button('Save', 'Write the changed bytes to the target and read them back (Ctrl+S)', () => vscode.postMessage({ type: 'save' }));
bar.append(backBtn, fwdBtn, prevBtn, nextBtn, gotoInput, bytesBtn, tableBtn, modeSel, levelSel, saveBtn);

function topLevel(mode: string): number {
  return mode === 'long5' ? 5 : mode === 'legacy32' ? 2 : mode === 'pae' ? 3 : 4;
}

function parseAddress(text: string): bigint | undefined {
  const m = /^\s*(mfn\s*[=:]?\s*)?(0x[0-9a-f_`]+|[0-9]+)\s*$/i.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2].replace(/[_`]/g, ''));
  return m[1] ? v << 12n : v;
}

function toast(text: string, level: 'info' | 'error' = 'info'): void {
  toastBox.textContent = text;
  toastBox.className = `toast show ${level}`;
  setTimeout(() => (toastBox.className = 'toast'), level === 'error' ? 6000 : 3000);
}

// ---- navigation ----
function start(i: FrameInit): void {
  init = i;
  readOnly = i.readOnly;
  winStart = BigInt(i.start);
  winLength = i.length;
  dirty.clear();
  for (const [pa, v] of i.dirty) dirty.set(BigInt(pa), v);
  history.length = 0;
  historyAt = -1;
  showFrame(BigInt(i.frame), i.table, undefined, i.table ? 'table' : 'bytes');
}

function showFrame(pa: bigint, t?: TableView, select?: bigint, v?: 'bytes' | 'table'): void {
  if (pa < 0n) return;
  if (init?.kind === 'file' && (pa < winStart || pa >= winStart + BigInt(winLength))) return toast(`${hex(pa)} is outside this file (${hex(winStart)}–${hex(winStart + BigInt(winLength) - 1n)})`, 'error');
  history.splice(historyAt + 1);
  history.push({ frame: pa, table: t ?? (v === 'table' ? table : undefined), view: v ?? (t ? 'table' : view) });
  historyAt = history.length - 1;
  apply(history[historyAt], select);
}

function go(step: number): void {
  const to = historyAt + step;
  if (to < 0 || to >= history.length) return;
  historyAt = to;
  apply(history[to]);
}

function apply(h: { frame: bigint; table?: TableView; view: 'bytes' | 'table' }, select?: bigint): void {
  frame = h.frame;
  if (init?.kind === 'session') {
    // A session's window is the frame itself; pages of other frames are read when shown.
    winStart = frame;
    winLength = 4096;
  }
  table = h.table ?? table;
  view = h.view;
  selected = select ?? frame;
  selectedEntry = 0;
  pendingNibble = undefined;
  vscode.postMessage({ type: 'showing', frame: hex(frame) });
  if (view === 'table') decodeAfresh();
  else scrollTo(selected);
  render();
}

function setView(v: 'bytes' | 'table'): void {
  if (v === 'table' && !table) table = { mode: 'long4', level: 4, baseVa: '0x0' };
  view = v;
  if (history[historyAt]) history[historyAt] = { frame, table, view };
  if (v === 'table') decodeAfresh();
  render();
  main.focus();
}

function setTable(t: TableView): void {
  table = t;
  if (history[historyAt]) history[historyAt] = { frame, table, view };
  decodeAfresh();
  render();
}

// ---- bytes ----
function totalRows(): number {
  return Math.ceil(winLength / ROW_BYTES);
}

/**
 * The first row on screen. It is the truth, not scrollTop: past MAX_SCROLL_PX one pixel of scroll
 * stands for many rows, so a jump sets the row and puts the scroll bar near it.
 */
let topRow = 0;
let jumped = false;

function visibleRows(): number {
  return Math.max(1, Math.floor(main.clientHeight / ROW_PX));
}

function scrollTo(pa: bigint): void {
  const rowsMax = Math.max(0, totalRows() - visibleRows());
  topRow = Math.min(Math.max(0, Number((pa - winStart) / BigInt(ROW_BYTES))), rowsMax);
  spacer.style.height = `${Math.min(totalRows() * ROW_PX, MAX_SCROLL_PX)}px`;
  const max = main.scrollHeight - main.clientHeight;
  const px = totalRows() * ROW_PX <= MAX_SCROLL_PX ? topRow * ROW_PX : (topRow / Math.max(1, rowsMax)) * max;
  if (Math.abs(main.scrollTop - px) >= 1) {
    jumped = true; // the scroll event this causes must not move topRow again
    main.scrollTop = px;
  }
}

function onScroll(): void {
  if (jumped) {
    jumped = false;
    return;
  }
  if (totalRows() * ROW_PX <= MAX_SCROLL_PX) topRow = Math.floor(main.scrollTop / ROW_PX);
  else {
    const max = Math.max(1, main.scrollHeight - main.clientHeight);
    topRow = Math.round((main.scrollTop / max) * Math.max(0, totalRows() - visibleRows()));
  }
}

function firstVisibleRow(): number {
  return topRow;
}

function byteAt(pa: bigint): number | undefined | 'unreadable' {
  const d = dirty.get(pa);
  if (d !== undefined) return d;
  const page = pages.get(pa & ~(PAGE - 1n));
  if (!page) return undefined;
  if (page.error || page.unreadable) {
    const off = Number(pa & (PAGE - 1n));
    if (page.data && off < page.data.length) return page.data[off];
    return 'unreadable';
  }
  return page.data?.[Number(pa & (PAGE - 1n))];
}

function ensurePage(page: bigint): void {
  if (pages.has(page)) return;
  const end = winStart + BigInt(winLength);
  const from = page < winStart ? winStart : page;
  const to = page + PAGE > end && init?.kind === 'file' ? end : page + PAGE;
  if (to <= from) return;
  pages.set(page, {});
  void request({ type: 'read', pa: hex(from), length: Number(to - from) }).then((r) => {
    if (!r.ok) pages.set(page, { error: r.error });
    else {
      const data = Uint8Array.from(atob(r.data ?? ''), (c) => c.charCodeAt(0));
      const full = new Uint8Array(Number(from - page) + data.length);
      full.set(data, Number(from - page));
      pages.set(page, { data: full, unreadable: (r.unreadable ?? 0) > 0 });
    }
    render();
  });
}

function renderBytes(): void {
  spacer.style.height = `${Math.min(totalRows() * ROW_PX, MAX_SCROLL_PX)}px`;
  const first = firstVisibleRow();
  const count = Math.ceil(main.clientHeight / ROW_PX) + 1;
  rows.style.transform = `translateY(${main.scrollTop}px)`;
  rows.replaceChildren();
  for (let r = first; r < Math.min(first + count, totalRows()); r++) {
    const rowPa = winStart + BigInt(r * ROW_BYTES);
    ensurePage(rowPa & ~(PAGE - 1n));
    const row = el('div', 'row');
    row.append(el('span', 'off', hex(rowPa, 16)));
    const hexCells = el('span', 'hex');
    const ascii = el('span', 'ascii');
    for (let i = 0; i < ROW_BYTES; i++) {
      const pa = rowPa + BigInt(i);
      const b = byteAt(pa);
      const shown = b === undefined ? '··' : b === 'unreadable' ? '??' : b.toString(16).padStart(2, '0');
      const cell = el('span', 'b', pa === selected && pendingNibble !== undefined ? `${pendingNibble.toString(16)}_` : shown);
      const ch = el('span', 'c', typeof b === 'number' ? (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.') : ' ');
      cell.dataset.pa = ch.dataset.pa = pa.toString(16);
      if (dirty.has(pa)) {
        cell.classList.add('dirty');
        ch.classList.add('dirty');
      }
      if (pa === selected) {
        cell.classList.add(column === 'hex' ? 'caret' : 'sel');
        ch.classList.add(column === 'ascii' ? 'caret' : 'sel');
      }
      if (b === 'unreadable') cell.classList.add('unreadable');
      hexCells.append(cell);
      ascii.append(ch);
    }
    row.append(hexCells, ascii);
    rows.append(row);
  }
}

// ---- page-table view ----
async function loadTable(): Promise<void> {
  if (!table) return;
  const want = { frame, table };
  const r = await request({ type: 'decodeTable', pa: table.pa ?? hex(frame), table });
  if (want.frame !== frame || want.table !== table) return;
  entries = r.ok ? r.entries : undefined;
  entryNotes = r.ok ? r.notes : undefined;
  if (!r.ok) toast(r.error, 'error');
  render();
}

/**
 * Decodes the table anew for another frame, level or mode: until the answer comes the view says
 * "decoding…" rather than show the old rows under the new header.
 */
function decodeAfresh(): void {
  entries = undefined;
  entryNotes = undefined;
  void loadTable();
}

function follow(e: TableEntry, newTab: boolean): void {
  if (e.kind === 'not-present' || !table) return;
  const target = BigInt(e.address) & ~(PAGE - 1n);
  const next: TableView | undefined = e.kind === 'table' && table.level > 1 && !e.selfMap ? { mode: table.mode, level: table.level - 1, baseVa: e.va } : undefined;
  if (newTab && init?.kind === 'session') {
    vscode.postMessage({ type: 'openFrame', pa: hex(target), ...(next ? { table: next } : {}) });
    return;
  }
  showFrame(target, next, BigInt(e.address), next ? 'table' : 'bytes');
}

function renderTable(): void {
  spacer.style.height = 'auto';
  rows.style.transform = '';
  rows.replaceChildren();
  if (!entries) {
    rows.append(el('div', 'note', 'decoding…'));
    return;
  }
  const t = el('table', 'entries');
  const head = el('tr');
  for (const h of ['#', 'VA', 'entry', 'points at', 'flags']) head.append(el('th', undefined, h));
  t.append(head);
  entries.forEach((e, i) => {
    const tr = el('tr', e.kind === 'not-present' ? 'np' : e.reserved !== '0x0' ? 'rsvd' : undefined);
    if (i === selectedEntry) tr.classList.add('caret');
    tr.append(el('td', 'idx', String(e.index)), el('td', 'va', e.va), el('td', 'raw', e.raw));
    const to = el('td', 'to');
    if (e.kind === 'not-present') to.textContent = e.raw === '0x0' ? '' : 'not present';
    else {
      const a = el('a', undefined, `${e.kind === 'table' ? (e.selfMap ? 'self-map' : 'table') : `${sizeText(e.pageSize ?? 4096)} page`} ${e.address}`);
      a.href = '#';
      a.title = e.selfMap ? 'A recursive slot: open the table it points back at' : 'Open this frame (Ctrl+click: in a new tab)';
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        follow(e, ev.ctrlKey || ev.metaKey);
      });
      to.append(a);
    }
    if (entryNotes?.[i]) to.append(el('span', 'xen', ` · ${entryNotes[i]}`));
    tr.append(to, el('td', 'flags', [...e.flags, ...(e.reserved !== '0x0' ? [`RSVD ${e.reserved}`] : []), ...(e.memoryType && e.kind === 'page' ? [e.memoryType] : [])].join(' ')));
    tr.addEventListener('click', () => {
      selectedEntry = i;
      selected = BigInt(e.entryPa);
      render();
    });
    t.append(tr);
  });
  rows.append(t);
  t.querySelector('tr.caret')?.scrollIntoView({ block: 'nearest' });
}

function sizeText(bytes: number): string {
  return bytes >= 1 << 30 ? `${bytes / 2 ** 30} GiB` : bytes >= 1 << 20 ? `${bytes / 2 ** 20} MiB` : `${bytes / 1024} KiB`;
}

// ---- header, inspector ----
/** What the host knows about frames (a Xen frame's page_info), by frame address. */
const notes = new Map<string, { lines: string[]; warning?: boolean }>();

function renderHeader(): void {
  header.replaceChildren();
  const title = el('div', 'title', `Frame ${hex(frame)} · MFN ${hex(frame >> 12n)}`);
  // The label says what the frame it was opened at is; other frames reached from it are not that.
  const label = init && frame === BigInt(init.frame) ? init.label : undefined;
  const sub = el('div', 'sub', [init?.space, label, view === 'table' && table ? `read as ${table.mode} ${LEVEL_NAMES[table.level] ?? `L${table.level}`} table, VA ${table.baseVa}` : undefined].filter(Boolean).join(' · '));
  header.append(title, sub);
  const note = notes.get(hex(frame));
  if (note) for (const line of note.lines) header.append(el('div', note.warning ? 'note warn' : 'note', line));
  if (readOnly) header.append(el('div', 'ro', `read-only: ${readOnly}`));
  else if (init?.autoSave) header.append(el('div', 'ro', `files.autoSave is ${init.autoSave}: VS Code saves by itself, so edits reach the target without Ctrl+S`));
  if (dirty.size) header.append(el('div', 'dirtynote', `${dirty.size} byte${dirty.size === 1 ? '' : 's'} changed, not saved (Ctrl+S writes them; Ctrl+Z undoes)`));
  backBtn.disabled = historyAt <= 0;
  fwdBtn.disabled = historyAt >= history.length - 1;
  bytesBtn.classList.toggle('on', view === 'bytes');
  tableBtn.classList.toggle('on', view === 'table');
  modeSel.hidden = levelSel.hidden = view !== 'table';
  if (table) {
    modeSel.value = table.mode;
    levelSel.replaceChildren(...Array.from({ length: topLevel(table.mode) }, (_, i) => new Option(`${LEVEL_NAMES[i + 1] ?? `L${i + 1}`} (level ${i + 1})`, String(i + 1))));
    levelSel.value = String(table.level);
  }
  saveBtn.disabled = !dirty.size || !!readOnly;
}

function renderInspector(): void {
  inspector.replaceChildren();
  ensurePage(selected & ~(PAGE - 1n));
  const bytes: number[] = [];
  for (let i = 0n; i < 8n; i++) {
    const b = byteAt(selected + i);
    if (typeof b !== 'number') break;
    bytes.push(b);
  }
  const { value64, rows: ints } = intReadings(Uint8Array.from(bytes));
  inspector.append(el('div', 'at', `at ${hex(selected)}`));
  const grid = el('div', 'grid');
  for (const r of ints) grid.append(el('span', 'k', r.label), el('span', 'v', r.text));
  if (value64 !== undefined) {
    grid.append(el('span', 'k', 'as VA'), el('span', 'v', vaReading(value64)));
    const pte = el('span', 'v', '…');
    grid.append(el('span', 'k', 'as PTE'), pte);
    const mode = table?.mode ?? 'long4';
    const level = view === 'table' && table ? table.level : 1;
    void request({ type: 'decodeValue', value: hex(value64), mode, level }).then((r) => {
      const e = r.ok ? r.entry : undefined;
      pte.textContent = !e ? '' : e.kind === 'not-present' ? 'not present' : `${e.kind === 'page' ? `${sizeText(e.pageSize ?? 4096)} page` : 'table'} at ${e.address} · ${e.flags.join(' ')}${e.reserved !== '0x0' ? ` · reserved ${e.reserved}` : ''}`;
    });
  }
  inspector.append(grid);
}

function render(): void {
  if (!init) return;
  renderHeader();
  if (view === 'bytes') renderBytes();
  else renderTable();
  renderInspector();
  vscode.setState({ frame: hex(frame), view });
}

// ---- input ----
main.append(spacer);
main.addEventListener('scroll', () => {
  onScroll();
  if (view === 'bytes') render();
});
window.addEventListener('resize', () => render());

main.addEventListener('click', (e) => {
  const t = e.target as HTMLElement;
  if (!t.dataset.pa) return;
  selected = BigInt(`0x${t.dataset.pa}`);
  column = t.classList.contains('c') ? 'ascii' : 'hex';
  pendingNibble = undefined;
  render();
  main.focus();
});

function moveSelection(delta: bigint): void {
  const end = winStart + BigInt(winLength) - 1n;
  let s = selected + delta;
  if (s < winStart) s = winStart;
  if (s > end) s = end;
  selected = s;
  pendingNibble = undefined;
  const row = Number((selected - winStart) / BigInt(ROW_BYTES));
  const first = firstVisibleRow();
  const visible = visibleRows();
  if (row < first || row >= first + visible) scrollTo(row < first ? selected : selected - BigInt((visible - 1) * ROW_BYTES));
  render();
}

function typeByte(value: number): void {
  vscode.postMessage({ type: 'edit', pa: hex(selected), value });
  moveSelection(1n);
}

main.addEventListener('keydown', (e) => {
  if (e.altKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
    go(e.key === 'ArrowLeft' ? -1 : 1);
    return e.preventDefault();
  }
  if (e.ctrlKey && (e.key === 'PageUp' || e.key === 'PageDown')) {
    showFrame(frame + (e.key === 'PageUp' ? -PAGE : PAGE));
    return e.preventDefault();
  }
  if (e.ctrlKey && e.key.toLowerCase() === 'g') {
    gotoInput.focus();
    return e.preventDefault();
  }
  if (view === 'table') {
    if (!entries?.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      selectedEntry = Math.max(0, Math.min(entries.length - 1, selectedEntry + (e.key === 'ArrowDown' ? 1 : -1)));
      selected = BigInt(entries[selectedEntry].entryPa);
      render();
      return e.preventDefault();
    }
    if (e.key === 'Enter') {
      follow(entries[selectedEntry], e.ctrlKey);
      return e.preventDefault();
    }
    if (e.key === 'Backspace') return go(-1);
    return;
  }
  const moves: Record<string, bigint> = { ArrowLeft: -1n, ArrowRight: 1n, ArrowUp: -16n, ArrowDown: 16n, PageUp: -BigInt(ROW_BYTES * 16), PageDown: BigInt(ROW_BYTES * 16) };
  if (e.key in moves) {
    moveSelection(moves[e.key]);
    return e.preventDefault();
  }
  if (e.key === 'Home') return moveSelection(-(selected - winStart) % 16n), e.preventDefault();
  if (e.key === 'End') return moveSelection(15n - ((selected - winStart) % 16n)), e.preventDefault();
  if (e.key === 'Tab') {
    column = column === 'hex' ? 'ascii' : 'hex';
    pendingNibble = undefined;
    render();
    return e.preventDefault();
  }
  if (e.ctrlKey || e.metaKey || e.altKey || e.key.length !== 1) return;
  if (readOnly) return toast(`read-only: ${readOnly}`, 'error');
  if (column === 'ascii') {
    const code = e.key.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f) typeByte(code);
    return e.preventDefault();
  }
  const nib = parseInt(e.key, 16);
  if (Number.isNaN(nib)) return;
  e.preventDefault();
  if (pendingNibble === undefined) {
    // The first nibble shows in the byte; the second completes it, as one edit (one undo step).
    pendingNibble = nib;
    render();
    return;
  }
  const value = (pendingNibble << 4) | nib;
  pendingNibble = undefined;
  typeByte(value);
});

vscode.postMessage({ type: 'ready' });
main.focus();
