import * as vscode from 'vscode';
import { sizeText } from '../../paging/format';
import { hoverMarkdown, type LiveReading } from '../../textDecode/hoverText';
import { frameLinksIn } from '../../textDecode/links';
import { numberAt, numbersIn } from '../../textDecode/numbers';
import { type DecodeMode, type DecodeOptions, inlayText, looksLikeEntry } from '../../textDecode/readings';
import { commandUri } from '../documents/addressSpace';
import type { SessionTracker } from '../session/sessionTracker';

const DEFAULT_LANGUAGES = ['c', 'cpp', 'asm', 'log', 'plaintext'];
/** How long a hover waits for the session's translation before showing the offline readings alone. */
const LIVE_WAIT_MS = 1500;

function options(): DecodeOptions {
  const c = vscode.workspace.getConfiguration('hyperframe');
  return { mode: c.get<DecodeMode>('decode.mode', 'auto'), maxPhyAddr: c.get<number>('decode.maxPhysAddrBits', 52) };
}

function selector(): vscode.DocumentSelector {
  const languages = vscode.workspace.getConfiguration('hyperframe').get<string[]>('hover.languages', DEFAULT_LANGUAGES);
  return languages.map((language) => ({ language }));
}

/** Where a number lands as a VA under the stopped session's vCPU in focus, or undefined. */
async function liveReading(tracker: SessionTracker, va: bigint): Promise<LiveReading | undefined> {
  const t = tracker.active();
  if (!t || t.snapshot.state !== 'stopped' || va < 0x1000n) return undefined;
  const vcpu = t.snapshot.stoppedVcpu ?? 0;
  const ask = t.client.request('hyperframe/translate', { va: `0x${va.toString(16)}`, vcpu }).then(
    (r): LiveReading => ({
      vcpu,
      text: r.pa !== undefined ? `PA ${r.pa} (${sizeText(BigInt(r.pageSize ?? 4096))} page; ${r.flags})` : `no translation: ${r.fault?.message ?? 'not mapped'}`,
    }),
    () => undefined,
  );
  return Promise.race([ask, new Promise<undefined>((r) => setTimeout(() => r(undefined), LIVE_WAIT_MS))]);
}

class NumberHover implements vscode.HoverProvider {
  constructor(private readonly tracker: SessionTracker) {}

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Hover | undefined> {
    const token = numberAt(doc.lineAt(pos.line).text, pos.character);
    if (!token) return undefined;
    const live = await liveReading(this.tracker, token.value);
    const md = new vscode.MarkdownString(hoverMarkdown(token.value, options(), live));
    return new vscode.Hover(md, new vscode.Range(pos.line, token.start, pos.line, token.end));
  }
}

class EntryInlays implements vscode.InlayHintsProvider {
  provideInlayHints(doc: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    const setting = vscode.workspace.getConfiguration('hyperframe').get<string>('inlayHints.enabled', 'auto');
    if (setting === 'off' || (setting === 'auto' && doc.languageId !== 'log')) return [];
    const { maxPhyAddr } = options();
    const out: vscode.InlayHint[] = [];
    for (let i = range.start.line; i <= range.end.line && i < doc.lineCount; i++) {
      for (const t of numbersIn(doc.lineAt(i).text)) {
        if (!looksLikeEntry(t.value, maxPhyAddr)) continue;
        const hint = new vscode.InlayHint(new vscode.Position(i, t.end), `⟶ ${inlayText(t.value, maxPhyAddr)}`, vscode.InlayHintKind.Type);
        hint.paddingLeft = true;
        out.push(hint);
      }
    }
    return out;
  }
}

class FrameLinks implements vscode.DocumentLinkProvider {
  constructor(private readonly tracker: SessionTracker) {}

  provideDocumentLinks(doc: vscode.TextDocument): vscode.DocumentLink[] {
    const t = this.tracker.active();
    if (!t) return [];
    const out: vscode.DocumentLink[] = [];
    for (let i = 0; i < doc.lineCount; i++) {
      for (const l of frameLinksIn(doc.lineAt(i).text)) {
        const arg = l.kind === 'mfn' ? { mfn: `0x${l.value.toString(16)}`, sessionId: t.client.id } : { pa: `0x${(l.value & ~0xfffn).toString(16)}`, sessionId: t.client.id };
        const link = new vscode.DocumentLink(new vscode.Range(i, l.start, i, l.end), commandUri('hyperframe.openFrame', arg));
        link.tooltip = `Open the frame in HyperFrame's hex editor (${t.client.name})`;
        out.push(link);
      }
    }
    return out;
  }
}

/**
 * Decoding where people read numbers: a hover on hex values in the configured languages, inlay
 * hints after values that look like entries, links on frame-looking values. Registered again when
 * the languages setting changes.
 */
export function registerTextDecoding(tracker: SessionTracker): vscode.Disposable {
  let registered: vscode.Disposable[] = [];
  const links = new FrameLinks(tracker);
  const register = (): void => {
    for (const d of registered) d.dispose();
    const sel = selector();
    registered = [
      vscode.languages.registerHoverProvider(sel, new NumberHover(tracker)),
      vscode.languages.registerInlayHintsProvider(sel, new EntryInlays()),
      vscode.languages.registerDocumentLinkProvider(sel, links),
    ];
  };
  register();
  const watch = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('hyperframe.hover.languages')) register();
  });
  return new vscode.Disposable(() => {
    watch.dispose();
    for (const d of registered) d.dispose();
  });
}
