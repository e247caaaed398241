/** The bar above the frame: history, previous/next frame, go to, bytes or table, mode and level, save. */
import type { PagingModeName } from '../../src/shared/dapRequests';
import type { TableView } from '../../src/shared/frameProtocol';
import { bar, button, el, main, toast } from './dom';
import { vscode } from './host';
import { go, setTable, setView, showFrame } from './navigation';
import { PAGE, st } from './state';

/** The picker's order; the set is the one of paging/modes.ts. */
const MODES = ['long4', 'long5', 'pae', 'legacy32', 'ept'] as const satisfies readonly PagingModeName[];

export const backBtn = button('←', 'Back (Alt+Left)', () => go(-1));
export const fwdBtn = button('→', 'Forward (Alt+Right)', () => go(1));
const prevBtn = button('‹ Frame', 'Previous frame (Ctrl+PageUp)', () => showFrame(st.frame - PAGE));
const nextBtn = button('Frame ›', 'Next frame (Ctrl+PageDown)', () => showFrame(st.frame + PAGE));
export const gotoInput = el('input');
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
export const bytesBtn = button('Bytes', 'Show the frame as bytes', () => setView('bytes'));
export const tableBtn = button('Page table', 'Show the frame as paging-structure entries', () => setView('table'));
export const modeSel = el('select');
for (const m of MODES) modeSel.append(new Option(m, m));
modeSel.title = 'Paging mode the frame is read as';
export const levelSel = el('select');
levelSel.title = 'Level of the table';
modeSel.addEventListener('change', () => setTable({ mode: modeSel.value as TableView['mode'], level: topLevel(modeSel.value), baseVa: '0x0' }));
levelSel.addEventListener('change', () => st.table && setTable({ ...st.table, level: Number(levelSel.value) }));
export const saveBtn = button('Save', 'Write the changed bytes to the target and read them back (Ctrl+S)', () => vscode.postMessage({ type: 'save' }));
bar.append(backBtn, fwdBtn, prevBtn, nextBtn, gotoInput, bytesBtn, tableBtn, modeSel, levelSel, saveBtn);

export function topLevel(mode: string): number {
  return mode === 'long5' ? 5 : mode === 'legacy32' ? 2 : mode === 'pae' ? 3 : 4;
}

function parseAddress(text: string): bigint | undefined {
  const m = /^\s*(mfn\s*[=:]?\s*)?(0x[0-9a-f_`]+|[0-9]+)\s*$/i.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2].replace(/[_`]/g, ''));
  return m[1] ? v << 12n : v;
}
