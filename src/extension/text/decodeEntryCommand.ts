import * as vscode from 'vscode';
import { decodeEntry, entryLevel, maxEntryLevel } from '../../paging/entry';
import { entryLines, entryName } from '../../paging/format';
import { PAGING_MODES, type PagingMode } from '../../paging/modes';
import { numberAt } from '../../textDecode/numbers';
import { isHyperFrameError } from '../../util/errors';
import { parseNumber } from '../../util/numbers';
import type { ReadOnlyDocuments } from '../documents/readOnlyDocuments';
import type { SessionTracker } from '../session/sessionTracker';

/** The number under the cursor or selected, as the value to decode by default. */
function valueAtCursor(): string | undefined {
  const ed = vscode.window.activeTextEditor;
  if (!ed) return undefined;
  const sel = ed.document.getText(ed.selection).trim();
  if (sel) return sel;
  const t = numberAt(ed.document.lineAt(ed.selection.active.line).text, ed.selection.active.character);
  return t ? `0x${t.value.toString(16)}` : undefined;
}

/** The paging mode of the active session's vCPU in focus, if a session is stopped. */
async function sessionMode(tracker: SessionTracker): Promise<PagingMode | undefined> {
  const t = tracker.active();
  if (!t || t.snapshot.state !== 'stopped') return undefined;
  const roots = await t.client.request('hyperframe/roots', {}).catch(() => undefined);
  const r = roots?.roots.find((x) => x.vcpu === (t.snapshot.stoppedVcpu ?? 0)) ?? roots?.roots[0];
  return r && r.mode !== 'none' ? r.mode : undefined;
}

/**
 * Decode Entry…: a value (the selection or the number under the cursor by default), a paging mode
 * (the session's, else the setting's, else 4-level) and a level (a PTE, or a PDE when PS is set),
 * then every field in a document that stays open beside the code.
 */
export async function decodeEntryCommand(tracker: SessionTracker, docs: ReadOnlyDocuments): Promise<void> {
  const text = await vscode.window.showInputBox({
    prompt: 'Paging-structure entry to decode (0x… hex or decimal; _ or ` may group digits)',
    placeHolder: '0x8000000012345067',
    value: valueAtCursor(),
    validateInput: (v) => {
      try {
        if (parseNumber(v, 'entry value') >= 1n << 64n) return 'the value does not fit in 64 bits';
        return undefined;
      } catch (e) {
        return isHyperFrameError(e) ? e.message : String(e);
      }
    },
  });
  if (text === undefined) return;
  const raw = parseNumber(text, 'entry value');
  const setting = vscode.workspace.getConfiguration('hyperframe').get<string>('decode.mode', 'auto');
  const preferred = (await sessionMode(tracker)) ?? (setting !== 'auto' ? (setting as PagingMode) : 'long4');
  const modes = [preferred, ...PAGING_MODES.filter((m) => m !== preferred)];
  const mode = await vscode.window.showQuickPick(
    modes.map((m, i) => ({ label: m, description: i === 0 ? 'the session’s mode, or the setting’s' : undefined })),
    { placeHolder: 'Paging mode' },
  );
  if (!mode) return;
  const m = mode.label as PagingMode;
  const guess = entryLevel(m, raw);
  const top = maxEntryLevel(m);
  const levels = Array.from({ length: top }, (_, i) => i + 1).sort((a, b) => Number(b === guess) - Number(a === guess));
  const level = await vscode.window.showQuickPick(
    levels.map((l) => ({ label: entryName(m, l), description: l === guess ? (raw & 0x80n ? 'PS (bit 7) is set: a large page, if this level has them' : 'most likely') : `level ${l}`, level: l })),
    { placeHolder: 'Level of the entry' },
  );
  if (!level) return;
  const max = vscode.workspace.getConfiguration('hyperframe').get<number>('decode.maxPhysAddrBits', 52);
  const lines = entryLines(decodeEntry(raw, m, level.level, { maxPhyAddr: m === 'legacy32' ? Math.min(max, 40) : max }));
  const title = `Decode 0x${raw.toString(16)} · ${m} ${entryName(m, level.level)}`;
  await docs.show(docs.uri(`${title}.txt`), `${lines.join('\n')}\n`);
}
