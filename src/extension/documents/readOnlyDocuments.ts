import * as vscode from 'vscode';

export const VIEW_SCHEME = 'hyperframe-view';

/**
 * Read-only documents the extension writes (an address space, a translation): VS Code shows them
 * as text (search, copy, folding, links) and never offers to save them.
 */
export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private counter = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? 'This document is gone (it was made in an earlier window): run its command again.\n';
  }

  /** A new document named `name` (the tab title); `query` carries what its links need. */
  uri(name: string, query: Record<string, string> = {}): vscode.Uri {
    const q = new URLSearchParams({ ...query, n: String(++this.counter) });
    return vscode.Uri.from({ scheme: VIEW_SCHEME, path: `/${name.replace(/\//g, '∕')}`, query: q.toString() });
  }

  async show(uri: vscode.Uri, text: string, language?: string): Promise<vscode.TextEditor> {
    this.contents.set(uri.toString(), text);
    this.changed.fire(uri);
    let doc = await vscode.workspace.openTextDocument(uri);
    if (language && doc.languageId !== language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
