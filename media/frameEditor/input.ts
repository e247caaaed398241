/**
 * Keys and clicks in the view: selecting and moving through bytes or entries, hex and ASCII
 * editing (each byte one edit sent to the host), history and frame keys.
 */
import { firstVisibleRow, scrollTo, visibleRows } from './bytesView';
import { main, toast } from './dom';
import { vscode } from './host';
import { follow, go, showFrame } from './navigation';
import { gotoInput } from './toolbar';
import { hex, PAGE, redraw, ROW_BYTES, st } from './state';

main.addEventListener('click', (e) => {
  const t = e.target as HTMLElement;
  if (!t.dataset.pa) return;
  st.selected = BigInt(`0x${t.dataset.pa}`);
  st.column = t.classList.contains('c') ? 'ascii' : 'hex';
  st.pendingNibble = undefined;
  redraw.render();
  main.focus();
});

function moveSelection(delta: bigint): void {
  const end = st.winStart + BigInt(st.winLength) - 1n;
  let s = st.selected + delta;
  if (s < st.winStart) s = st.winStart;
  if (s > end) s = end;
  st.selected = s;
  st.pendingNibble = undefined;
  const row = Number((st.selected - st.winStart) / BigInt(ROW_BYTES));
  const first = firstVisibleRow();
  const visible = visibleRows();
  if (row < first || row >= first + visible) scrollTo(row < first ? st.selected : st.selected - BigInt((visible - 1) * ROW_BYTES));
  redraw.render();
}

function typeByte(value: number): void {
  vscode.postMessage({ type: 'edit', pa: hex(st.selected), value });
  moveSelection(1n);
}

main.addEventListener('keydown', (e) => {
  if (e.altKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
    go(e.key === 'ArrowLeft' ? -1 : 1);
    return e.preventDefault();
  }
  if (e.ctrlKey && (e.key === 'PageUp' || e.key === 'PageDown')) {
    showFrame(st.frame + (e.key === 'PageUp' ? -PAGE : PAGE));
    return e.preventDefault();
  }
  if (e.ctrlKey && e.key.toLowerCase() === 'g') {
    gotoInput.focus();
    return e.preventDefault();
  }
  if (st.view === 'table') {
    if (!st.entries?.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      st.selectedEntry = Math.max(0, Math.min(st.entries.length - 1, st.selectedEntry + (e.key === 'ArrowDown' ? 1 : -1)));
      st.selected = BigInt(st.entries[st.selectedEntry].entryPa);
      redraw.render();
      return e.preventDefault();
    }
    if (e.key === 'Enter') {
      follow(st.entries[st.selectedEntry], e.ctrlKey);
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
  if (e.key === 'Home') return moveSelection(-(st.selected - st.winStart) % 16n), e.preventDefault();
  if (e.key === 'End') return moveSelection(15n - ((st.selected - st.winStart) % 16n)), e.preventDefault();
  if (e.key === 'Tab') {
    st.column = st.column === 'hex' ? 'ascii' : 'hex';
    st.pendingNibble = undefined;
    redraw.render();
    return e.preventDefault();
  }
  if (e.ctrlKey || e.metaKey || e.altKey || e.key.length !== 1) return;
  if (st.readOnly) return toast(`read-only: ${st.readOnly}`, 'error');
  if (st.column === 'ascii') {
    const code = e.key.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f) typeByte(code);
    return e.preventDefault();
  }
  const nib = parseInt(e.key, 16);
  if (Number.isNaN(nib)) return;
  e.preventDefault();
  if (st.pendingNibble === undefined) {
    // The first nibble shows in the byte; the second completes it, as one edit (one undo step).
    st.pendingNibble = nib;
    redraw.render();
    return;
  }
  const value = (st.pendingNibble << 4) | nib;
  st.pendingNibble = undefined;
  typeByte(value);
});
