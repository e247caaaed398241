/** The table view: one row per entry (index, VA, raw entry, what it points at, flags), links to follow. */
import { el, rows, spacer } from './dom';
import { follow } from './navigation';
import { redraw, sizeText, st } from './state';

export function renderTable(): void {
  spacer.style.height = 'auto';
  rows.style.transform = '';
  rows.replaceChildren();
  if (!st.entries) {
    rows.append(el('div', 'note', 'decoding…'));
    return;
  }
  const t = el('table', 'entries');
  const head = el('tr');
  for (const h of ['#', 'VA', 'entry', 'points at', 'flags']) head.append(el('th', undefined, h));
  t.append(head);
  st.entries.forEach((e, i) => {
    const tr = el('tr', e.kind === 'not-present' ? 'np' : e.reserved !== '0x0' ? 'rsvd' : undefined);
    if (i === st.selectedEntry) tr.classList.add('caret');
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
    if (st.entryNotes?.[i]) to.append(el('span', 'xen', ` · ${st.entryNotes[i]}`));
    tr.append(to, el('td', 'flags', [...e.flags, ...(e.reserved !== '0x0' ? [`RSVD ${e.reserved}`] : []), ...(e.memoryType && e.kind === 'page' ? [e.memoryType] : [])].join(' ')));
    tr.addEventListener('click', () => {
      st.selectedEntry = i;
      st.selected = BigInt(e.entryPa);
      redraw.render();
    });
    t.append(tr);
  });
  rows.append(t);
  t.querySelector('tr.caret')?.scrollIntoView({ block: 'nearest' });
}
