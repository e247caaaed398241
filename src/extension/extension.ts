import * as vscode from 'vscode';
import { decodeEntry } from '../paging/entry';
import { describeEntry, entryName } from '../paging/format';
import { geometry, PAGING_MODES, type PagingMode } from '../paging/modes';
import { isHyperFrameError } from '../util/errors';
import { AddressSpaceLinks, SPACE_LANGUAGE } from './documents/addressSpace';
import { ReadOnlyDocuments, VIEW_SCHEME } from './documents/readOnlyDocuments';
import { HyperFrameConfigurations, openVariableFrame } from './debug/debugConfiguration';
import { openMemoryReference } from './debug/memoryReferenceCommand';
import { DEBUG_TYPE } from './session/sessionClient';
import { SessionTracker } from './session/sessionTracker';
import { PageTableTree, VIEW_ID } from './tree/pageTableTree';
import { registerTreeCommands } from './tree/treeCommands';
import { hex, parseNumber } from '../util/numbers';

/** Activation: VS Code glue only; the core and the adapter decide. */
export function activate(context: vscode.ExtensionContext): void {
  const tracker = new SessionTracker();
  const docs = new ReadOnlyDocuments();
  const tree = new PageTableTree(tracker, context.workspaceState);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(
    tracker,
    docs,
    tree,
    view,
    vscode.workspace.registerTextDocumentContentProvider(VIEW_SCHEME, docs),
    vscode.languages.registerDocumentLinkProvider({ scheme: VIEW_SCHEME, language: SPACE_LANGUAGE }, new AddressSpaceLinks()),
    ...tree.attach(view),
    ...registerTreeCommands(tree, view, tracker, docs),
    vscode.commands.registerCommand('hyperframe.decodeEntry', decodeEntryCommand),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new HyperFrameConfigurations()),
    vscode.commands.registerCommand('hyperframe.openVariableFrame', openVariableFrame),
    vscode.commands.registerCommand('hyperframe.openMemoryReference', (arg: { sessionId?: string; memoryReference: string; label?: string }) =>
      openMemoryReference(tracker, arg).catch((e: unknown) => vscode.window.showErrorMessage(`HyperFrame: ${e instanceof Error ? e.message : String(e)}`)),
    ),
  );
}

export function deactivate(): void {
  // Everything registered is in the context's subscriptions and ends with it.
}

/** Asks for an entry value and a mode, then shows every field of the decode. */
async function decodeEntryCommand(): Promise<void> {
  const text = await vscode.window.showInputBox({
    prompt: 'Paging-structure entry value (0x… hex or decimal; _ or ` may group digits)',
    placeHolder: '0x8000000012345067',
    validateInput: (v) => {
      try {
        parseNumber(v, 'entry value');
        return undefined;
      } catch (e) {
        return isHyperFrameError(e) ? e.message : String(e);
      }
    },
  });
  if (text === undefined) return;
  const mode = (await vscode.window.showQuickPick([...PAGING_MODES], { placeHolder: 'Paging mode' })) as PagingMode | undefined;
  if (!mode) return;
  const top = geometry(mode).topLevel;
  const levels = Array.from({ length: top }, (_, i) => top - i).map((l) => ({ label: entryName(mode, l), level: l }));
  const pick = await vscode.window.showQuickPick(levels, { placeHolder: 'Level of the entry' });
  if (!pick) return;
  const raw = parseNumber(text, 'entry value');
  const e = decodeEntry(raw, mode, pick.level);
  const fields = Object.entries(e.fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  void vscode.window.showInformationMessage(`${entryName(mode, pick.level)} ${hex(raw)}: ${describeEntry(e)} — ${fields}`, { modal: false });
}
