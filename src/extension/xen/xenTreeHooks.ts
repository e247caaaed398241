/**
 * The Xen words in the Page Tables tree, through its hooks: Xen's region on the top-level slots
 * 256-271 of every 64-bit table (PV guests' and Xen's own), the pfn the M2P gives for the frame
 * each entry points at, and the frame's page_info in the tooltip. Only for sessions whose target
 * is a Xen the adapter reads. No `vscode`.
 */
import type { PageTableResult, PagingModeName, TableEntry } from '../../shared/dapRequests';
import { pageInfoLines, pfnNote, slotNote } from '../../xenText/viewText';
import type { EntryNode, RootNode, TreeHooks } from '../tree/pageTableNodes';
import type { XenSessionCache, XenTracked } from './xenSessionCache';

/**
 * The Xen words beside a table's entries, by entry index: the region on slots 256-271 of a 64-bit
 * top-level table and the pfn the M2P gives for each present entry's frame. The tree and the frame
 * editor's table view show them.
 */
export async function xenEntryNotes(cache: XenSessionCache, t: XenTracked, table: { mode: PagingModeName; level: number; entries: readonly TableEntry[] }): Promise<Map<number, string>> {
  const notes = new Map<number, string>();
  const add = (i: number, text: string): void => {
    notes.set(i, notes.has(i) ? `${notes.get(i)} · ${text}` : text);
  };
  if (table.mode === 'long4' && table.level === 4) {
    const layout = await cache.layout(t);
    for (const e of table.entries) {
      const s = slotNote(e.index, layout);
      if (s) add(e.index, s);
    }
  }
  const present = table.entries.filter((e) => e.kind !== 'not-present');
  if (present.length) {
    const m2p = await t.client.request('hyperframe/xen/m2p', { mfns: present.map((e) => `0x${(BigInt(e.address) >> 12n).toString(16)}`) });
    present.forEach((e, i) => add(e.index, pfnNote(m2p.entries[i])));
  }
  return notes;
}

export function xenTreeHooks(cache: XenSessionCache, sessionOf: (id: string) => XenTracked | undefined): TreeHooks {
  const xenSession = async (id: string): Promise<XenTracked | undefined> => {
    const t = sessionOf(id);
    return t && (await cache.isXen(t)) ? t : undefined;
  };
  return {
    async annotate(root: RootNode, table: PageTableResult): Promise<Map<number, string> | undefined> {
      const t = await xenSession(root.session.id);
      if (!t) return undefined;
      return xenEntryNotes(cache, t, table);
    },
    async tooltip(node: EntryNode): Promise<string | undefined> {
      const e = node.entry;
      if (e.kind === 'not-present') return undefined;
      const t = await xenSession(node.session.id);
      if (!t) return undefined;
      const f = await t.client.request('hyperframe/xen/frameInfo', { mfn: `0x${(BigInt(e.address) >> 12n).toString(16)}` });
      return pageInfoLines(f).join('  \n');
    },
  };
}
