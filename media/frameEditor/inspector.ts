/** The data inspector under the view: the bytes at the selection read as integers, a VA and an entry. */
import { byteAt, ensurePage } from './bytesView';
import { el, inspector } from './dom';
import { request } from './host';
import { hex, PAGE, sizeText, st } from './state';
import { intReadings, vaReading } from './values';

export function renderInspector(): void {
  inspector.replaceChildren();
  ensurePage(st.selected & ~(PAGE - 1n));
  const bytes: number[] = [];
  for (let i = 0n; i < 8n; i++) {
    const b = byteAt(st.selected + i);
    if (typeof b !== 'number') break;
    bytes.push(b);
  }
  const { value64, rows: ints } = intReadings(Uint8Array.from(bytes));
  inspector.append(el('div', 'at', `at ${hex(st.selected)}`));
  const grid = el('div', 'grid');
  for (const r of ints) grid.append(el('span', 'k', r.label), el('span', 'v', r.text));
  if (value64 !== undefined) {
    grid.append(el('span', 'k', 'as VA'), el('span', 'v', vaReading(value64)));
    const pte = el('span', 'v', '…');
    grid.append(el('span', 'k', 'as PTE'), pte);
    const mode = st.table?.mode ?? 'long4';
    const level = st.view === 'table' && st.table ? st.table.level : 1;
    void request({ type: 'decodeValue', value: hex(value64), mode, level }).then((r) => {
      const e = r.ok ? r.entry : undefined;
      pte.textContent = !e ? '' : e.kind === 'not-present' ? 'not present' : `${e.kind === 'page' ? `${sizeText(e.pageSize ?? 4096)} page` : 'table'} at ${e.address} · ${e.flags.join(' ')}${e.reserved !== '0x0' ? ` · reserved ${e.reserved}` : ''}`;
    });
  }
  inspector.append(grid);
}
