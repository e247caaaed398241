import * as vscode from 'vscode';
import { SHARED_REWALK_BUDGET } from '../../paging/tableWalk';
import type { MappingsArgs } from '../../shared/dapRequests';
import type { TrackedSession } from '../session/sessionTracker';
import { addPage, addressSpaceText, emptyWalk, rangeLinks } from './addressSpaceText';
import { type ReadOnlyDocuments, VIEW_SCHEME } from './readOnlyDocuments';

export const SPACE_LANGUAGE = 'hyperframe-space';

/** Leaves per request: a page of the walk, so that progress shows and Cancel stops between pages. */
const LEAVES_PER_PAGE = 50_000;

export interface SpaceToShow {
  session: TrackedSession;
  /** The tree's root key (`cpu0`, `pin:name`), for links back into the tree. */
  key: string;
  title: string;
  args: Pick<MappingsArgs, 'vcpu' | 'mode' | 'root'>;
}

/** Walks an address space in pages, with progress and Cancel, and opens it as a read-only document. */
export async function showAddressSpace(docs: ReadOnlyDocuments, space: SpaceToShow): Promise<void> {
  const splitPa = vscode.workspace.getConfiguration('hyperframe').get<boolean>('addressSpace.splitPa', false);
  const client = space.session.client;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `HyperFrame: walking ${space.title}`, cancellable: true },
    async (progress, token) => {
      let from: string | undefined;
      let walk: ReturnType<typeof emptyWalk> | undefined;
      let pages = 0;
      // One budget for walking shared tables again over the whole walk, not one per page.
      let budget = SHARED_REWALK_BUDGET;
      for (;;) {
        const page = await client.request('hyperframe/mappings', { ...space.args, ...(from ? { from } : {}), maxLeaves: LEAVES_PER_PAGE, splitPa, sharedRewalkBudget: budget });
        budget = Math.max(0, budget - page.rewalkedEntries);
        walk ??= emptyWalk(page.mode, page.root);
        addPage(walk, page, splitPa);
        pages += page.ranges.reduce((n, r) => n + r.pages, 0);
        if (!page.truncated || !page.next) return { walk, cancelledAt: undefined };
        from = page.next;
        progress.report({ message: `${pages.toLocaleString('en')} pages so far, at ${from}` });
        if (token.isCancellationRequested) return { walk, cancelledAt: from };
      }
    },
  );
  const lines = addressSpaceText(space.title, result.walk, splitPa);
  if (result.cancelledAt) lines.splice(2, 0, `# CANCELLED: the walk stopped at ${result.cancelledAt}; what follows ends there`);
  const uri = docs.uri(`${space.title}.hfspace`, { session: space.session.client.id, key: space.key });
  await docs.show(uri, `${lines.join('\n')}\n`, SPACE_LANGUAGE);
}

/** Links in an address-space document: a range's VA reveals it in the tree, its PA opens the frame. */
export class AddressSpaceLinks implements vscode.DocumentLinkProvider {
  provideDocumentLinks(doc: vscode.TextDocument): vscode.DocumentLink[] {
    if (doc.uri.scheme !== VIEW_SCHEME || !doc.uri.path.endsWith('.hfspace')) return [];
    const q = new URLSearchParams(doc.uri.query);
    const sessionId = q.get('session') ?? '';
    const key = q.get('key') ?? '';
    const out: vscode.DocumentLink[] = [];
    for (let i = 0; i < doc.lineCount; i++) {
      const { va, pa } = rangeLinks(doc.lineAt(i).text);
      if (va) {
        const link = new vscode.DocumentLink(new vscode.Range(i, va.start, i, va.end), commandUri('hyperframe.revealVa', { sessionId, key, va: `0x${va.value.toString(16)}` }));
        link.tooltip = 'Reveal in the Page Tables view';
        out.push(link);
      }
      if (pa) {
        const link = new vscode.DocumentLink(new vscode.Range(i, pa.start, i, pa.end), commandUri('hyperframe.openFrame', { sessionId, pa: `0x${(pa.value & ~0xfffn).toString(16)}` }));
        link.tooltip = 'Open the frame in the hex editor';
        out.push(link);
      }
    }
    return out;
  }
}

export function commandUri(command: string, arg: object): vscode.Uri {
  return vscode.Uri.parse(`command:${command}?${encodeURIComponent(JSON.stringify([arg]))}`);
}
