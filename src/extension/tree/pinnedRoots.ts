/**
 * Page-table roots the user pins (Add Page Table Root…): a physical address, an MFN, a symbol such
 * as Xen's `idle_pg_table` or Linux's `init_top_pgt`, or any VA — the last two translated through
 * the tables of the vCPU in focus. Kept per workspace as what the user typed, and resolved again
 * in every session and at every stop (a symbol's frame can differ from one boot to the next).
 */
import type { PagingModeName } from '../../shared/dapRequests';
import { modeName } from './entryText';
import type { RootSpec, TreeSession } from './pageTableNodes';

export type PinKind = 'pa' | 'mfn' | 'symbol' | 'va';

export interface PinnedRoot {
  name: string;
  mode: PagingModeName;
  kind: PinKind;
  /** What the user typed: an expression of the Debug Console's language (`0x1000`, `idle_pg_table`, `$cr3 & ~0xfff`). */
  text: string;
}

export const PIN_KINDS: { kind: PinKind; label: string; detail: string }[] = [
  { kind: 'pa', label: 'Physical address', detail: 'the table’s PA: 0x36722000, or an expression' },
  { kind: 'mfn', label: 'Machine frame number (MFN)', detail: 'PA = MFN << 12' },
  { kind: 'symbol', label: 'Symbol', detail: 'a table in the image: idle_pg_table (Xen), init_top_pgt (Linux); translated through the current tables' },
  { kind: 'va', label: 'Virtual address', detail: 'translated through the tables of the vCPU in focus' },
];

/** Why a pin the user is about to add would not work, or undefined. */
export function pinProblem(p: Partial<PinnedRoot>, existing: readonly PinnedRoot[]): string | undefined {
  if (!p.name?.trim()) return 'give the root a name';
  if (existing.some((e) => e.name === p.name)) return `a root named '${p.name}' exists already`;
  if (!p.text?.trim()) return 'give an address, an MFN or a symbol';
  return undefined;
}

/** The pin as a root of this session: its table's PA, or why it has none here. */
export async function resolvePinned(p: PinnedRoot, session: TreeSession, vcpu: number | undefined): Promise<RootSpec> {
  const base: RootSpec = { key: `pin:${p.name}`, label: p.name, mode: p.mode, root: 0n, pinned: true };
  try {
    const value = BigInt((await session.request('hyperframe/resolve', { expression: p.text, ...(vcpu !== undefined ? { vcpu } : {}) })).value);
    if (p.kind === 'pa' || p.kind === 'mfn') {
      const root = p.kind === 'mfn' ? value << 12n : value;
      const how = p.kind === 'mfn' ? `MFN 0x${value.toString(16)}` : `PA`;
      return { ...base, root, description: `${modeName(p.mode)} · ${how} 0x${root.toString(16)}`, tooltip: `Pinned root '${p.name}': ${p.text} (${how})` };
    }
    const t = await session.request('hyperframe/translate', { va: `0x${value.toString(16)}`, ...(vcpu !== undefined ? { vcpu } : {}) });
    if (t.pa === undefined) {
      return { ...base, unavailable: `${p.text.trim()} = ${t.va} does not translate on CPU ${t.vcpu ?? '?'}: ${t.fault?.message ?? 'no page'}` };
    }
    const root = BigInt(t.pa);
    return {
      ...base,
      root,
      description: `${modeName(p.mode)} · ${p.text} → PA ${t.pa}`,
      tooltip: `Pinned root '${p.name}': ${p.text} = VA ${t.va}, through CPU ${t.vcpu}'s tables at PA ${t.pa}`,
    };
  } catch (e) {
    return { ...base, unavailable: e instanceof Error ? e.message : String(e) };
  }
}
