/**
 * Which sessions debug a Xen the adapter can read, and its domains, asked once per stop. No
 * `vscode`: the views and the tree hooks share one cache, and tests give it a fake session.
 */
import type { ArgsOf, PagingModeName, RequestName, ResultOf, TableEntry } from '../../shared/dapRequests';
import type { XenDomainsResult, XenFrameInfoResult } from '../../shared/xenRequests';
import { layoutFor, type XenLayout } from '../../xen';
import { xenEntryNotes } from './xenTreeHooks';

/** What the cache needs of a tracked session. */
export interface XenTracked {
  client: { id: string; request<K extends RequestName>(command: K, args: ArgsOf<K>): Promise<ResultOf<K>> };
  snapshot: { stopCount: number; state: string };
}

interface Entry {
  stop: number;
  domains: Promise<XenDomainsResult>;
}

export class XenSessionCache {
  private readonly entries = new Map<string, Entry>();

  /** The domains at this stop; rejects when the session is not a Xen one the adapter can read (no xen-syms, unknown build). */
  domains(t: XenTracked): Promise<XenDomainsResult> {
    const hit = this.entries.get(t.client.id);
    if (hit && hit.stop === t.snapshot.stopCount) return hit.domains;
    const domains = t.client.request('hyperframe/xen/domains', {});
    domains.catch(() => undefined);
    this.entries.set(t.client.id, { stop: t.snapshot.stopCount, domains });
    return domains;
  }

  /** True when the session's target is a Xen HyperFrame reads (stopped now). */
  async isXen(t: XenTracked): Promise<boolean> {
    if (t.snapshot.state !== 'stopped') return false;
    return this.domains(t).then(
      () => true,
      () => false,
    );
  }

  /** The running build's virtual layout, as a PV guest's tables see it. */
  async layout(t: XenTracked): Promise<XenLayout> {
    const d = await this.domains(t);
    return layoutFor({ xen: d.build.version, context: 'pv' });
  }

  /** A frame's page_info, when the session debugs a Xen (undefined otherwise). */
  async frameInfo(t: XenTracked, mfn: bigint): Promise<XenFrameInfoResult | undefined> {
    if (!(await this.isXen(t))) return undefined;
    return t.client.request('hyperframe/xen/frameInfo', { mfn: `0x${mfn.toString(16)}` });
  }

  /** The Xen words beside a table's entries (xenTreeHooks.ts), when the session debugs a Xen. */
  async entryNotes(t: XenTracked, table: { mode: PagingModeName; level: number; entries: readonly TableEntry[] }): Promise<Map<number, string> | undefined> {
    if (!(await this.isXen(t))) return undefined;
    return xenEntryNotes(this, t, table);
  }

  forget(sessionId: string): void {
    this.entries.delete(sessionId);
  }
}
