/**
 * Moving between frames and views: the frame shown, back and forward through the history,
 * bytes or table, following an entry to the frame it points at.
 */
import type { TableEntry } from '../../src/shared/dapRequests';
import type { FrameInit, TableView } from '../../src/shared/frameProtocol';
import { main, toast } from './dom';
import { vscode } from './host';
import { scrollTo } from './bytesView';
import { decodeAfresh } from './tableData';
import { dirty, hex, history, PAGE, type Place, redraw, st, type ViewKind } from './state';

export function start(i: FrameInit): void {
  st.init = i;
  st.readOnly = i.readOnly;
  st.winStart = BigInt(i.start);
  st.winLength = i.length;
  dirty.clear();
  for (const [pa, v] of i.dirty) dirty.set(BigInt(pa), v);
  history.length = 0;
  st.historyAt = -1;
  showFrame(BigInt(i.frame), i.table, undefined, i.table ? 'table' : 'bytes');
}

export function showFrame(pa: bigint, t?: TableView, select?: bigint, v?: ViewKind): void {
  if (pa < 0n) return;
  if (st.init?.kind === 'file' && (pa < st.winStart || pa >= st.winStart + BigInt(st.winLength))) return toast(`${hex(pa)} is outside this file (${hex(st.winStart)}–${hex(st.winStart + BigInt(st.winLength) - 1n)})`, 'error');
  history.splice(st.historyAt + 1);
  history.push({ frame: pa, table: t ?? (v === 'table' ? st.table : undefined), view: v ?? (t ? 'table' : st.view) });
  st.historyAt = history.length - 1;
  apply(history[st.historyAt], select);
}

export function go(step: number): void {
  const to = st.historyAt + step;
  if (to < 0 || to >= history.length) return;
  st.historyAt = to;
  apply(history[to]);
}

function apply(h: Place, select?: bigint): void {
  st.frame = h.frame;
  if (st.init?.kind === 'session') {
    // A session's window is the frame itself; pages of other frames are read when shown.
    st.winStart = st.frame;
    st.winLength = 4096;
  }
  st.table = h.table ?? st.table;
  st.view = h.view;
  st.selected = select ?? st.frame;
  st.selectedEntry = 0;
  st.pendingNibble = undefined;
  vscode.postMessage({ type: 'showing', frame: hex(st.frame) });
  if (st.view === 'table') decodeAfresh();
  else scrollTo(st.selected);
  redraw.render();
}

export function setView(v: ViewKind): void {
  if (v === 'table' && !st.table) st.table = { mode: 'long4', level: 4, baseVa: '0x0' };
  st.view = v;
  if (history[st.historyAt]) history[st.historyAt] = { frame: st.frame, table: st.table, view: st.view };
  if (v === 'table') decodeAfresh();
  redraw.render();
  main.focus();
}

export function setTable(t: TableView): void {
  st.table = t;
  if (history[st.historyAt]) history[st.historyAt] = { frame: st.frame, table: st.table, view: st.view };
  decodeAfresh();
  redraw.render();
}

export function follow(e: TableEntry, newTab: boolean): void {
  if (e.kind === 'not-present' || !st.table) return;
  const target = BigInt(e.address) & ~(PAGE - 1n);
  const next: TableView | undefined = e.kind === 'table' && st.table.level > 1 && !e.selfMap ? { mode: st.table.mode, level: st.table.level - 1, baseVa: e.va } : undefined;
  if (newTab && st.init?.kind === 'session') {
    vscode.postMessage({ type: 'openFrame', pa: hex(target), ...(next ? { table: next } : {}) });
    return;
  }
  showFrame(target, next, BigInt(e.address), next ? 'table' : 'bytes');
}
