import * as vscode from 'vscode';
import type { RootsResult } from '../../shared/dapRequests';
import type { SessionTracker, TrackedSession } from '../session/sessionTracker';
import { emptyRunLabel, entryDescription, entryIcon, entryLabel, entryTooltip, type EntryIcon, modeName, vcpuRootLabel } from './entryText';
import { type EntryNode, type InfoNode, type RootNode, type RootSpec, type SessionNode, type TableNode, TableLoader, tableOf, type TreeHooks, type TreeNode, type TreeOptions } from './pageTableNodes';
import { type PinnedRoot, resolvePinned } from './pinnedRoots';

export const VIEW_ID = 'hyperframe.pageTables';
const PINS_KEY = 'hyperframe.pinnedRoots';
/** The welcome view shown when the tree is empty depends on it: `none`, `starting`, `running`, `stopped`. */
const STATE_KEY = 'hyperframe.pageTables.state';
const SHOW_NOT_PRESENT_KEY = 'hyperframe.pageTables.showNotPresent';

const ICONS: Record<EntryIcon, vscode.ThemeIcon> = {
  table: new vscode.ThemeIcon('list-tree'),
  'large-page': new vscode.ThemeIcon('file-zip'),
  page: new vscode.ThemeIcon('file-binary'),
  'not-present': new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground')),
  reserved: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')),
  'self-map': new vscode.ThemeIcon('sync'),
};

/**
 * The Page Tables view: for each HyperFrame session (a group when there are several), one root per
 * vCPU address space and the roots the user pinned, entries loaded a table at a time. Refreshed at
 * every stop and memory write, keeping what was expanded; while the target runs, or with no
 * session, the view's welcome text says so instead of showing stale tables.
 */
export class PageTableTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly loader: TableLoader;
  private readonly roots = new Map<string, Promise<RootNode[]>>();
  private readonly disposables: vscode.Disposable[] = [];
  private showNotPresent: boolean;
  /**
   * Ids of the nodes the user expanded, and the one selected. VS Code forgets both when a node
   * leaves the tree (while the target runs the tree is empty), so the tree remembers them itself.
   */
  private readonly expanded = new Set<string>();
  private selectedId: string | undefined;
  private view: vscode.TreeView<TreeNode> | undefined;

  constructor(
    private readonly tracker: SessionTracker,
    private readonly memento: vscode.Memento,
    private readonly hooks: TreeHooks = {},
  ) {
    this.showNotPresent = vscode.workspace.getConfiguration('hyperframe').get<boolean>('tree.showNotPresent', false);
    this.loader = new TableLoader(() => this.options(), hooks);
    this.disposables.push(
      this.changed,
      tracker.onDidChangeState(() => this.refresh()),
      tracker.onDidChangeSessions(() => this.refresh()),
      tracker.onDidChangeMemory(() => this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('hyperframe.tree')) this.refresh();
      }),
    );
    void vscode.commands.executeCommand('setContext', SHOW_NOT_PRESENT_KEY, this.showNotPresent);
    this.updateState();
  }

  /** Follows what the user expands and selects in `view`, to restore it after the target ran. */
  attach(view: vscode.TreeView<TreeNode>): vscode.Disposable[] {
    this.view = view;
    return [
      view.onDidExpandElement((e) => this.expanded.add(e.element.id)),
      view.onDidCollapseElement((e) => this.expanded.delete(e.element.id)),
      view.onDidChangeSelection((e) => {
        if (e.selection[0]) this.selectedId = e.selection[0].id;
      }),
    ];
  }

  private expandedState(id: string): vscode.TreeItemCollapsibleState {
    return this.expanded.has(id) ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
  }

  /** Selects again the node selected before the target ran, walking its id's path (root key, then entry indices). */
  private async restoreSelection(t: TrackedSession, roots: RootNode[]): Promise<void> {
    const id = this.selectedId;
    const view = this.view;
    if (!id || !view || view.selection.some((n) => n.id === id)) return;
    const root = roots.find((r) => id === r.id || id.startsWith(`${r.id}/`));
    if (!root || t.snapshot.state !== 'stopped') return;
    let node: TableNode = root;
    for (const part of id.slice(root.id.length + 1).split('/').filter(Boolean)) {
      if (!/^\d+$/.test(part)) return;
      const child = await this.childAt(node, Number(part));
      if (!child) return;
      node = child;
    }
    if (this.selectedId === id) await view.reveal(node, { select: true, focus: false, expand: false });
  }

  private options(): TreeOptions {
    const pageSize = vscode.workspace.getConfiguration('hyperframe').get<number>('tree.pageSize', 256);
    return { showNotPresent: this.showNotPresent, pageSize: Math.max(16, pageSize) };
  }

  /** Reads everything again (a stop, a write, a setting); VS Code keeps expansion by node id. */
  refresh(): void {
    this.loader.clear();
    this.roots.clear();
    this.updateState();
    this.changed.fire(undefined);
  }

  setShowNotPresent(show: boolean): void {
    this.showNotPresent = show;
    void vscode.commands.executeCommand('setContext', SHOW_NOT_PRESENT_KEY, show);
    this.refresh();
  }

  showMore(node: InfoNode): void {
    if (!node.parent || node.parent.type === 'session') return;
    this.loader.showMore(node.parent.id);
    this.changed.fire(node.parent);
  }

  private updateState(): void {
    const sessions = this.tracker.all();
    const state = sessions.length === 0 ? 'none' : sessions.some((s) => s.snapshot.state === 'stopped') ? 'stopped' : (sessions[0]?.snapshot.state ?? 'none');
    void vscode.commands.executeCommand('setContext', STATE_KEY, state);
  }

  // ---- pinned roots ----

  pins(): PinnedRoot[] {
    return this.memento.get<PinnedRoot[]>(PINS_KEY, []);
  }

  async setPins(pins: PinnedRoot[]): Promise<void> {
    await this.memento.update(PINS_KEY, pins);
    this.refresh();
  }

  // ---- the tree ----

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.type) {
      case 'session': {
        const item = new vscode.TreeItem(node.session.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('debug');
        item.contextValue = 'session';
        return item;
      }
      case 'root': {
        const item = rootItem(node);
        if (!node.spec.unavailable) item.collapsibleState = this.expandedState(node.id);
        return item;
      }
      case 'entry': {
        const item = entryItem(node, tableOf(node) !== undefined);
        if (item.collapsibleState !== vscode.TreeItemCollapsibleState.None) item.collapsibleState = this.expandedState(node.id);
        return item;
      }
      case 'info':
        return infoItem(node);
    }
  }

  /** The hooks' tooltip text, asked only when an entry is hovered. */
  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode): Promise<vscode.TreeItem> {
    if (node.type !== 'entry' || !this.hooks.tooltip) return item;
    const more = await this.hooks.tooltip(node).catch(() => undefined);
    if (more && item.tooltip instanceof vscode.MarkdownString) item.tooltip.appendMarkdown(`\n\n${more}`);
    return item;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.type === 'session' ? undefined : node.parent;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return this.topLevel();
    if (node.type === 'session') {
      const t = this.tracker.get(node.session.id);
      if (!t || t.snapshot.state !== 'stopped') {
        return [{ type: 'info', id: `${node.id}/state`, session: node.session, parent: node, info: { kind: 'message', text: runStateText(t) } }];
      }
      return this.rootNodes(t, node);
    }
    if (node.type === 'info') return [];
    try {
      return await this.loader.children(node);
    } catch (e) {
      return [{ type: 'info', id: `${node.id}/error`, session: node.session, parent: node, info: { kind: 'message', text: errorText(e), error: true } }];
    }
  }

  private async topLevel(): Promise<TreeNode[]> {
    const sessions = this.tracker.all();
    if (sessions.length === 1) {
      const t = sessions[0];
      // Stale tables are worse than none: the welcome view says why the tree is empty.
      return t.snapshot.state === 'stopped' ? this.rootNodes(t, undefined) : [];
    }
    return sessions.map((t): SessionNode => ({ type: 'session', id: `s:${t.client.id}`, session: t.client }));
  }

  /** One root per vCPU and one per pinned root, resolved once per stop. */
  rootNodes(t: TrackedSession, parent: SessionNode | undefined): Promise<RootNode[]> {
    let p = this.roots.get(t.client.id);
    if (!p) {
      p = this.loadRoots(t, parent);
      this.roots.set(t.client.id, p);
      p.then(
        (roots) => setTimeout(() => void this.restoreSelection(t, roots).catch(() => undefined), 0),
        () => this.roots.delete(t.client.id),
      );
    }
    return p;
  }

  private async loadRoots(t: TrackedSession, parent: SessionNode | undefined): Promise<RootNode[]> {
    const session = t.client;
    const prefix = `s:${session.id}`;
    let roots: RootsResult;
    try {
      roots = await session.request('hyperframe/roots', {});
    } catch (e) {
      const spec: RootSpec = { key: 'error', label: 'The session cannot list its address spaces', mode: 'long4', root: 0n, unavailable: errorText(e) };
      return [{ type: 'root', id: `${prefix}/error`, session, spec, parent }];
    }
    const specs: RootSpec[] = roots.roots.map((r) =>
      r.mode === 'none'
        ? { key: `cpu${r.vcpu}`, label: r.unavailable ? `CPU ${r.vcpu}` : `CPU ${r.vcpu} · CR3 ${r.cr3}`, mode: 'long4', root: 0n, vcpu: r.vcpu, unavailable: r.unavailable ?? 'paging is off (CR0.PG = 0): virtual = physical' }
        : { key: `cpu${r.vcpu}`, label: vcpuRootLabel(r), mode: r.mode, root: BigInt(r.root), vcpu: r.vcpu, tooltip: `CPU ${r.vcpu}: CR3 ${r.cr3}, ${modeName(r.mode)} paging, top table at PA ${r.root}` },
    );
    if (roots.configured) {
      const c = roots.configured;
      specs.push({ key: 'configured', label: `Configured root · ${modeName(c.mode)}`, description: `PA ${c.root} (launch configuration)`, mode: c.mode, root: BigInt(c.root) });
    }
    const focus = t.snapshot.stoppedVcpu;
    for (const pin of this.pins()) specs.push(await resolvePinned(pin, session, focus));
    return specs.map((spec): RootNode => ({ type: 'root', id: `${prefix}/${spec.key}`, session, spec, parent }));
  }

  /** The root of a session by key (for reveal), loading roots if needed. */
  async rootByKey(t: TrackedSession, key: string): Promise<RootNode | undefined> {
    const parent = this.tracker.all().length > 1 ? ({ type: 'session', id: `s:${t.client.id}`, session: t.client } satisfies SessionNode) : undefined;
    return (await this.rootNodes(t, parent)).find((r) => r.spec.key === key);
  }

  /** The child of `node` holding entry `index`, listing it first when "Show more…" hid it. */
  async childAt(node: TableNode, index: number): Promise<EntryNode | undefined> {
    await this.loader.ensureListed(node, index);
    const kids = await this.loader.children(node);
    return kids.find((k): k is EntryNode => k.type === 'entry' && k.entry.index === index);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function runStateText(t: TrackedSession | undefined): string {
  if (!t || t.snapshot.state === 'ended') return 'the session has ended';
  if (t.snapshot.state === 'running') return 'running — pause to see its tables';
  return 'starting…';
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function rootItem(node: RootNode): vscode.TreeItem {
  const s = node.spec;
  const item = new vscode.TreeItem(s.label, s.unavailable ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed);
  item.id = node.id;
  item.description = s.unavailable ? s.unavailable : s.description;
  item.tooltip = new vscode.MarkdownString(s.unavailable ? `${s.label}\n\n${s.unavailable}` : (s.tooltip ?? s.label));
  item.iconPath = new vscode.ThemeIcon(s.unavailable ? 'warning' : s.pinned ? 'pinned' : 'circuit-board');
  item.contextValue = s.unavailable ? (s.pinned ? 'root.pinned.unavailable' : 'root.unavailable') : s.pinned ? 'root.pinned' : 'root';
  return item;
}

function entryItem(node: EntryNode, expandable: boolean): vscode.TreeItem {
  const e = node.entry;
  const item = new vscode.TreeItem(entryLabel(node.mode, e, node.coverage), expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.description = node.note ? `${entryDescription(e)} · ${node.note}` : entryDescription(e);
  const tip = new vscode.MarkdownString(entryTooltip(node.mode, e, node.coverage));
  tip.supportThemeIcons = false;
  item.tooltip = tip;
  const icon = entryIcon(e);
  item.iconPath = ICONS[icon];
  item.contextValue = `entry.${icon}`;
  item.accessibilityInformation = { label: `${item.label as string}, ${item.description}` };
  return item;
}

function infoItem(node: InfoNode): vscode.TreeItem {
  const i = node.info;
  switch (i.kind) {
    case 'emptyRun': {
      const item = new vscode.TreeItem(emptyRunLabel(i.first, i.last));
      item.id = node.id;
      item.iconPath = ICONS['not-present'];
      item.contextValue = 'emptyRun';
      return item;
    }
    case 'more': {
      const item = new vscode.TreeItem(`Show ${Math.min(i.total - i.shown, i.step)} more… (${i.shown} of ${i.total} shown)`);
      item.id = node.id;
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.command = { command: 'hyperframe.tree.showMore', title: 'Show more', arguments: [node] };
      item.contextValue = 'more';
      return item;
    }
    case 'hidden': {
      const item = new vscode.TreeItem(`${i.count} not-present ${i.count === 1 ? 'entry' : 'entries'} with software values hidden`);
      item.id = node.id;
      item.iconPath = new vscode.ThemeIcon('eye-closed');
      item.command = { command: 'hyperframe.tree.showNotPresent', title: 'Show not-present entries' };
      item.contextValue = 'hidden';
      return item;
    }
    case 'message': {
      const item = new vscode.TreeItem(i.text);
      item.id = node.id;
      item.iconPath = new vscode.ThemeIcon(i.error ? 'error' : 'info');
      item.tooltip = i.text;
      item.contextValue = 'message';
      return item;
    }
  }
}
