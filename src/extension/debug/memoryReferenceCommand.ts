import * as vscode from 'vscode';
import { parseMemoryRef } from '../../shared/memoryReference';
import type { SessionTracker } from '../session/sessionTracker';

/**
 * Opens the frame a DAP memory reference lands in (`p:0x…`, `v1:0x…`): a virtual address is
 * translated through that vCPU's tables first. Used by "Open Frame" on variables and by links.
 */
export async function openMemoryReference(tracker: SessionTracker, arg: { sessionId?: string; memoryReference: string; label?: string }): Promise<void> {
  const t = arg.sessionId ? tracker.get(arg.sessionId) : tracker.active();
  if (!t) throw new Error('no HyperFrame debug session');
  const ref = parseMemoryRef(arg.memoryReference, t.snapshot.stoppedVcpu ?? 0);
  let pa = ref.address;
  let where = `PA 0x${pa.toString(16)}`;
  if (ref.space.kind === 'virtual') {
    const tr = await t.client.request('hyperframe/translate', { va: `0x${ref.address.toString(16)}`, vcpu: ref.space.vcpu });
    if (tr.pa === undefined) throw new Error(`${tr.va} does not translate on CPU ${ref.space.vcpu}: ${tr.fault?.message ?? 'no page'}`);
    pa = BigInt(tr.pa);
    where = `VA ${tr.va} (CPU ${ref.space.vcpu}) → PA ${tr.pa}`;
  }
  await vscode.commands.executeCommand('hyperframe.openFrame', {
    sessionId: t.client.id,
    pa: `0x${(pa & ~0xfffn).toString(16)}`,
    label: arg.label ? `${arg.label} = ${where}` : where,
  });
}
