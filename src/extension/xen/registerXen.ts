import * as vscode from 'vscode';
import type { ReadOnlyDocuments } from '../documents/readOnlyDocuments';
import type { SessionTracker } from '../session/sessionTracker';
import type { TreeNode } from '../tree/pageTableNodes';
import { type PageTableTree, VIEW_ID } from '../tree/pageTableTree';
import { P2M_VIEW, P2mView } from './p2mView';
import { type DomainsNode, openRootArgs, XEN_DOMAINS_VIEW, XenDomainsView } from './xenDomainsView';
import { LAYOUT_CHOICES, XEN_LAYOUT_VIEW, XenLayoutView } from './xenLayoutView';
import { showM2p, showStartInfo } from './xenDocuments';
import type { XenSessionCache } from './xenSessionCache';

/** The Xen views (Domains, Layout, P2M) and their commands, beside the Page Tables view they open roots in. */
export function registerXen(tracker: SessionTracker, cache: XenSessionCache, tree: PageTableTree, treeView: vscode.TreeView<TreeNode>, docs: ReadOnlyDocuments): vscode.Disposable[] {
  const domains = new XenDomainsView(tracker, cache);
  const layout = new XenLayoutView(tracker, cache);
  const p2m = new P2mView(tracker);
  const fail = (e: unknown): void => void vscode.window.showErrorMessage(`HyperFrame: ${e instanceof Error ? e.message : String(e)}`);

  /** Pins the node's tables as a root of the Page Tables view (once) and reveals it there. */
  const openRoot = async (node: DomainsNode): Promise<void> => {
    const a = openRootArgs(node);
    if (!a) return;
    if (!tree.pins().some((p) => p.name === a.name)) await tree.setPins([...tree.pins(), { name: a.name, mode: 'long4', kind: a.kind, text: a.text }]);
    const t = tracker.get(a.sessionId);
    if (!t) return;
    const root = await tree.rootByKey(t, `pin:${a.name}`);
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
    if (root) await treeView.reveal(root, { select: true, focus: true, expand: true });
  };

  return [
    domains,
    layout,
    p2m,
    vscode.window.registerTreeDataProvider(XEN_DOMAINS_VIEW, domains),
    vscode.window.registerTreeDataProvider(XEN_LAYOUT_VIEW, layout),
    vscode.window.registerTreeDataProvider(P2M_VIEW, p2m),
    tracker.onDidChangeSessions(() => {
      for (const t of tracker.all()) if (t.snapshot.state === 'ended') cache.forget(t.client.id);
    }),
    vscode.commands.registerCommand('hyperframe.xen.openRoot', (node: DomainsNode) => openRoot(node).catch(fail)),
    vscode.commands.registerCommand('hyperframe.xen.chooseLayout', async () => {
      const pick = await vscode.window.showQuickPick([{ label: 'The running Xen’s', xen: '', arch: 'x86_64' as const }, ...LAYOUT_CHOICES], { placeHolder: 'Which of Xen’s layouts' });
      if (pick) layout.choose(pick.xen ? pick : undefined);
    }),
    vscode.commands.registerCommand('hyperframe.p2m.check', () => p2m.check()),
    vscode.commands.registerCommand('hyperframe.xen.startInfo', () => showStartInfo(tracker, docs).catch(fail)),
    vscode.commands.registerCommand('hyperframe.xen.m2p', () => showM2p(tracker, docs).catch(fail)),
  ];
}
