import type {
  M2pEntryInfo,
  P2mRunInfo,
  XenDomainInfo,
  XenDomainsResult,
  XenFrameInfoResult,
  XenM2pResult,
  XenP2mResult,
  XenStartInfoResult,
  XenVcpuInfo,
} from '../shared/xenRequests';

/**
 * The Xen answers as the lines a user reads: `hyperframe domains|m2p|frame|p2m|startinfo` print
 * them, and the views reuse the same words. Pure: results in, strings out. Xen's own names are
 * kept (nr_pages, max_pages, xenheap_pages, guest_table) so that the text reads like the `q`
 * debug key's dump it can be checked against.
 */

const NO_LIMIT = 0xffff_ffff;
const h = (v: bigint | number): string => `0x${BigInt(v).toString(16)}`;
const big = (hexText: string): bigint => BigInt(hexText);

export function domainKind(d: XenDomainInfo): string {
  const kind = d.type === 'hvm' ? 'HVM' : `PV ${d.bits ?? 64}-bit`;
  return [kind, d.privileged ? 'privileged' : '', d.dying !== 'alive' ? d.dying : ''].filter(Boolean).join(', ');
}

export function maxPagesText(maxPages: number): string {
  return maxPages === NO_LIMIT ? `${maxPages} (no limit)` : String(maxPages);
}

export function vcpuState(v: XenVcpuInfo): string {
  if (v.running) return 'running';
  return v.pauseFlags.length ? v.pauseFlags.join(' ') : 'runnable';
}

export function vcpuLine(v: XenVcpuInfo): string {
  const user = big(v.guestTableUser) !== 0n ? `  user ${v.guestTableUser}` : '';
  return `vCPU ${v.id}  CPU ${v.processor}  ${vcpuState(v)}  guest_table mfn ${v.guestTable}${user}  cr3 ${v.cr3}`;
}

export function domainLine(d: XenDomainInfo): string {
  const pv = d.nrL4Pages !== undefined ? `  nr_l4_pages ${d.nrL4Pages}${d.xpti ? '  XPTI' : ''}` : '';
  return `d${d.id}  ${domainKind(d)}  nr_pages ${d.totPages}  max_pages ${maxPagesText(d.maxPages)}  xenheap_pages ${d.xenheapPages}  vCPUs ${d.vcpus.length} of ${d.maxVcpus}${pv}  refcnt ${d.refcnt}  struct domain ${d.va}`;
}

export function domainsLines(r: XenDomainsResult): string[] {
  const id = r.build.buildId ? `, build-id ${r.build.buildId}` : '';
  const out = [
    `# ${r.build.name}${id}; domain_list ${r.domainList}`,
    `# Xen's own tables: idle_pg_table ${r.idlePgTable.va} at PA ${r.idlePgTable.pa} (hyperframe walk --root ${r.idlePgTable.pa} --mode long4)`,
  ];
  for (const d of r.domains) out.push(domainLine(d), ...d.vcpus.map((v) => `  ${vcpuLine(v)}`));
  if (!r.domains.length) out.push('(no domains on domain_list)');
  return out;
}

export function m2pLine(e: M2pEntryInfo): string {
  return `mfn ${e.mfn}  ${e.raw}  ${e.meaning}`;
}

export function m2pLines(r: XenM2pResult): string[] {
  return [`# machine_to_phys_mapping at ${r.base}, ${r.entryBytes}-byte entries, max_page ${r.maxPage}`, ...r.entries.map(m2pLine)];
}

/** PGC_ flags, state and count: `PGC_allocated, inuse, count 4`. */
export function countInfoText(c: XenFrameInfoResult['countInfo']): string {
  return [...c.flags, c.state, `count ${c.count}`].join(', ');
}

/** Page type, PGT_ flags and type count: `PGT_l4_page_table, PGT_pinned PGT_validated, type count 2`. */
export function typeInfoText(t: XenFrameInfoResult['typeInfo']): string {
  return [t.type, t.flags.join(' '), `type count ${t.count}`].filter(Boolean).join(', ');
}

export function ownerText(r: XenFrameInfoResult): string {
  if (r.owner) return `d${r.owner.domain} (struct domain ${r.owner.va})`;
  return big(r.ownerPdx) === 0n ? 'none (anonymous)' : `pdx ${r.ownerPdx} (not in use)`;
}

export const VALIDATED_WARNING =
  "Xen has validated this frame as a page table: writing it directly bypasses Xen's reference counts and checks (a PV guest changes it with mmu_update).";

export function frameInfoLines(r: XenFrameInfoResult): string[] {
  const mfn = big(r.mfn);
  return [
    `mfn ${r.mfn} (machine address ${h(mfn << 12n)}), page_info at ${r.pageInfo} (${r.build})`,
    `  count_info ${r.countInfo.raw}  ${countInfoText(r.countInfo)}`,
    `  type_info  ${r.typeInfo.raw}  ${typeInfoText(r.typeInfo)}`,
    `  owner      ${ownerText(r)}`,
    `  M2P        ${r.m2p.raw}  ${r.m2p.meaning}`,
    ...(r.validatedPageTable ? [`  ${VALIDATED_WARNING}`] : []),
  ];
}

export function p2mRunLine(r: P2mRunInfo): string {
  const pfnEnd = big(r.pfnEnd) - 1n;
  const range = `${r.pfn}-${h(pfnEnd)}`.padEnd(24);
  const mfn = r.mfn ? `${r.mfn}-${h(big(r.mfn) + BigInt(r.pages) - 1n)}` : '';
  return `${range} ${String(r.pages).padStart(9)}  ${r.kind.padEnd(8)}  ${mfn.padEnd(24)}${r.e820 ? ` ${r.e820}` : ''}`.trimEnd();
}

export function p2mLines(r: XenP2mResult): string[] {
  const who = r.domain !== undefined ? `d${r.domain}` : 'the guest';
  const t = r.totals;
  const out = [
    `# P2M of ${who}: ${r.source.kind === 'linear' ? 'linear list' : 'three-level tree'} at ${r.source.address}, ${r.source.entries} entries (${r.source.from}), read through CR3 ${r.source.cr3}`,
    `# ${t.mfn} mapped, ${t.identity} identity, ${t.foreign} foreign, ${t.missing} missing`,
    `${'PFN'.padEnd(24)} ${'pages'.padStart(9)}  ${'kind'.padEnd(8)}  ${'MFN'.padEnd(24)}${r.e820 ? ' E820' : ''}`.trimEnd(),
    ...r.runs.map(p2mRunLine),
  ];
  for (const s of r.sharedPages) out.push(`# ${s.name} (mfn ${s.mfn}) backs ${s.pages} pages of the list`);
  if (r.e820) out.push(`# E820: ${r.e820.map((e) => `${e.start}-${h(big(e.end) - 1n)} ${e.type}`).join('; ')}`);
  if (r.check) {
    const c = r.check;
    if (!c.mismatches.length) out.push(`# check: m2p[p2m[pfn]] == pfn for all ${c.checked} mapped pfns`);
    else {
      out.push(`# check: ${c.mismatches.length} of ${c.checked} mapped pfns disagree with the M2P`);
      for (const m of c.mismatches.slice(0, 100)) out.push(`  pfn ${m.pfn} → mfn ${m.mfn}, but m2p[${m.mfn}] = ${m.m2p}`);
      if (c.mismatches.length > 100) out.push(`  … and ${c.mismatches.length - 100} more (--json lists them all)`);
    }
  }
  return out;
}

export function startInfoLines(r: XenStartInfoResult): string[] {
  const pages = Number(big(r.nrPages));
  const con = r.console.kind === 'dom0' ? `dom0: console info at +${h(r.console.infoOff)} (${r.console.infoSize} bytes)` : `domU: mfn ${r.console.mfn}, event channel ${r.console.evtchn}`;
  const live = r.live.map((l) => `vCPU ${l.vcpu} ${l.cr3}: ${l.isPtBase ? "pt_base's table is live" : 'not pt_base (the guest runs on tables of its own)'}`);
  return [
    `start_info at ${r.va} (${r.found})${r.mfn ? `, mfn ${r.mfn}` : ''}`,
    `  magic          ${r.magic}`,
    `  nr_pages       ${r.nrPages} (${pages} pages, ${pages >> 8} MiB)`,
    `  shared_info    ${r.sharedInfo} (machine address)`,
    `  flags          ${r.flags.join(' ') || '(none)'}`,
    `  store          mfn ${r.storeMfn}, event channel ${r.storeEvtchn}`,
    `  console        ${con}`,
    `  pt_base        ${r.ptBase}${r.ptBaseMfn ? ` → mfn ${r.ptBaseMfn}` : ' (not mapped now)'}, ${Number(big(r.nrPtFrames))} frames of initial tables`,
    `  mfn_list       ${r.mfnList} (the P2M list: Xen's at boot; a Linux guest points it at its own)`,
    `  mod_start      ${r.modStart}, mod_len ${r.modLen}`,
    `  cmd_line       ${JSON.stringify(r.cmdLine)}`,
    `  first_p2m_pfn  ${r.firstP2mPfn}, nr_p2m_frames ${r.nrP2mFrames}`,
    ...live.map((l, i) => `  ${i === 0 ? 'live CR3      ' : '              '} ${l}`),
    ...r.problems.map((p) => `  problem: ${p}`),
  ];
}
