/**
 * The page-table tree's nodes and how their children load: one `hyperframe/pageTable` request per
 * table, kept until the next stop. No `vscode` here: the provider (pageTableTree.ts) renders nodes
 * and VS Code decides when to ask. Node ids are stable across stops (session, root, index path), so
 * that VS Code keeps what was expanded and selected when the tree refreshes.
 */
import { maxEntryLevel } from '../../paging/entry';
import type { PagingMode } from '../../paging/modes';
import type { ArgsOf, PageTableResult, PagingModeName, RequestName, ResultOf, TableEntry } from '../../shared/dapRequests';
import { tableChildren } from './entryText';

/** What the nodes need of a session: its typed requests. */
export interface TreeSession {
  readonly id: string;
  readonly name: string;
  request<K extends RequestName>(command: K, args: ArgsOf<K>): Promise<ResultOf<K>>;
}

/** An address space the tree shows: a vCPU's (from its CR3) or one the user pinned. */
export interface RootSpec {
  /** Unique within the session: `cpu0`, `pin:idle_pg_table`. */
  key: string;
  label: string;
  description?: string;
  tooltip?: string;
  mode: PagingModeName;
  /** Physical address of the top table. */
  root: bigint;
  vcpu?: number;
  pinned?: boolean;
  /** Why this root has no tables to show (paging off, a pinned root that did not resolve). */
  unavailable?: string;
}

interface Base {
  id: string;
  session: TreeSession;
}

export interface SessionNode extends Base {
  type: 'session';
}

export interface RootNode extends Base {
  type: 'root';
  spec: RootSpec;
  parent?: SessionNode;
}

export interface EntryNode extends Base {
  type: 'entry';
  root: RootNode;
  parent: RootNode | EntryNode;
  mode: PagingModeName;
  entry: TableEntry;
  /** Bytes of VA the entry covers. */
  coverage: bigint;
  /** Words a hook adds after the badges (Xen's region on a reserved slot, the pfn of the frame). */
  note?: string;
}

/**
 * What other views add to the tree without knowing its internals: words beside a table's entries
 * (asked once per table load) and more tooltip text for one entry (asked when it is hovered).
 */
export interface TreeHooks {
  annotate?(root: RootNode, table: PageTableResult): Promise<Map<number, string> | undefined>;
  tooltip?(node: EntryNode): Promise<string | undefined>;
}

/** A line that is not an entry: a folded run of empty entries, "show more", "n hidden", a message. */
export interface InfoNode extends Base {
  type: 'info';
  parent: TableNode | SessionNode | undefined;
  info: { kind: 'emptyRun'; first: number; last: number } | { kind: 'more'; shown: number; total: number; step: number } | { kind: 'hidden'; count: number } | { kind: 'message'; text: string; error?: boolean };
}

export type TableNode = RootNode | EntryNode;
export type TreeNode = SessionNode | RootNode | EntryNode | InfoNode;

export interface TreeOptions {
  showNotPresent: boolean;
  /** Children listed per table before "Show more…". */
  pageSize: number;
}

/** The table a node's children live in: the root's top table, or the next table an entry points at. */
export function tableOf(node: TableNode): { mode: PagingModeName; table: bigint; level: number; baseVa: bigint } | undefined {
  if (node.type === 'root') {
    if (node.spec.unavailable) return undefined;
    return { mode: node.spec.mode, table: node.spec.root, level: maxEntryLevel(node.spec.mode as PagingMode), baseVa: 0n };
  }
  const e = node.entry;
  if (e.kind !== 'table' || e.selfMap || e.level <= 1) return undefined;
  return { mode: node.mode, table: BigInt(e.address), level: e.level - 1, baseVa: BigInt(e.va) };
}

export function rootOf(node: TableNode): RootNode {
  return node.type === 'root' ? node : node.root;
}

/** Loads and keeps the children of tables, one request per table, until `clear()` (a stop). */
export class TableLoader {
  private readonly tables = new Map<string, Promise<PageTableResult>>();
  /** How many children each table shows (grows with "Show more…"); kept across stops. */
  private readonly limits = new Map<string, number>();

  constructor(
    private readonly options: () => TreeOptions,
    private readonly hooks: TreeHooks = {},
  ) {}

  clear(): void {
    this.tables.clear();
  }

  /** Shows `pageSize` more children of the table behind `id`. */
  showMore(id: string): void {
    this.limits.set(id, (this.limits.get(id) ?? this.options().pageSize) + this.options().pageSize);
  }

  /** Makes sure the child with entry `index` of `node` is listed (for reveal). */
  async ensureListed(node: TableNode, index: number): Promise<void> {
    const t = await this.table(node);
    if (!t) return;
    const pos = t.entries.findIndex((e) => e.index === index);
    const limit = this.limits.get(node.id) ?? this.options().pageSize;
    if (pos >= limit) this.limits.set(node.id, Math.ceil((pos + 1) / this.options().pageSize) * this.options().pageSize);
  }

  table(node: TableNode): Promise<PageTableResult> | undefined {
    const where = tableOf(node);
    if (!where) return undefined;
    const { showNotPresent } = this.options();
    const key = `${node.id}|${showNotPresent}`;
    let p = this.tables.get(key);
    if (!p) {
      const root = rootOf(node).spec.root;
      p = node.session.request('hyperframe/pageTable', {
        mode: where.mode,
        table: `0x${where.table.toString(16)}`,
        level: where.level,
        baseVa: `0x${where.baseVa.toString(16)}`,
        root: `0x${root.toString(16)}`,
        all: showNotPresent,
      });
      this.tables.set(key, p);
      p.catch(() => this.tables.delete(key)); // a failed read is tried again next time
    }
    return p;
  }

  async children(node: TableNode): Promise<TreeNode[]> {
    const t = await this.table(node);
    if (!t) return [];
    const { showNotPresent, pageSize } = this.options();
    const coverage = BigInt(t.coverage);
    const root = rootOf(node);
    const kids = tableChildren(t.entries, { showNotPresent, limit: this.limits.get(node.id) ?? pageSize, count: t.count });
    // A hook that fails adds nothing: the tables matter more than the words beside them.
    const notes = await this.hooks.annotate?.(root, t).catch(() => undefined);
    return kids.map((k): TreeNode => {
      if (k.kind === 'entry') {
        const note = notes?.get(k.entry.index);
        return { type: 'entry', id: `${node.id}/${k.entry.index}`, session: node.session, root, parent: node, mode: t.mode, entry: k.entry, coverage, ...(note ? { note } : {}) };
      }
      const id = k.kind === 'emptyRun' ? `${node.id}/empty-${k.first}` : `${node.id}/${k.kind}`;
      return { type: 'info', id, session: node.session, parent: node, info: k.kind === 'more' ? { ...k, step: pageSize } : k };
    });
  }
}
