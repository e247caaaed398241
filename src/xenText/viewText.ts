/**
 * What the Xen views show, as text: the Xen Domains, Xen Layout and P2M views, the Xen labels on
 * the Page Tables tree's top-level slots, the page_info lines of tooltips and of the frame editor's
 * header. Pure (no `vscode`): the views turn these into tree items, the tests read them.
 */
import type { P2mRunInfo, XenDomainInfo, XenDomainsResult, XenFrameInfoResult, XenP2mResult, XenVcpuInfo } from '../shared/xenRequests';
import { pml4SlotOf, sizeText, type XenLayout, type XenRegion } from '../xen';
import { countInfoText, domainKind, maxPagesText, ownerText, typeInfoText, VALIDATED_WARNING, vcpuState } from './xenText';

/** One line of a view: what VS Code shows as label, description and tooltip. */
export interface ItemText {
  label: string;
  description?: string;
  tooltip?: string;
}

const h = (v: bigint): string => `0x${v.toString(16)}`;

// ---- Xen Domains ----

export function buildItem(r: XenDomainsResult): ItemText {
  return { label: r.build.name, description: r.build.buildId ? `build-id ${r.build.buildId.slice(0, 12)}…` : undefined, tooltip: `${r.build.name}\nstruct offsets: ${r.build.offsets}\ndomain_list at ${r.domainList}` };
}

export function domainItem(d: XenDomainInfo): ItemText {
  return {
    label: `Domain ${d.id}`,
    description: `${domainKind(d)} · ${d.totPages} pages · ${d.vcpus.length} vCPU${d.vcpus.length === 1 ? '' : 's'}`,
    tooltip: [
      `d${d.id}: ${domainKind(d)}`,
      `nr_pages ${d.totPages}, max_pages ${maxPagesText(d.maxPages)}, xenheap_pages ${d.xenheapPages}`,
      `vCPUs ${d.vcpus.length} of ${d.maxVcpus}${d.nrL4Pages !== undefined ? `, nr_l4_pages ${d.nrL4Pages}` : ''}${d.xpti ? ', XPTI' : ''}`,
      `options ${d.options.join(' ') || '(none)'}, refcnt ${d.refcnt}, pause_count ${d.pauseCount}`,
      `struct domain ${d.va}, shared_info ${d.sharedInfo}`,
    ].join('\n'),
  };
}

export function vcpuItem(d: XenDomainInfo, v: XenVcpuInfo): ItemText {
  const root = BigInt(v.guestTable) !== 0n ? ` · L4 mfn ${v.guestTable}` : '';
  return {
    label: `vCPU ${v.id}`,
    description: `CPU ${v.processor} · ${vcpuState(v)}${root}`,
    tooltip: [
      `d${d.id} vCPU ${v.id} on CPU ${v.processor}: ${vcpuState(v)}`,
      `guest_table mfn ${v.guestTable} (PA ${h(BigInt(v.guestTable) << 12n)})${BigInt(v.guestTableUser) ? `, guest_table_user mfn ${v.guestTableUser}` : ''}`,
      `cr3 ${v.cr3}; struct vcpu ${v.va}`,
      d.type === 'pv' && BigInt(v.guestTable) !== 0n ? 'Open its tables in the Page Tables view (the inline action).' : '',
    ].filter(Boolean).join('\n'),
  };
}

/** The name a vCPU's root gets in the Page Tables view. */
export function vcpuRootName(d: XenDomainInfo, v: XenVcpuInfo): string {
  return `d${d.id} vCPU ${v.id} guest_table`;
}

export const IDLE_ROOT_ITEM: ItemText = {
  label: "Xen's own tables (idle_pg_table)",
  description: 'the idle vCPUs’ root',
  tooltip: "idle_pg_table: the tables Xen runs on when no guest does. Expanded in the Page Tables view, its slots show where map_pages_to_xen() mapped 2 MiB and 1 GiB pages and where it fell back to 4 KiB ones.",
};

// ---- Xen Layout ----

export function regionItem(r: XenRegion, layout: XenLayout): ItemText {
  const w = layout.mode === 'long4' ? 16 : 8;
  const slots = r.pml4 ? (r.pml4[0] === r.pml4[1] ? `slot ${r.pml4[0]}` : `slots ${r.pml4[0]}-${r.pml4[1]}`) : undefined;
  return {
    label: `0x${r.start.toString(16).padStart(w, '0')} ${r.name}`,
    description: [sizeText(r.end - r.start), slots].filter(Boolean).join(' · '),
    tooltip: `${r.description}\n${h(r.start)}-${h(r.end - 1n)} (${sizeText(r.end - r.start)})${slots ? `, PML4 ${slots}` : ''}\n${r.source}`,
  };
}

// ---- the Page Tables tree ----

/** PML4 slots Xen reserves in every 64-bit PV guest's top-level table (ROOT_PAGETABLE_FIRST/LAST_XEN_SLOT). */
export const XEN_SLOTS: readonly [number, number] = [256, 271];

/**
 * The label a PV guest's (or Xen's) top-level entry gets: Xen's region name for slots 256-271
 * (`Xen: direct-map`), nothing elsewhere.
 */
export function slotNote(index: number, layout: XenLayout): string | undefined {
  if (index < XEN_SLOTS[0] || index > XEN_SLOTS[1]) return undefined;
  const names = layout.regions.filter((r) => r.pml4 && index >= r.pml4[0] && index <= r.pml4[1] && r.kind !== 'guest').map((r) => r.name);
  return `Xen: ${names.join(', ')}`;
}

/** `pfn 0x123` beside an entry whose MFN a guest owns; M2P's word when it does not. */
export function pfnNote(m2p: { kind: string; pfn?: string }): string {
  if (m2p.kind === 'pfn') return `pfn ${m2p.pfn}`;
  if (m2p.kind === 'invalid') return 'no pfn (~0)';
  return `M2P: ${m2p.kind}`;
}

/** page_info of a frame in a few lines: the tree's tooltip and the frame editor's header. */
export function pageInfoLines(f: XenFrameInfoResult): string[] {
  return [
    `page_info of mfn ${f.mfn}: count_info ${f.countInfo.raw} (${countInfoText(f.countInfo)})`,
    `type_info ${f.typeInfo.raw} (${typeInfoText(f.typeInfo)}); owner ${ownerText(f)}; M2P ${f.m2p.pfn ? `pfn ${f.m2p.pfn}` : f.m2p.meaning}`,
    ...(f.validatedPageTable ? [VALIDATED_WARNING] : []),
  ];
}

/** Where a VA lands in Xen's layout, for a hover line. */
export function regionHoverLine(va: bigint, layout: XenLayout): string | undefined {
  const r = layout.regions.find((x) => va >= x.start && va < x.end);
  if (!r) return undefined;
  const slot = layout.mode === 'long4' ? `, PML4 slot ${pml4SlotOf(va)}` : '';
  return `Xen ${r.name} (+${h(va - r.start)}${slot}): ${r.description}`;
}

// ---- P2M ----

export function p2mSummaryItem(r: XenP2mResult): ItemText {
  const t = r.totals;
  return {
    label: `P2M of ${r.domain !== undefined ? `d${r.domain}` : 'the guest'}`,
    description: `${t.mfn} mapped · ${t.identity} identity · ${t.missing} missing${t.foreign ? ` · ${t.foreign} foreign` : ''}`,
    tooltip: `${r.source.kind === 'linear' ? 'Linear list' : 'Three-level tree'} at ${r.source.address}, ${r.source.entries} entries, from ${r.source.from}; read through CR3 ${r.source.cr3}`,
  };
}

export function p2mRunItem(run: P2mRunInfo): ItemText {
  const last = BigInt(run.pfnEnd) - 1n;
  const mfns = run.mfn ? ` → mfn ${run.mfn}-${h(BigInt(run.mfn) + BigInt(run.pages) - 1n)}` : '';
  return {
    label: `${run.pfn}-${h(last)} ${run.kind}`,
    description: `${run.pages} page${run.pages === 1 ? '' : 's'}${mfns}${run.e820 ? ` · E820 ${run.e820}` : ''}`,
  };
}

export function e820Item(e: { start: string; end: string; type: string }): ItemText {
  return { label: `${e.start}-${h(BigInt(e.end) - 1n)}`, description: e.type };
}

export function sharedPageItem(s: { name: string; mfn: string; pages: number }): ItemText {
  return { label: s.name, description: `mfn ${s.mfn} · backs ${s.pages} pages of the list` };
}

export function checkItem(r: XenP2mResult): ItemText | undefined {
  const c = r.check;
  if (!c) return undefined;
  return c.mismatches.length
    ? { label: `M2P check: ${c.mismatches.length} of ${c.checked} mapped pfns disagree`, tooltip: c.mismatches.slice(0, 50).map((m) => `pfn ${m.pfn} → mfn ${m.mfn}, m2p ${m.m2p}`).join('\n') }
    : { label: `M2P check: m2p[p2m[pfn]] == pfn for all ${c.checked} mapped pfns` };
}

// ---- hovers ----

/** Xen's part of an x86_64 address space: PML4 slots 256-271 (Linux leaves them to the hypervisor). */
const XEN_HALF_START = 0xffff_8000_0000_0000n;
const XEN_HALF_END = 0xffff_8800_0000_0000n;

/** The hover's Xen line for a number that lies in Xen's slots: which region of `layout`, and what it holds. */
export function xenHoverLine(value: bigint, layout: XenLayout): string | undefined {
  if (value < XEN_HALF_START || value >= XEN_HALF_END) return undefined;
  const line = regionHoverLine(value, layout);
  return line ? `${layout.name}: ${line}` : undefined;
}

/** The hover's line for an MFN: the pfn its owner maps it at, by the M2P. */
export function m2pHoverLine(mfn: bigint, e: { kind: string; pfn?: string; meaning: string }): string {
  return e.kind === 'pfn' ? `mfn ${h(mfn)} → pfn ${e.pfn} (M2P)` : `mfn ${h(mfn)}: ${e.meaning}`;
}
