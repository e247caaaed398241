import * as vscode from 'vscode';
import type { XenP2mResult } from '../../shared/xenRequests';
import { checkItem, e820Item, type ItemText, p2mRunItem, p2mSummaryItem, sharedPageItem } from '../../xenText/viewText';
import type { SessionTracker, TrackedSession } from '../session/sessionTracker';

export const P2M_VIEW = 'hyperframe.p2m';

type Group = 'runs' | 'e820' | 'shared';
type P2mNode = { type: 'line'; text: ItemText; icon: string } | { type: 'group'; group: Group; result: XenP2mResult };

const GROUP_LABEL: Record<Group, string> = { runs: 'Runs', e820: "The guest's E820", shared: 'Shared placeholder pages' };

/**
 * The P2M view: a PV guest's pfn → mfn map as runs (mapped with their MFN ranges, identity,
 * missing) beside its E820, and the shared p2m_identity / p2m_missing pages — the guest on the
 * vCPU in focus (hyperframe/xen/p2m). Read when the view is shown, once per stop; Check asks the
 * adapter to compare every mapped pfn with the M2P.
 */
export class P2mView implements vscode.TreeDataProvider<P2mNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<P2mNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subs: vscode.Disposable[];
  private cached: { session: string; stop: number; check: boolean; result: Promise<XenP2mResult> } | undefined;
  private wantCheck = false;

  constructor(private readonly tracker: SessionTracker) {
    this.subs = [this.changed, tracker.onDidChangeState(() => this.changed.fire(undefined))];
  }

  check(): void {
    this.wantCheck = true;
    this.changed.fire(undefined);
  }

  private result(t: TrackedSession): Promise<XenP2mResult> {
    const c = this.cached;
    if (c && c.session === t.client.id && c.stop === t.snapshot.stopCount && (c.check || !this.wantCheck)) return c.result;
    const result = t.client.request('hyperframe/xen/p2m', { check: this.wantCheck });
    this.cached = { session: t.client.id, stop: t.snapshot.stopCount, check: this.wantCheck, result };
    return result;
  }

  getTreeItem(n: P2mNode): vscode.TreeItem {
    if (n.type === 'group') {
      const count = n.group === 'runs' ? n.result.runs.length : n.group === 'e820' ? (n.result.e820?.length ?? 0) : n.result.sharedPages.length;
      const i = new vscode.TreeItem(GROUP_LABEL[n.group], n.group === 'runs' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      i.description = String(count);
      return i;
    }
    const i = new vscode.TreeItem(n.text.label);
    i.description = n.text.description;
    i.tooltip = n.text.tooltip;
    i.iconPath = new vscode.ThemeIcon(n.icon);
    return i;
  }

  async getChildren(n?: P2mNode): Promise<P2mNode[]> {
    if (n?.type === 'group') {
      const r = n.result;
      if (n.group === 'runs') return r.runs.map((run) => ({ type: 'line', text: p2mRunItem(run), icon: run.kind === 'mfn' ? 'symbol-numeric' : run.kind === 'identity' ? 'arrow-both' : run.kind === 'foreign' ? 'link-external' : 'circle-slash' }));
      if (n.group === 'e820') return (r.e820 ?? []).map((e) => ({ type: 'line', text: e820Item(e), icon: e.type === 'usable' ? 'pass' : 'lock' }));
      return r.sharedPages.map((s) => ({ type: 'line', text: sharedPageItem(s), icon: 'files' }));
    }
    if (n) return [];
    const t = this.tracker.active();
    if (!t || t.snapshot.state !== 'stopped') return [];
    try {
      const r = await this.result(t);
      const check = checkItem(r);
      return [
        { type: 'line', text: p2mSummaryItem(r), icon: 'map' },
        ...(check ? [{ type: 'line' as const, text: check, icon: r.check?.mismatches.length ? 'error' : 'check' }] : []),
        { type: 'group', group: 'runs', result: r },
        ...(r.e820 ? [{ type: 'group' as const, group: 'e820' as const, result: r }] : []),
        ...(r.sharedPages.length ? [{ type: 'group' as const, group: 'shared' as const, result: r }] : []),
      ];
    } catch (e) {
      return [{ type: 'line', text: { label: e instanceof Error ? e.message : String(e) }, icon: 'error' }];
    }
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
