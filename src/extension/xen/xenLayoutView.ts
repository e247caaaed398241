import * as vscode from 'vscode';
import { layoutFor, type XenArch, type XenLayout, type XenRegion } from '../../xen';
import { regionItem } from '../../xenText/viewText';
import type { SessionTracker } from '../session/sessionTracker';
import type { XenSessionCache } from './xenSessionCache';

export const XEN_LAYOUT_VIEW = 'hyperframe.xenLayout';

type LayoutNode = { type: 'title'; layout: XenLayout; from: string } | { type: 'region'; layout: XenLayout; region: XenRegion };

/** The layouts the view can show without a session (Choose Layout…). */
export const LAYOUT_CHOICES: { label: string; xen: string; arch: XenArch }[] = [
  { label: 'Xen 4.14 and later, x86_64', xen: '4.17', arch: 'x86_64' },
  { label: 'Xen 4.4-4.13, x86_64', xen: '4.13', arch: 'x86_64' },
  { label: 'Xen 3.x-4.2, x86_32 PAE', xen: '3.0', arch: 'x86_32-pae' },
  { label: 'Xen 3.x, x86_32 without PAE', xen: '3.0', arch: 'x86_32' },
  { label: 'A 32-bit PV guest of a 64-bit Xen', xen: '4.17', arch: 'x86_64-compat' },
];

/**
 * The Xen Layout view: Xen's virtual address space, region by region — the running build's when
 * the session debugs a Xen, else the one chosen (Xen 4.17 x86_64 by default).
 */
export class XenLayoutView implements vscode.TreeDataProvider<LayoutNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<LayoutNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subs: vscode.Disposable[];
  private chosen: { label: string; xen: string; arch: XenArch } | undefined;

  constructor(
    private readonly tracker: SessionTracker,
    private readonly cache: XenSessionCache,
  ) {
    this.subs = [this.changed, tracker.onDidChangeState(() => this.changed.fire(undefined))];
  }

  choose(c: (typeof LAYOUT_CHOICES)[number] | undefined): void {
    this.chosen = c;
    this.changed.fire(undefined);
  }

  getTreeItem(n: LayoutNode): vscode.TreeItem {
    if (n.type === 'title') {
      const i = new vscode.TreeItem(n.layout.name);
      i.description = n.from;
      i.iconPath = new vscode.ThemeIcon('layers');
      return i;
    }
    const t = regionItem(n.region, n.layout);
    const i = new vscode.TreeItem(t.label);
    i.description = t.description;
    i.tooltip = t.tooltip;
    i.iconPath = new vscode.ThemeIcon(n.region.kind === 'guest' ? 'account' : n.region.kind === 'reserved' || n.region.kind === 'non-canonical' ? 'circle-slash' : 'symbol-structure');
    return i;
  }

  async getChildren(n?: LayoutNode): Promise<LayoutNode[]> {
    if (n) return [];
    const { layout, from } = await this.current();
    return [{ type: 'title', layout, from }, ...layout.regions.map((region): LayoutNode => ({ type: 'region', layout, region }))];
  }

  private async current(): Promise<{ layout: XenLayout; from: string }> {
    if (this.chosen) return { layout: layoutFor({ xen: this.chosen.xen, arch: this.chosen.arch }), from: 'chosen' };
    const t = this.tracker.active();
    if (t && (await this.cache.isXen(t))) return { layout: await this.cache.layout(t), from: (await this.cache.domains(t)).build.name };
    return { layout: layoutFor(), from: 'no Xen session: the layout of Xen 4.17' };
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
