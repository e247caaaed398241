/**
 * The frame editor's webview: bytes (offset, 16 hex bytes, ASCII) or the frame's entries decoded,
 * a header naming the frame, back/forward history, a data inspector, hex editing. It never sees a
 * session: it asks the host for bytes and decodes over the protocol of src/shared/frameProtocol.ts.
 *
 * This module draws the whole and routes the host's messages; the parts are: state.ts (what is
 * shown), host.ts (requests), dom.ts and toolbar.ts (the page), navigation.ts (frames, history),
 * bytesView.ts, tableView.ts, header.ts and inspector.ts (drawing), input.ts (keys, edits).
 */
import type { ToWebview } from '../../src/shared/frameProtocol';
import { onScroll, renderBytes } from './bytesView';
import { main, spacer, toast } from './dom';
import { renderHeader } from './header';
import { answer, vscode } from './host';
import { renderInspector } from './inspector';
import './input';
import { start } from './navigation';
import { loadTable } from './tableData';
import { renderTable } from './tableView';
import { dirty, hex, notes, PAGE, pages, redraw, st } from './state';

function render(): void {
  if (!st.init) return;
  renderHeader();
  if (st.view === 'bytes') renderBytes();
  else renderTable();
  renderInspector();
  vscode.setState({ frame: hex(st.frame), view: st.view });
}

redraw.render = render;

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const m = ev.data;
  switch (m.type) {
    case 'reply':
      answer(m);
      break;
    case 'init':
      start(m.init);
      break;
    case 'changed': {
      dirty.clear();
      for (const [pa, v] of m.dirty) dirty.set(BigInt(pa), v);
      const from = BigInt(m.pa);
      for (const key of [...pages.keys()]) if (m.length === 0 || (key < from + BigInt(m.length) && key + PAGE > from)) pages.delete(key);
      if (st.view === 'table') void loadTable();
      render();
      break;
    }
    case 'state':
      st.readOnly = m.readOnly;
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

main.append(spacer);
main.addEventListener('scroll', () => {
  onScroll();
  if (st.view === 'bytes') render();
});
window.addEventListener('resize', () => render());

vscode.postMessage({ type: 'ready' });
main.focus();
