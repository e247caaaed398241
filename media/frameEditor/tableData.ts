/** The entries of the frame read as a paging structure, decoded by the host. */
import { toast } from './dom';
import { request } from './host';
import { hex, redraw, st } from './state';

export async function loadTable(): Promise<void> {
  if (!st.table) return;
  const want = { frame: st.frame, table: st.table };
  const r = await request({ type: 'decodeTable', pa: st.table.pa ?? hex(st.frame), table: st.table });
  if (want.frame !== st.frame || want.table !== st.table) return;
  st.entries = r.ok ? r.entries : undefined;
  st.entryNotes = r.ok ? r.notes : undefined;
  if (!r.ok) toast(r.error, 'error');
  redraw.render();
}

/**
 * Decodes the table anew for another frame, level or mode: until the answer comes the view says
 * "decoding…" rather than show the old rows under the new header.
 */
export function decodeAfresh(): void {
  st.entries = undefined;
  st.entryNotes = undefined;
  void loadTable();
}
