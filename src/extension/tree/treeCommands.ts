import * as vscode from 'vscode';
import { entryName, sizeText } from '../../paging/format';
import type { PagingMode } from '../../paging/modes';
import { type PagingModeName } from '../../shared/dapRequests';
import { showAddressSpace } from '../documents/addressSpace';
import type { ReadOnlyDocuments } from '../documents/readOnlyDocuments';
import { translateText } from '../documents/translateText';
import type { SessionTracker, TrackedSession } from '../session/sessionTracker';
import { modeName } from './entryText';
import { type EntryNode, type InfoNode, type RootNode, rootOf, type TableNode, type TreeNode } from './pageTableNodes';
import { errorText, type PageTableTree } from './pageTableTree';
import { PIN_KINDS, pinProblem, type PinnedRoot } from './pinnedRoots';

const MODES: PagingModeName[] = ['long4', 'long5', 'pae', 'legacy32', 'ept'];

/** The Page Tables view's commands: in its title bar, its context menus and the Command Palette. */
export function registerTreeCommands(tree: PageTableTree, view: vscode.TreeView<TreeNode>, tracker: SessionTracker, docs: ReadOnlyDocuments): vscode.Disposable[] {
  const hex = (v: bigint): string => `0x${v.toString(16)}`;

  /** The stopped session a command acts on, or a message saying why there is none. */
  const stoppedSession = (node?: TreeNode): TrackedSession | undefined => {
    const t = node ? tracker.get(node.session.id) : tracker.active();
    if (!t) {
      void vscode.window.showWarningMessage('HyperFrame: no HyperFrame debug session. Start one (Run and Debug) to read page tables.');
      return undefined;
    }
    if (t.snapshot.state !== 'stopped') {
      void vscode.window.showWarningMessage(`HyperFrame: ${t.client.name} is ${t.snapshot.state}: pause it first.`);
      return undefined;
    }
    return t;
  };

  /** The root a command means: the node's, else one picked among the session's (the stopped vCPU's first). */
  const pickRoot = async (t: TrackedSession, node?: TreeNode): Promise<RootNode | undefined> => {
    if (node && node.type !== 'session' && node.type !== 'info') return rootOf(node);
    if (node?.type === 'info' && node.parent && node.parent.type !== 'session') return rootOf(node.parent);
    const roots = (await tree.rootNodes(t, undefined)).filter((r) => !r.spec.unavailable);
    if (roots.length === 0) {
      void vscode.window.showWarningMessage('HyperFrame: no address space to use (paging is off on every vCPU, and no root is pinned).');
      return undefined;
    }
    const focus = t.snapshot.stoppedVcpu;
    roots.sort((a, b) => Number(b.spec.vcpu === focus) - Number(a.spec.vcpu === focus));
    if (roots.length === 1) return roots[0];
    const pick = await vscode.window.showQuickPick(
      roots.map((r) => ({ label: r.spec.label, description: r.spec.description, root: r })),
      { placeHolder: 'Which address space?' },
    );
    return pick?.root;
  };

  /** Asks for an address (numbers, symbols, registers, arithmetic) and resolves it in the session. */
  const askAddress = async (t: TrackedSession, prompt: string, vcpu?: number): Promise<bigint | undefined> => {
    const text = await vscode.window.showInputBox({ prompt, placeHolder: '0xffff888000000000, a symbol such as init_top_pgt, $rip, $cr2 & ~0xfff' });
    if (!text?.trim()) return undefined;
    try {
      return BigInt((await t.client.request('hyperframe/resolve', { expression: text, ...(vcpu !== undefined ? { vcpu } : {}) })).value);
    } catch (e) {
      void vscode.window.showErrorMessage(`HyperFrame: ${errorText(e)}`);
      return undefined;
    }
  };

  const spaceArgs = (r: RootNode) => (r.spec.vcpu !== undefined && r.spec.key.startsWith('cpu') ? { vcpu: r.spec.vcpu } : { mode: r.spec.mode, root: hex(r.spec.root) });

  /** Reveals the path of `va` in the tree under `root`, as deep as the walk goes; says where it ends. */
  const revealVa = async (t: TrackedSession, root: RootNode, va: bigint): Promise<void> => {
    const tr = await t.client.request('hyperframe/translate', { va: hex(va), ...spaceArgs(root) });
    let node: TableNode = root;
    let reached = 0;
    for (const step of tr.steps) {
      const child: EntryNode | undefined = await tree.childAt(node, step.index);
      if (!child) break;
      node = child;
      reached++;
      if (step.entry.kind !== 'table' || child.entry.selfMap) break;
    }
    await view.reveal(node, { select: true, focus: true, expand: false });
    const last = tr.steps.at(-1);
    if (tr.pa !== undefined) {
      void vscode.window.setStatusBarMessage(`HyperFrame: ${tr.va} → PA ${tr.pa} (${sizeText(BigInt(tr.pageSize ?? 4096))} page, ${tr.flags})`, 8000);
    } else {
      const where = last ? `${entryName(tr.mode as PagingMode, last.level)} [${last.index}]` : 'the root';
      const hidden = reached < tr.steps.length ? ' (that entry is not present: show not-present entries to see it)' : '';
      void vscode.window.showInformationMessage(`HyperFrame: ${tr.va} does not translate: the walk stops at ${where}: ${tr.fault?.message ?? 'no page'}${hidden}`);
    }
  };

  const copy = async (text: string, what: string): Promise<void> => {
    await vscode.env.clipboard.writeText(text);
    void vscode.window.setStatusBarMessage(`HyperFrame: copied ${what} ${text}`, 4000);
  };

  const guarded =
    <A extends unknown[]>(fn: (...args: A) => Promise<void> | void) =>
    async (...args: A): Promise<void> => {
      try {
        await fn(...args);
      } catch (e) {
        void vscode.window.showErrorMessage(`HyperFrame: ${errorText(e)}`);
      }
    };

  return [
    vscode.commands.registerCommand('hyperframe.tree.refresh', () => tree.refresh()),
    vscode.commands.registerCommand('hyperframe.tree.showNotPresent', () => tree.setShowNotPresent(true)),
    vscode.commands.registerCommand('hyperframe.tree.hideNotPresent', () => tree.setShowNotPresent(false)),
    vscode.commands.registerCommand('hyperframe.tree.showMore', (node: InfoNode) => tree.showMore(node)),

    vscode.commands.registerCommand(
      'hyperframe.addRoot',
      guarded(async () => {
        const kind = await vscode.window.showQuickPick(
          PIN_KINDS.map((k) => ({ label: k.label, detail: k.detail, pin: k.kind })),
          { placeHolder: 'Add Page Table Root: what do you know of the table?' },
        );
        if (!kind) return;
        const text = await vscode.window.showInputBox({ prompt: `${kind.label} of the top-level table`, placeHolder: kind.pin === 'symbol' ? 'idle_pg_table' : '0x36722000' });
        if (!text?.trim()) return;
        const active = tracker.active();
        const defaultMode = (await active?.client.request('hyperframe/roots', {}).catch(() => undefined))?.roots.find((r) => r.mode !== 'none')?.mode;
        const modes = defaultMode && defaultMode !== 'none' ? [defaultMode, ...MODES.filter((m) => m !== defaultMode)] : MODES;
        const mode = await vscode.window.showQuickPick(
          modes.map((m) => ({ label: modeName(m), description: m, mode: m })),
          { placeHolder: 'Paging mode of the table' },
        );
        if (!mode) return;
        const pins = tree.pins();
        const name = await vscode.window.showInputBox({
          prompt: 'A name for this root',
          value: kind.pin === 'symbol' ? text.trim() : `${kind.pin.toUpperCase()} ${text.trim()}`,
          validateInput: (v) => pinProblem({ name: v, text, mode: mode.mode, kind: kind.pin }, pins),
        });
        if (!name) return;
        const pin: PinnedRoot = { name: name.trim(), mode: mode.mode, kind: kind.pin, text: text.trim() };
        await tree.setPins([...pins, pin]);
      }),
    ),
    vscode.commands.registerCommand(
      'hyperframe.tree.removeRoot',
      guarded(async (node: RootNode) => {
        await tree.setPins(tree.pins().filter((p) => `pin:${p.name}` !== node.spec.key));
      }),
    ),

    vscode.commands.registerCommand(
      'hyperframe.goToVirtualAddress',
      guarded(async (node?: TreeNode) => {
        const t = stoppedSession(node);
        if (!t) return;
        const root = await pickRoot(t, node);
        if (!root) return;
        const va = await askAddress(t, `Go to Virtual Address in ${root.spec.label}`, root.spec.vcpu);
        if (va !== undefined) await revealVa(t, root, va);
      }),
    ),
    vscode.commands.registerCommand(
      'hyperframe.revealVa',
      guarded(async (arg: { sessionId: string; key: string; va: string }) => {
        const t = tracker.get(arg.sessionId);
        if (!t || t.snapshot.state !== 'stopped') throw new Error('that session is no longer stopped: the document shows an earlier stop');
        const root = await tree.rootByKey(t, arg.key);
        if (!root) throw new Error(`the address space '${arg.key}' is gone from the tree`);
        await revealVa(t, root, BigInt(arg.va));
      }),
    ),

    vscode.commands.registerCommand(
      'hyperframe.tree.openFrame',
      guarded(async (node: RootNode | EntryNode) => {
        if (node.type === 'root') {
          const top = node.spec.mode === 'pae' ? 3 : node.spec.mode === 'legacy32' ? 2 : node.spec.mode === 'long5' ? 5 : 4;
          // A PAE PDPT is 32 bytes inside its frame: its own address, which the editor reads it at.
          await vscode.commands.executeCommand('hyperframe.openFrame', {
            sessionId: node.session.id,
            pa: hex(node.spec.mode === 'pae' ? node.spec.root : node.spec.root & ~0xfffn),
            mode: node.spec.mode,
            level: top,
            label: node.spec.label,
          });
          return;
        }
        const e = node.entry;
        const isTable = e.kind === 'table' && e.level > 1;
        await vscode.commands.executeCommand('hyperframe.openFrame', {
          sessionId: node.session.id,
          pa: hex(BigInt(e.address) & ~0xfffn),
          ...(isTable ? { mode: node.mode, level: e.level - 1, baseVa: e.va } : {}),
          label: `${node.root.spec.label} · ${isTable ? `table of ${entryName(node.mode as PagingMode, e.level)} [${e.index}]` : `page of ${entryName(node.mode as PagingMode, e.level)} [${e.index}]`}`,
        });
      }),
    ),
    vscode.commands.registerCommand('hyperframe.tree.copyEntry', (node: EntryNode) => copy(node.entry.raw, 'entry')),
    vscode.commands.registerCommand('hyperframe.tree.copyPa', (node: RootNode | EntryNode) => copy(node.type === 'root' ? hex(node.spec.root) : node.entry.address, 'PA')),
    vscode.commands.registerCommand('hyperframe.tree.copyVa', (node: EntryNode) => copy(node.entry.va, 'VA')),

    vscode.commands.registerCommand(
      'hyperframe.translate',
      guarded(async (node?: TreeNode) => {
        const t = stoppedSession(node);
        if (!t) return;
        const root = await pickRoot(t, node);
        if (!root) return;
        const va = node?.type === 'entry' ? BigInt(node.entry.va) : await askAddress(t, `Translate a virtual address through ${root.spec.label}`, root.spec.vcpu);
        if (va === undefined) return;
        const tr = await t.client.request('hyperframe/translate', { va: hex(va), ...spaceArgs(root) });
        const title = `Translate ${tr.va} · ${root.spec.label}`;
        await docs.show(docs.uri(`${title}.txt`), `${translateText(title, tr).join('\n')}\n`);
      }),
    ),
    vscode.commands.registerCommand(
      'hyperframe.showAddressSpace',
      guarded(async (node?: TreeNode) => {
        const t = stoppedSession(node);
        if (!t) return;
        const root = await pickRoot(t, node);
        if (!root) return;
        await showAddressSpace(docs, { session: t, key: root.spec.key, title: `Address space · ${root.spec.label}`, args: spaceArgs(root) });
      }),
    ),
  ];
}
