import * as vscode from 'vscode';
import { DumpFrameSource } from '../../frames/dumpFrameSource';
import { FrameEdits } from '../../frames/frameEdits';
import type { FrameSource } from '../../frames/frameSource';
import type { TableView } from '../../shared/frameProtocol';
import { FRAME_SCHEME, parseFrameUri } from '../../shared/frameUri';
import type { SessionTracker } from '../session/sessionTracker';
import { SessionFrameSource } from './sessionFrameSource';

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/**
 * One frame editor document: a source of physical memory (a session's, or a dump file's), the
 * place it was opened at (a frame, read as a table or not, with a label), and the unsaved edits.
 */
export class FrameDocument implements vscode.CustomDocument {
  private constructor(
    readonly uri: vscode.Uri,
    readonly source: FrameSource,
    readonly edits: FrameEdits,
    /** The frame to show first. */
    readonly frame: bigint,
    readonly table: TableView | undefined,
    readonly label: string | undefined,
    readonly sessionId: string | undefined,
  ) {}

  static async open(uri: vscode.Uri, tracker: SessionTracker, backup: Uint8Array | undefined): Promise<FrameDocument> {
    const edits = backup ? FrameEdits.fromJSON(JSON.parse(new TextDecoder().decode(backup))) : new FrameEdits();
    if (uri.scheme === FRAME_SCHEME) {
      const loc = parseFrameUri(uri.path, uri.query);
      if (!loc) throw new Error(`${uri.toString()} does not name a frame (hyperframe-frame:/<session>/<0xPA>.frame)`);
      const t = tracker.get(loc.sessionId);
      const source = new SessionFrameSource(tracker, loc.sessionId, t?.client.name ?? 'an ended session');
      if (t) {
        // Dumps opened through a session cannot be written: say so before the first edit, not at Save.
        void t.client.request('hyperframe/roots', {}).then(
          (r) => (source.writable = r.writable),
          () => undefined,
        );
      }
      // A table that does not start the frame (a PAE PDPT) keeps its own address; the view shows its frame.
      const inFrame = loc.pa & 0xfffn;
      const table = loc.table ? { mode: loc.table.mode, level: loc.table.level, baseVa: hex(loc.table.baseVa ?? 0n), ...(inFrame ? { pa: hex(loc.pa) } : {}) } : undefined;
      return new FrameDocument(uri, source, edits, loc.pa - inFrame, table, loc.label, loc.sessionId);
    }
    const source = await DumpFrameSource.open(uri.fsPath);
    return new FrameDocument(uri, source, edits, source.start, undefined, source.what, undefined);
  }

  /** Bytes as the editor shows them: the source's, with the unsaved edits over them. */
  async read(pa: bigint, length: number): Promise<{ data: Uint8Array; unreadable: number }> {
    const r = await this.source.read(pa, length);
    return { data: this.edits.overlay(pa, r.data), unreadable: r.unreadable };
  }

  readOnlyReason(): string | undefined {
    return this.source.write ? this.source.readOnlyReason() : (this.source.readOnlyReason() ?? 'read-only');
  }

  dispose(): void {
    if (this.source instanceof DumpFrameSource) void this.source.close();
  }
}
