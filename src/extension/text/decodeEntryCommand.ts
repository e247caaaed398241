import * as vscode from 'vscode';
import { decodeEntry, entryLevel, maxEntryLevel } from '../../paging/entry';
import { entryName } from '../../paging/format';
import { PAGING_MODES, type PagingMode } from '../../paging/modes';
import { entryDocument } from '../../textDecode/entryDocument';
import { numberAt } from '../../textDecode/numbers';
import { decodeContext, entryLine } from '../../textDecode/readings';
import { isHyperFrameError } from '../../util/errors';
import { parseNumber } from '../../util/numbers';
import type { ReadOnlyDocuments } from '../documents/readOnlyDocuments';
import type { SessionTracker } from '../session/sessionTracker';
import { modeName } from '../tree/entryText';
import { decodeOptions } from './textProviders';

/** A 64-bit value from what the user typed, or why not. */
function entryValue(text: string): bigint {
  const v = parseNumber(text, 'entry value');
  if (v >= 1n << 64n) throw new Error(`entry value ${text.trim()} does not fit in 64 bits`);
  return v;
}

function validate(text: string): string | undefined {
  try {
    entryValue(text);
    return undefined;
  } catch (e) {
    return isHyperFrameError(e) || e instanceof Error ? e.message : String(e);
  }
}

/** The selection when it parses as a number, else the hex number under the cursor. */
function valueAtCursor(): string | undefined {
  const ed = vscode.window.activeTextEditor;
  if (!ed) return undefined;
  const sel = ed.document.getText(ed.selection).trim();
  if (sel && validate(sel) === undefined) return sel;
  const t = numberAt(ed.document.lineAt(ed.selection.active.line).text, ed.selection.active.character);
  return t ? `0x${t.value.toString(16)}` : undefined;
}

/** The paging mode of the active session's vCPU in focus (`hyperframe/roots`), if a session is stopped. */
async function sessionMode(tracker: SessionTracker): Promise<{ mode: PagingMode; vcpu: number } | undefined> {
  const t = tracker.active();
  if (!t || t.snapshot.state !== 'stopped') return undefined;
  const roots = await t.client.request('hyperframe/roots', {}).catch(() => undefined);
  const r = roots?.roots.find((x) => x.vcpu === (t.snapshot.stoppedVcpu ?? 0)) ?? roots?.roots[0];
  return r && r.mode !== 'none' ? { mode: r.mode, vcpu: r.vcpu } : undefined;
}

interface ModeItem extends vscode.QuickPickItem {
  mode: PagingMode;
}
interface LevelItem extends vscode.QuickPickItem {
  level: number;
}

/**
 * Decode Entry…: a value (the selection or the number under the cursor by default), a paging mode
 * (the stopped session's, else the setting's, else 4-level, first in the list) and a level (a PTE,
 * or a PDE when PS is set, first in the list; each level shows what the value means there), then
 * every field in a read-only document beside the code.
 */
export async function decodeEntryCommand(tracker: SessionTracker, docs: ReadOnlyDocuments): Promise<void> {
  const text = await vscode.window.showInputBox({
    title: 'HyperFrame: Decode Entry',
    prompt: 'Paging-structure entry to decode (0x… hex or decimal; _ or ` may group digits)',
    placeHolder: '0x8000000012345067',
    value: valueAtCursor(),
    validateInput: validate,
  });
  if (text === undefined) return;
  const raw = entryValue(text);
  const opts = decodeOptions();
  const session = await sessionMode(tracker);
  const preferred: PagingMode = session?.mode ?? (opts.mode !== 'auto' ? opts.mode : 'long4');
  const why = session ? `CPU ${session.vcpu}'s mode in the debug session` : opts.mode !== 'auto' ? 'hyperframe.decode.mode' : 'the default';
  const modes = [preferred, ...PAGING_MODES.filter((m) => m !== preferred)];
  const mode = await vscode.window.showQuickPick<ModeItem>(
    modes.map((m, i) => ({ label: m, description: i === 0 ? `${modeName(m)} · ${why}` : modeName(m), mode: m })),
    { title: `Decode ${text.trim()}: paging mode`, placeHolder: 'Paging mode' },
  );
  if (!mode) return;
  const m = mode.mode;
  const ctx = decodeContext(m, opts.maxPhyAddr);
  const guess = entryLevel(m, raw);
  const levels = Array.from({ length: maxEntryLevel(m) }, (_, i) => i + 1).sort((a, b) => Number(b === guess) - Number(a === guess));
  const level = await vscode.window.showQuickPick<LevelItem>(
    levels.map((l) => ({
      label: entryName(m, l),
      description: l === guess ? `level ${l} · most likely${raw & 0x80n ? ' (PS, bit 7, is set)' : ''}` : `level ${l}`,
      detail: entryLine(decodeEntry(raw, m, l, ctx)),
      level: l,
    })),
    { title: `Decode ${text.trim()} as ${m}: level`, placeHolder: 'Level of the entry', matchOnDetail: true },
  );
  if (!level) return;
  const lines = entryDocument(decodeEntry(raw, m, level.level, ctx), ctx.maxPhyAddr ?? opts.maxPhyAddr);
  await docs.show(docs.uri(`Decode 0x${raw.toString(16)} · ${m} ${entryName(m, level.level)}.txt`), `${lines.join('\n')}\n`);
}
