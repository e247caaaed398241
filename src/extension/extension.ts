import * as vscode from 'vscode';
import { AddressSpaceLinks, SPACE_LANGUAGE } from './documents/addressSpace';
import { ReadOnlyDocuments, VIEW_SCHEME } from './documents/readOnlyDocuments';
import { HyperFrameConfigurations, openVariableFrame } from './debug/debugConfiguration';
import { openMemoryReference } from './debug/memoryReferenceCommand';
import { DEBUG_TYPE } from './session/sessionClient';
import { FRAME_VIEW_TYPE, FrameEditorProvider } from './frameEditor/frameEditorProvider';
import { openFrame, type OpenFrameArgs } from './frameEditor/openFrameCommand';
import { SessionTracker } from './session/sessionTracker';
import { decodeEntryCommand } from './text/decodeEntryCommand';
import { registerTextDecoding } from './text/textProviders';
import { PageTableTree, VIEW_ID } from './tree/pageTableTree';
import { registerTreeCommands } from './tree/treeCommands';
import { registerXen } from './xen/registerXen';
import { xenHover } from './xen/xenHover';
import { XenSessionCache } from './xen/xenSessionCache';
import { xenTreeHooks } from './xen/xenTreeHooks';

/** Activation: VS Code glue only; the core and the adapter decide. */
export function activate(context: vscode.ExtensionContext): void {
  const tracker = new SessionTracker();
  const docs = new ReadOnlyDocuments();
  const xen = new XenSessionCache();
  const tree = new PageTableTree(tracker, context.workspaceState, xenTreeHooks(xen, (id) => tracker.get(id)));
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const log = vscode.window.createOutputChannel('HyperFrame');
  const frames = new FrameEditorProvider(context.extensionUri, tracker, log, xen);
  context.subscriptions.push(
    tracker,
    docs,
    tree,
    view,
    vscode.workspace.registerTextDocumentContentProvider(VIEW_SCHEME, docs),
    vscode.languages.registerDocumentLinkProvider({ scheme: VIEW_SCHEME, language: SPACE_LANGUAGE }, new AddressSpaceLinks()),
    ...tree.attach(view),
    ...registerTreeCommands(tree, view, tracker, docs),
    ...registerXen(tracker, xen, tree, view, docs),
    vscode.commands.registerCommand('hyperframe.decodeEntry', () => decodeEntryCommand(tracker, docs)),
    registerTextDecoding(tracker, xenHover(xen, () => tracker.active())),
    log,
    vscode.window.registerCustomEditorProvider(FRAME_VIEW_TYPE, frames, { supportsMultipleEditorsPerDocument: false, webviewOptions: { retainContextWhenHidden: true } }),
    vscode.commands.registerCommand('hyperframe.openFrame', (args?: OpenFrameArgs) =>
      openFrame(tracker, args).catch((e: unknown) => vscode.window.showErrorMessage(`HyperFrame: ${e instanceof Error ? e.message : String(e)}`)),
    ),
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
