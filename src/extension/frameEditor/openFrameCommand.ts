import * as vscode from 'vscode';
import { type FrameLocation, FRAME_SCHEME, frameUriParts } from '../../shared/frameUri';
import { isPagingMode } from '../../paging/modes';
import type { PagingModeName } from '../../shared/dapRequests';
import { parseNumber } from '../../util/numbers';
import type { SessionTracker } from '../session/sessionTracker';
import { FRAME_VIEW_TYPE } from './frameEditorProvider';

export interface OpenFrameArgs {
  sessionId?: string;
  pa?: string;
  mfn?: string;
  mode?: PagingModeName;
  level?: number;
  baseVa?: string;
  label?: string;
}

/**
 * Open Frame…: a frame of a session's physical memory in the frame editor, by PA or MFN, read as a
 * table when a mode and level say so. Without arguments it asks (`0x36722000`, `mfn 0x36722`) and
 * uses the active session; without a session it offers to open a dump file instead.
 */
export async function openFrame(tracker: SessionTracker, args: OpenFrameArgs = {}): Promise<void> {
  let t = args.sessionId ? tracker.get(args.sessionId) : tracker.active();
  if (args.sessionId && !t) throw new Error('that debug session has ended');
  if (!t) {
    const pick = await vscode.window.showWarningMessage('HyperFrame: no HyperFrame debug session to read frames from.', 'Open a Dump File…', 'Start Debugging');
    if (pick === 'Start Debugging') await vscode.commands.executeCommand('workbench.action.debug.start');
    if (pick === 'Open a Dump File…') {
      const files = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Open in Frame Editor', filters: { 'Memory dumps': ['elf', 'core', 'vmcore', 'raw', 'bin'], 'All files': ['*'] } });
      if (files?.[0]) await vscode.commands.executeCommand('vscode.openWith', files[0], FRAME_VIEW_TYPE);
    }
    return;
  }
  let pa: bigint;
  if (args.pa !== undefined) pa = parseNumber(args.pa, 'pa');
  else if (args.mfn !== undefined) pa = parseNumber(args.mfn, 'mfn') << 12n;
  else {
    const text = await vscode.window.showInputBox({
      prompt: 'Frame to open: a physical address, or "mfn" and a machine frame number',
      placeHolder: '0x36722000   or   mfn 0x36722',
      validateInput: (v) => (frameAddress(v) === undefined ? 'a 0x… physical address, or mfn 0x…' : undefined),
    });
    if (!text) return;
    pa = frameAddress(text)!;
    t = tracker.get(t.client.id) ?? t;
  }
  const loc: FrameLocation = {
    sessionId: t.client.id,
    // A PAE PDPT is 32 bytes anywhere in its frame: keep its address; other frames start at a page.
    pa: args.mode === 'pae' && args.level === 3 ? pa & ~0x1fn : pa & ~0xfffn,
    ...(isPagingMode(args.mode) && args.level ? { table: { mode: args.mode, level: args.level, ...(args.baseVa ? { baseVa: parseNumber(args.baseVa, 'baseVa') } : {}) } } : {}),
    ...(args.label ? { label: args.label } : {}),
  };
  const { path, query } = frameUriParts(loc);
  await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.from({ scheme: FRAME_SCHEME, path, query }), FRAME_VIEW_TYPE);
}

/** `0x36722000` → that PA; `mfn 0x36722` / `mfn=36722` → MFN << 12; anything else undefined. */
export function frameAddress(text: string): bigint | undefined {
  const m = /^\s*(mfn\s*[=:]?\s*)?(0x[0-9a-f_`]+|[0-9]+)\s*$/i.exec(text);
  if (!m) return undefined;
  try {
    const v = parseNumber(m[2], 'address');
    return m[1] ? v << 12n : v;
  } catch {
    return undefined;
  }
}
