/** The header naming the frame (and what the host knows of it), and the state of the bar's buttons. */
import { el, header } from './dom';
import { backBtn, bytesBtn, fwdBtn, levelSel, modeSel, saveBtn, tableBtn, topLevel } from './toolbar';
import { dirty, hex, history, LEVEL_NAMES, notes, st } from './state';

export function renderHeader(): void {
  header.replaceChildren();
  const title = el('div', 'title', `Frame ${hex(st.frame)} · MFN ${hex(st.frame >> 12n)}`);
  // The label says what the frame it was opened at is; other frames reached from it are not that.
  const label = st.init && st.frame === BigInt(st.init.frame) ? st.init.label : undefined;
  const sub = el('div', 'sub', [st.init?.space, label, st.view === 'table' && st.table ? `read as ${st.table.mode} ${LEVEL_NAMES[st.table.level] ?? `L${st.table.level}`} table, VA ${st.table.baseVa}` : undefined].filter(Boolean).join(' · '));
  header.append(title, sub);
  const note = notes.get(hex(st.frame));
  if (note) for (const line of note.lines) header.append(el('div', note.warning ? 'note warn' : 'note', line));
  if (st.readOnly) header.append(el('div', 'ro', `read-only: ${st.readOnly}`));
  else if (st.init?.autoSave) header.append(el('div', 'ro', `files.autoSave is ${st.init.autoSave}: VS Code saves by itself, so edits reach the target without Ctrl+S`));
  if (dirty.size) header.append(el('div', 'dirtynote', `${dirty.size} byte${dirty.size === 1 ? '' : 's'} changed, not saved (Ctrl+S writes them; Ctrl+Z undoes)`));
  backBtn.disabled = st.historyAt <= 0;
  fwdBtn.disabled = st.historyAt >= history.length - 1;
  bytesBtn.classList.toggle('on', st.view === 'bytes');
  tableBtn.classList.toggle('on', st.view === 'table');
  modeSel.hidden = levelSel.hidden = st.view !== 'table';
  if (st.table) {
    modeSel.value = st.table.mode;
    levelSel.replaceChildren(...Array.from({ length: topLevel(st.table.mode) }, (_, i) => new Option(`${LEVEL_NAMES[i + 1] ?? `L${i + 1}`} (level ${i + 1})`, String(i + 1))));
    levelSel.value = String(st.table.level);
  }
  saveBtn.disabled = !dirty.size || !!st.readOnly;
}
