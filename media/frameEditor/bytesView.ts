/**
 * The bytes view: offset, 16 hex bytes and their ASCII per row, drawn for the rows on screen only
 * (virtual scrolling over a window up to a whole file), pages read from the host as they show.
 */
import { el, main, rows, spacer } from './dom';
import { request } from './host';
import { dirty, hex, MAX_SCROLL_PX, PAGE, pages, redraw, ROW_BYTES, ROW_PX, st } from './state';

export function totalRows(): number {
  return Math.ceil(st.winLength / ROW_BYTES);
}

export function visibleRows(): number {
  return Math.max(1, Math.floor(main.clientHeight / ROW_PX));
}

export function scrollTo(pa: bigint): void {
  const rowsMax = Math.max(0, totalRows() - visibleRows());
  st.topRow = Math.min(Math.max(0, Number((pa - st.winStart) / BigInt(ROW_BYTES))), rowsMax);
  spacer.style.height = `${Math.min(totalRows() * ROW_PX, MAX_SCROLL_PX)}px`;
  const max = main.scrollHeight - main.clientHeight;
  const px = totalRows() * ROW_PX <= MAX_SCROLL_PX ? st.topRow * ROW_PX : (st.topRow / Math.max(1, rowsMax)) * max;
  if (Math.abs(main.scrollTop - px) >= 1) {
    st.jumped = true; // the scroll event this causes must not move topRow again
    main.scrollTop = px;
  }
}

export function onScroll(): void {
  if (st.jumped) {
    st.jumped = false;
    return;
  }
  if (totalRows() * ROW_PX <= MAX_SCROLL_PX) st.topRow = Math.floor(main.scrollTop / ROW_PX);
  else {
    const max = Math.max(1, main.scrollHeight - main.clientHeight);
    st.topRow = Math.round((main.scrollTop / max) * Math.max(0, totalRows() - visibleRows()));
  }
}

export function firstVisibleRow(): number {
  return st.topRow;
}

export function byteAt(pa: bigint): number | undefined | 'unreadable' {
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

export function ensurePage(page: bigint): void {
  if (pages.has(page)) return;
  const end = st.winStart + BigInt(st.winLength);
  const from = page < st.winStart ? st.winStart : page;
  const to = page + PAGE > end && st.init?.kind === 'file' ? end : page + PAGE;
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
    redraw.render();
  });
}

export function renderBytes(): void {
  spacer.style.height = `${Math.min(totalRows() * ROW_PX, MAX_SCROLL_PX)}px`;
  const first = firstVisibleRow();
  const count = Math.ceil(main.clientHeight / ROW_PX) + 1;
  rows.style.transform = `translateY(${main.scrollTop}px)`;
  rows.replaceChildren();
  for (let r = first; r < Math.min(first + count, totalRows()); r++) {
    const rowPa = st.winStart + BigInt(r * ROW_BYTES);
    ensurePage(rowPa & ~(PAGE - 1n));
    const row = el('div', 'row');
    row.append(el('span', 'off', hex(rowPa, 16)));
    const hexCells = el('span', 'hex');
    const ascii = el('span', 'ascii');
    for (let i = 0; i < ROW_BYTES; i++) {
      const pa = rowPa + BigInt(i);
      const b = byteAt(pa);
      const shown = b === undefined ? '··' : b === 'unreadable' ? '??' : b.toString(16).padStart(2, '0');
      const cell = el('span', 'b', pa === st.selected && st.pendingNibble !== undefined ? `${st.pendingNibble.toString(16)}_` : shown);
      const ch = el('span', 'c', typeof b === 'number' ? (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.') : ' ');
      cell.dataset.pa = ch.dataset.pa = pa.toString(16);
      if (dirty.has(pa)) {
        cell.classList.add('dirty');
        ch.classList.add('dirty');
      }
      if (pa === st.selected) {
        cell.classList.add(st.column === 'hex' ? 'caret' : 'sel');
        ch.classList.add(st.column === 'ascii' ? 'caret' : 'sel');
      }
      if (b === 'unreadable') cell.classList.add('unreadable');
      hexCells.append(cell);
      ascii.append(ch);
    }
    row.append(hexCells, ascii);
    rows.append(row);
  }
}
