import * as vscode from 'vscode';
import { entryHintsIn } from '../../textDecode/entryHint';
import { hoverMarkdown, hoverTarget } from '../../textDecode/hoverText';
import { frameLinksIn, mayHoldFrameLinks } from '../../textDecode/links';
import type { DecodeMode, DecodeOptions } from '../../textDecode/readings';
import { commandUri } from '../documents/addressSpace';
import type { SessionTracker } from '../session/sessionTracker';
import { type LiveTranslate, sessionTranslate } from './liveTranslate';

/** The Xen lines of a hover (xen/xenHover.ts): the region a number lies in, an MFN's pfn. */
export interface XenHover {
  lines(value: bigint, isMfn: boolean): Promise<string[]>;
}

/** Languages with hovers when the setting is left alone (package.json holds the same default). */
const DEFAULT_LANGUAGES = ['c', 'cpp', 'asm', 'asm-intel-x86-generic', 'asm-collection', 'log', 'plaintext'];

export function decodeOptions(): DecodeOptions {
  const c = vscode.workspace.getConfiguration('hyperframe');
  return { mode: c.get<DecodeMode>('decode.mode', 'auto'), maxPhyAddr: c.get<number>('decode.maxPhysAddrBits', 52) };
}

function selector(): vscode.DocumentSelector {
  const languages = vscode.workspace.getConfiguration('hyperframe').get<string[]>('hover.languages', DEFAULT_LANGUAGES);
  return languages.map((language) => ({ language }));
}

class NumberHover implements vscode.HoverProvider {
  constructor(
    private readonly live: LiveTranslate,
    private readonly xen?: XenHover,
  ) {}

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, cancel: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const opts = decodeOptions();
    const line = doc.lineAt(pos.line).text;
    const target = hoverTarget(line, pos.character, opts);
    if (!target) return undefined;
    const { token, entryLike } = target;
    const isMfn = frameLinksIn(line).some((l) => l.kind === 'mfn' && l.start <= token.start && token.end <= l.end);
    const [live, xenLines] = await Promise.all([this.live.translate(token.value), this.xen?.lines(token.value, isMfn).catch(() => []) ?? []]);
    if (cancel.isCancellationRequested) return undefined;
    const xenText = xenLines.length ? `**Xen**: ${xenLines.join('  \n')}\n\n` : '';
    const md = new vscode.MarkdownString(xenText + hoverMarkdown(token.value, opts, { entryLike, live }));
    return new vscode.Hover(md, new vscode.Range(pos.line, token.start, pos.line, token.end));
  }
}

class EntryInlays implements vscode.InlayHintsProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeInlayHints = this.changed.event;

  /** The settings changed: VS Code asks again. */
  refresh(): void {
    this.changed.fire();
  }

  provideInlayHints(doc: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] {
    const setting = vscode.workspace.getConfiguration('hyperframe').get<string>('inlayHints.enabled', 'auto');
    if (setting === 'off' || (setting === 'auto' && doc.languageId !== 'log')) return [];
    const opts = decodeOptions();
    const out: vscode.InlayHint[] = [];
    for (let i = range.start.line; i <= range.end.line && i < doc.lineCount; i++) {
      for (const { token, text } of entryHintsIn(doc.lineAt(i).text, opts)) {
        const hint = new vscode.InlayHint(new vscode.Position(i, token.end), `⟶ ${text}`, vscode.InlayHintKind.Type);
        hint.paddingLeft = true;
        out.push(hint);
      }
    }
    return out;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Links on `pa=`/`maddr`/`mfn` values that open the frame, offered while a HyperFrame session lives. */
class FrameLinks implements vscode.DocumentLinkProvider {
  constructor(private readonly tracker: SessionTracker) {}

  provideDocumentLinks(doc: vscode.TextDocument): vscode.DocumentLink[] {
    const t = this.tracker.active();
    if (!t) return [];
    const out: vscode.DocumentLink[] = [];
    for (let i = 0; i < doc.lineCount; i++) {
      const line = doc.lineAt(i).text;
      if (!mayHoldFrameLinks(line)) continue;
      for (const l of frameLinksIn(line)) {
        const value = `0x${l.value.toString(16)}`;
        const link = new vscode.DocumentLink(new vscode.Range(i, l.start, i, l.end), commandUri('hyperframe.openFrame', { [l.kind]: value, sessionId: t.client.id }));
        link.tooltip = `Open ${l.kind === 'mfn' ? `MFN ${value}` : `the frame of PA ${value}`} in the frame editor (${t.client.name})`;
        out.push(link);
      }
    }
    return out;
  }
}

/**
 * Decoding where people read numbers: a hover on hex values in the configured languages, inlay
 * hints after values that look like entries, links on frame-looking values. Registered again when
 * the languages setting changes; hints are asked for again when a decode setting changes.
 */
export function registerTextDecoding(tracker: SessionTracker, xen?: XenHover): vscode.Disposable {
  let registered: vscode.Disposable[] = [];
  const hover = new NumberHover(sessionTranslate(tracker), xen);
  const inlays = new EntryInlays();
  const links = new FrameLinks(tracker);
  const register = (): void => {
    for (const d of registered) d.dispose();
    const sel = selector();
    registered = [vscode.languages.registerHoverProvider(sel, hover), vscode.languages.registerInlayHintsProvider(sel, inlays), vscode.languages.registerDocumentLinkProvider(sel, links)];
  };
  register();
  const watch = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('hyperframe.hover.languages')) register();
    else if (e.affectsConfiguration('hyperframe.inlayHints.enabled') || e.affectsConfiguration('hyperframe.decode')) inlays.refresh();
  });
  return new vscode.Disposable(() => {
    watch.dispose();
    inlays.dispose();
    for (const d of registered) d.dispose();
  });
}
