import * as vscode from 'vscode';
import type { XenDomainInfo, XenDomainsResult, XenVcpuInfo } from '../../shared/xenRequests';
import { buildItem, domainItem, IDLE_ROOT_ITEM, type ItemText, vcpuItem, vcpuRootName } from '../../xenText/viewText';
import type { SessionTracker, TrackedSession } from '../session/sessionTracker';
import type { XenSessionCache } from './xenSessionCache';

export const XEN_DOMAINS_VIEW = 'hyperframe.xenDomains';

/** What an item of the view stands for. */
export type DomainsNode =
  | { type: 'build'; session: string; result: XenDomainsResult }
  | { type: 'idle'; session: string }
  | { type: 'domain'; session: string; domain: XenDomainInfo }
  | { type: 'vcpu'; session: string; domain: XenDomainInfo; vcpu: XenVcpuInfo }
  | { type: 'message'; text: string; error?: boolean };

/** What "Open in Page Tables" pins: a root by MFN or by symbol. */
export interface OpenRootArgs {
  sessionId: string;
  name: string;
  kind: 'mfn' | 'symbol';
  text: string;
}

function item(t: ItemText, state = vscode.TreeItemCollapsibleState.None): vscode.TreeItem {
  const i = new vscode.TreeItem(t.label, state);
  i.description = t.description;
  i.tooltip = t.tooltip;
  return i;
}

/**
 * The Xen Domains view: the build, Xen's own tables, and each domain on domain_list with its
 * vCPUs and their page-table roots (hyperframe/xen/domains, once per stop). A vCPU's root and
 * idle_pg_table open in the Page Tables view.
 */
export class XenDomainsView implements vscode.TreeDataProvider<DomainsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DomainsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly tracker: SessionTracker,
    private readonly cache: XenSessionCache,
  ) {
    this.subs = [this.changed, tracker.onDidChangeState(() => this.changed.fire(undefined)), tracker.onDidChangeSessions(() => this.changed.fire(undefined))];
  }

  getTreeItem(n: DomainsNode): vscode.TreeItem {
    switch (n.type) {
      case 'build': {
        const i = item(buildItem(n.result));
        i.iconPath = new vscode.ThemeIcon('server-environment');
        return i;
      }
      case 'idle': {
        const i = item(IDLE_ROOT_ITEM);
        i.iconPath = new vscode.ThemeIcon('list-tree');
        i.contextValue = 'xenRoot';
        i.command = { command: 'hyperframe.xen.openRoot', title: 'Open in Page Tables', arguments: [n] };
        return i;
      }
      case 'domain': {
        const i = item(domainItem(n.domain), vscode.TreeItemCollapsibleState.Expanded);
        i.id = `${n.session}/d${n.domain.id}`;
        i.iconPath = new vscode.ThemeIcon(n.domain.type === 'hvm' ? 'vm' : 'vm-outline');
        i.contextValue = `xenDomain.${n.domain.type}`;
        return i;
      }
      case 'vcpu': {
        const i = item(vcpuItem(n.domain, n.vcpu));
        i.id = `${n.session}/d${n.domain.id}/v${n.vcpu.id}`;
        i.iconPath = new vscode.ThemeIcon(n.vcpu.running ? 'debug-start' : 'debug-pause');
        const openable = n.domain.type === 'pv' && BigInt(n.vcpu.guestTable) !== 0n;
        i.contextValue = openable ? 'xenRoot' : 'xenVcpu';
        if (openable) i.command = { command: 'hyperframe.xen.openRoot', title: 'Open in Page Tables', arguments: [n] };
        return i;
      }
      case 'message': {
        const i = new vscode.TreeItem(n.text);
        i.iconPath = new vscode.ThemeIcon(n.error ? 'error' : 'info');
        i.tooltip = n.text;
        return i;
      }
    }
  }

  async getChildren(n?: DomainsNode): Promise<DomainsNode[]> {
    if (n?.type === 'domain') return n.domain.vcpus.map((vcpu) => ({ type: 'vcpu', session: n.session, domain: n.domain, vcpu }));
    if (n) return [];
    const t = this.tracker.active();
    if (!t || t.snapshot.state !== 'stopped') return [];
    return this.top(t);
  }

  private async top(t: TrackedSession): Promise<DomainsNode[]> {
    try {
      const r = await this.cache.domains(t);
      const session = t.client.id;
      return [{ type: 'build', session, result: r }, { type: 'idle', session }, ...r.domains.map((domain): DomainsNode => ({ type: 'domain', session, domain }))];
    } catch (e) {
      return [{ type: 'message', text: e instanceof Error ? e.message : String(e), error: true }];
    }
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}

/** The pin that opens a node's tables in the Page Tables view. */
export function openRootArgs(n: DomainsNode): OpenRootArgs | undefined {
  if (n.type === 'idle') return { sessionId: n.session, name: 'idle_pg_table', kind: 'symbol', text: 'idle_pg_table' };
  if (n.type === 'vcpu') return { sessionId: n.session, name: vcpuRootName(n.domain, n.vcpu), kind: 'mfn', text: n.vcpu.guestTable };
  return undefined;
}
