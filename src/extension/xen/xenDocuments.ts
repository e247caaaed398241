import * as vscode from 'vscode';
import { m2pQuery } from '../../xenText/m2pQuery';
import { m2pLines, startInfoLines } from '../../xenText/xenText';
import type { ReadOnlyDocuments } from '../documents/readOnlyDocuments';
import type { SessionTracker, TrackedSession } from '../session/sessionTracker';

/** The stopped session a Xen command reads, or a message saying why there is none. */
function stoppedSession(tracker: SessionTracker): TrackedSession | undefined {
  const t = tracker.active();
  if (!t) void vscode.window.showInformationMessage('HyperFrame: start a HyperFrame debug session on a Xen guest first.');
  else if (t.snapshot.state !== 'stopped') void vscode.window.showInformationMessage('HyperFrame: pause the target first: Xen’s structures are read while it is stopped.');
  else return t;
  return undefined;
}

/**
 * `Show start_info`: the PV guest's start_info page decoded (seed 003), with pt_base beside each
 * live CR3, as `hyperframe startinfo` prints it.
 */
export async function showStartInfo(tracker: SessionTracker, docs: ReadOnlyDocuments): Promise<void> {
  const t = stoppedSession(tracker);
  if (!t) return;
  const r = await t.client.request('hyperframe/xen/startInfo', {});
  await docs.show(docs.uri(`start_info ${r.va}.txt`), `${startInfoLines(r).join('\n')}\n`);
}

/**
 * `Machine Frame to PFN (M2P)…`: asks for machine frames (`0x3fc6e`, several separated by spaces or
 * commas, or `0x1000+16` for a run) and shows what Xen's M2P says of each, as `hyperframe m2p`.
 */
export async function showM2p(tracker: SessionTracker, docs: ReadOnlyDocuments): Promise<void> {
  const t = stoppedSession(tracker);
  if (!t) return;
  const text = await vscode.window.showInputBox({
    prompt: 'Machine frame numbers (MFNs) to look up in Xen’s M2P table',
    placeHolder: '0x3fc6e  ·  0x3fc6e 0x40000  ·  0x1000+16 (a run of 16)',
    validateInput: (v) => (m2pQuery(v) ? undefined : 'an MFN (0x…), several separated by spaces, or MFN+COUNT'),
  });
  const q = text ? m2pQuery(text) : undefined;
  if (!q) return;
  const r = await t.client.request('hyperframe/xen/m2p', q);
  await docs.show(docs.uri(`M2P ${text!.trim()}.txt`), `${m2pLines(r).join('\n')}\n`);
}
