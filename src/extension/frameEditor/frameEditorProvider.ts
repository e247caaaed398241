import * as vscode from 'vscode';
import { decodeEntry } from '../../paging/entry';
import { tableBytes } from '../../paging/modes';
import { entryInfo, tableEntries } from '../../shared/entryInfo';
import { type FrameInit, type FromWebview, parseFromWebview, type ToWebview } from '../../shared/frameProtocol';
import { DumpFrameSource } from '../../frames/dumpFrameSource';
import type { SessionTracker } from '../session/sessionTracker';
import { FrameDocument } from './frameDocument';
import { frameEditorHtml } from './frameEditorHtml';
import type { XenFrameInfoResult } from '../../shared/xenRequests';
import type { PagingModeName, TableEntry } from '../../shared/dapRequests';
import type { TrackedSession } from '../session/sessionTracker';
import { VALIDATED_WARNING } from '../../xenText/xenText';
import { pageInfoLines } from '../../xenText/viewText';

/** Where the editor asks for a frame's page_info (the Xen session cache), when the session debugs a Xen. */
export interface XenFrameInfo {
  frameInfo(t: TrackedSession, mfn: bigint): Promise<XenFrameInfoResult | undefined>;
  /** Words beside a table's entries by index (undefined outside a Xen session). */
  entryNotes(t: TrackedSession, table: { mode: PagingModeName; level: number; entries: readonly TableEntry[] }): Promise<Map<number, string> | undefined>;
}

export const FRAME_VIEW_TYPE = 'hyperframe.frame';
const hex = (v: bigint): string => `0x${v.toString(16)}`;
const b64 = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');

/**
 * The frame hex editor: a custom editor whose webview (media/frameEditor) shows bytes or entries
 * and asks for them over the typed protocol (shared/frameProtocol.ts); edits go through VS Code's
 * undo stack, Save writes only the changed bytes and reads them back.
 */
export class FrameEditorProvider implements vscode.CustomEditorProvider<FrameDocument> {
  private readonly changed = new vscode.EventEmitter<vscode.CustomDocumentEditEvent<FrameDocument>>();
  readonly onDidChangeCustomDocument = this.changed.event;
  /** Each open document's webviews, to tell them what changed. */
  private readonly panels = new Map<FrameDocument, Set<vscode.WebviewPanel>>();

  /** Frames whose first edit the user allowed although Xen validated them as page tables. */
  private readonly allowed = new WeakMap<FrameDocument, Set<string>>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly tracker: SessionTracker,
    private readonly log: vscode.OutputChannel,
    private readonly xen?: XenFrameInfo,
  ) {}

  async openCustomDocument(uri: vscode.Uri, context: vscode.CustomDocumentOpenContext): Promise<FrameDocument> {
    const backup = context.backupId ? await vscode.workspace.fs.readFile(vscode.Uri.parse(context.backupId)) : undefined;
    return FrameDocument.open(uri, this.tracker, backup);
  }

  async resolveCustomEditor(doc: FrameDocument, panel: vscode.WebviewPanel): Promise<void> {
    const media = vscode.Uri.joinPath(this.extensionUri, 'dist', 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [media] };
    panel.webview.html = frameEditorHtml(panel.webview, media);
    const set = this.panels.get(doc) ?? new Set();
    set.add(panel);
    this.panels.set(doc, set);
    const post = (m: ToWebview): void => void panel.webview.postMessage(m);
    let showing: bigint | undefined;
    const subs = [
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const parsed = parseFromWebview(raw);
        if (!parsed.ok) {
          this.log.appendLine(`frame editor: refused a message from the webview: ${parsed.error}`);
          return;
        }
        if (parsed.message.type === 'showing') showing = BigInt(parsed.message.frame);
        void this.onMessage(doc, panel, parsed.message, post).catch((e: unknown) => post({ type: 'message', level: 'error', text: errorText(e) }));
      }),
      // A stop, a run or the end of the session: what may be edited changes, and the bytes may have.
      this.tracker.onDidChangeState((t) => {
        if (t.client.id !== doc.sessionId) return;
        post({ type: 'state', readOnly: doc.readOnlyReason() });
        if (t.snapshot.state === 'stopped') {
          this.notifyChanged(doc, 0n, 0);
          if (showing !== undefined) void this.postNote(doc, showing, post);
        }
      }),
      this.tracker.onDidChangeMemory((m) => {
        if (m.session.client.id === doc.sessionId) this.notifyChanged(doc, 0n, 0);
      }),
    ];
    panel.onDidDispose(() => {
      for (const s of subs) s.dispose();
      this.panels.get(doc)?.delete(panel);
    });
  }

  private init(doc: FrameDocument): FrameInit {
    const kind = doc.sessionId ? 'session' : 'file';
    const length = doc.source.length ?? 4096;
    return {
      space: doc.source.name,
      kind,
      start: hex(kind === 'session' ? doc.frame : doc.source.start),
      length: kind === 'session' ? 4096 : length,
      frame: hex(doc.frame),
      ...(doc.table ? { table: doc.table } : {}),
      ...(doc.label ? { label: doc.label } : {}),
      ...(doc.readOnlyReason() ? { readOnly: doc.readOnlyReason() } : {}),
      dirty: doc.edits.changes().map(([pa, v]) => [hex(pa), v]),
      ...(this.autoSave(doc) ? { autoSave: this.autoSave(doc) } : {}),
    };
  }

  /** VS Code's auto-save setting for this document, when it is on: it would write the target too. */
  private autoSave(doc: FrameDocument): string | undefined {
    const mode = vscode.workspace.getConfiguration('files', doc.uri).get<string>('autoSave', 'off');
    return doc.source.write && mode !== 'off' ? mode : undefined;
  }

  private async onMessage(doc: FrameDocument, panel: vscode.WebviewPanel, m: FromWebview, post: (m: ToWebview) => void): Promise<void> {
    switch (m.type) {
      case 'ready':
        post({ type: 'init', init: this.init(doc) });
        return;
      case 'read': {
        try {
          const r = await doc.read(BigInt(m.pa), m.length);
          post({ type: 'reply', id: m.id, ok: true, data: b64(r.data), unreadable: r.unreadable });
          if (doc.source instanceof DumpFrameSource) panel.title = `${doc.source.name} · ${(doc.source.bytesRead / 1024).toFixed(0)} KiB read`;
        } catch (e) {
          post({ type: 'reply', id: m.id, ok: false, error: errorText(e) });
        }
        return;
      }
      case 'decodeTable': {
        try {
          const mode = m.table.mode;
          const pa = BigInt(m.table.pa ?? m.pa);
          const r = await doc.read(pa, tableBytes(mode, m.table.level));
          const entries = tableEntries(r.data, mode, m.table.level, { table: pa, baseVa: BigInt(m.table.baseVa), all: true });
          const notes = await this.entryNotes(doc, { mode, level: m.table.level, entries });
          post({ type: 'reply', id: m.id, ok: true, entries, ...(notes ? { notes } : {}) });
        } catch (e) {
          post({ type: 'reply', id: m.id, ok: false, error: errorText(e) });
        }
        return;
      }
      case 'decodeValue': {
        const e = entryInfo(decodeEntry(BigInt(m.value), m.mode, m.level));
        post({ type: 'reply', id: m.id, ok: true, entry: { ...e, index: 0, va: '0x0', entryPa: '0x0' } });
        return;
      }
      case 'edit':
        await this.edit(doc, BigInt(m.pa), m.value, post);
        return;
      case 'showing':
        if (doc.sessionId) {
          panel.title = `Frame ${m.frame}`;
          await this.postNote(doc, BigInt(m.frame), post);
        }
        return;
      case 'openFrame':
        if (!doc.sessionId) return;
        await vscode.commands.executeCommand('hyperframe.openFrame', { sessionId: doc.sessionId, pa: m.pa, ...(m.table ?? {}) });
        return;
      case 'save':
        await vscode.commands.executeCommand('workbench.action.files.save');
        return;
    }
  }

  /** The frame's page_info in the header, when the session debugs a Xen (nothing otherwise). */
  private async postNote(doc: FrameDocument, frame: bigint, post: (m: ToWebview) => void): Promise<void> {
    const info = await this.frameInfo(doc, frame);
    if (info) post({ type: 'frameNote', frame: hex(frame), lines: pageInfoLines(info), warning: info.validatedPageTable });
  }

  /** The Xen words beside each entry (pfn, Xen's region), when the session debugs a Xen. */
  private async entryNotes(doc: FrameDocument, table: Parameters<XenFrameInfo['entryNotes']>[1]): Promise<string[] | undefined> {
    const t = doc.sessionId ? this.tracker.get(doc.sessionId) : undefined;
    if (!t || !this.xen) return undefined;
    const notes = await this.xen.entryNotes(t, table).catch(() => undefined);
    return notes ? table.entries.map((e) => notes.get(e.index) ?? '') : undefined;
  }

  private async frameInfo(doc: FrameDocument, frame: bigint): Promise<XenFrameInfoResult | undefined> {
    const t = doc.sessionId ? this.tracker.get(doc.sessionId) : undefined;
    if (!t || !this.xen) return undefined;
    return this.xen.frameInfo(t, frame >> 12n).catch(() => undefined);
  }

  /** Xen validated this frame as a page table: the first edit asks before it bypasses Xen's counts. */
  private async editAllowed(doc: FrameDocument, pa: bigint): Promise<boolean> {
    const frame = hex(pa & ~0xfffn);
    const allowed = this.allowed.get(doc) ?? new Set<string>();
    this.allowed.set(doc, allowed);
    if (allowed.has(frame)) return true;
    const info = await this.frameInfo(doc, pa);
    if (!info?.validatedPageTable) return true;
    const go = await vscode.window.showWarningMessage(
      `Frame ${frame} (mfn ${info.mfn}) is a ${info.typeInfo.type} of d${info.owner?.domain ?? '?'} that Xen has validated. ${VALIDATED_WARNING}`,
      { modal: true },
      'Edit Anyway',
    );
    if (go !== 'Edit Anyway') return false;
    allowed.add(frame);
    return true;
  }

  private async edit(doc: FrameDocument, pa: bigint, value: number, post: (m: ToWebview) => void): Promise<void> {
    const refused = doc.readOnlyReason();
    if (refused) {
      post({ type: 'message', level: 'error', text: `not edited: ${refused}` });
      this.notifyChanged(doc, pa, 1);
      return;
    }
    if (!(await this.editAllowed(doc, pa))) {
      post({ type: 'message', level: 'info', text: 'not edited: the frame is a page table Xen validated' });
      this.notifyChanged(doc, pa, 1);
      return;
    }
    const before = (await doc.read(pa, 1)).data[0];
    if (before === undefined) {
      post({ type: 'message', level: 'error', text: `${hex(pa)} cannot be read, so it cannot be edited` });
      return;
    }
    const e = doc.edits.edit(pa, before, value);
    if (!e) return;
    this.changed.fire({
      document: doc,
      label: `Edit byte at ${hex(pa)}`,
      undo: () => {
        doc.edits.undo(e);
        this.notifyChanged(doc, pa, 1);
      },
      redo: () => {
        doc.edits.redo(e);
        this.notifyChanged(doc, pa, 1);
      },
    });
    this.notifyChanged(doc, pa, 1);
  }

  /** Tells every view of `doc` that bytes changed (length 0: anything may have). */
  private notifyChanged(doc: FrameDocument, pa: bigint, length: number): void {
    const dirty = doc.edits.changes().map(([at, v]): [string, number] => [hex(at), v]);
    for (const p of this.panels.get(doc) ?? []) void p.webview.postMessage({ type: 'changed', pa: hex(pa), length, dirty } satisfies ToWebview);
  }

  async saveCustomDocument(doc: FrameDocument): Promise<void> {
    const refused = doc.readOnlyReason();
    if (refused) throw new Error(`the frame was not saved: ${refused}; the edits are kept`);
    const write = doc.source.write?.bind(doc.source);
    if (!write) throw new Error('this source cannot be written');
    const problems: string[] = [];
    for (const run of doc.edits.writeRuns()) {
      try {
        await write(run.pa, run.data);
        const back = await doc.source.read(run.pa, run.data.length);
        const bad = doc.edits.saved(run, back.data);
        if (bad.length) problems.push(`${bad.length} byte${bad.length === 1 ? '' : 's'} from ${hex(bad[0])} read back different from what was written (a device, or memory the target changed)`);
      } catch (e) {
        problems.push(`${hex(run.pa)} (${run.data.length} bytes): ${errorText(e)}`);
      }
    }
    this.notifyChanged(doc, 0n, 0);
    if (problems.length) throw new Error(`some edits were not saved and are kept: ${problems.join('; ')}`);
    this.log.appendLine(`frame editor: saved ${doc.uri.toString()}`);
  }

  async saveCustomDocumentAs(): Promise<void> {
    throw new Error('a frame is saved to the target it came from: Save As does not apply');
  }

  async revertCustomDocument(doc: FrameDocument): Promise<void> {
    doc.edits.clear();
    this.notifyChanged(doc, 0n, 0);
  }

  async backupCustomDocument(doc: FrameDocument, context: vscode.CustomDocumentBackupContext): Promise<vscode.CustomDocumentBackup> {
    await vscode.workspace.fs.writeFile(context.destination, new TextEncoder().encode(JSON.stringify(doc.edits.toJSON())));
    return {
      id: context.destination.toString(),
      delete: () => void vscode.workspace.fs.delete(context.destination).then(undefined, () => undefined),
    };
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
