import type {
  M2pEntryInfo,
  P2mKindName,
  XenBuildInfo,
  XenDomainsResult,
  XenFrameInfoResult,
  XenM2pResult,
  XenP2mResult,
  XenRegionResult,
  XenStartInfoResult,
} from '../shared/xenRequests';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { e820TypeName, e820TypesIn, layoutFor, type M2pEntry, M2pReader, parseArch, PGT, readStartInfo, regionLines, regionOf } from '../xen';
import type { PvGuest } from './pvGuest';
import type { XenSystem } from './xenSystem';

/**
 * The answers of the Xen commands and requests, as the objects `--json` prints and the
 * `hyperframe/xen/*` requests return (shared/xenRequests.ts). The CLI and the adapter both build
 * them here; xenText.ts turns them into the lines the user reads.
 */

export function buildInfo(xen: XenSystem): XenBuildInfo {
  const b = xen.build;
  return { name: b.name, version: b.version, ...(xen.buildId ? { buildId: xen.buildId } : {}), offsets: b.source };
}

export async function domainsResult(xen: XenSystem): Promise<XenDomainsResult> {
  const domains = await xen.domains();
  return {
    build: buildInfo(xen),
    domainList: hex(xen.domainListVa()),
    idlePgTable: { va: hex(xen.idlePgTableVa), pa: hex(xen.idlePgTable) },
    domains: domains.map((d) => ({
      id: d.id,
      type: d.hvm ? 'hvm' : 'pv',
      ...(d.pv ? { bits: d.pv.is32bit ? (32 as const) : (64 as const) } : {}),
      privileged: d.privileged,
      dying: d.dying,
      totPages: d.totPages,
      maxPages: d.maxPages,
      xenheapPages: d.xenheapPages,
      outstandingPages: d.outstandingPages,
      extraPages: d.extraPages,
      maxVcpus: d.maxVcpus,
      refcnt: d.refcnt,
      pauseCount: d.pauseCount,
      options: d.optionNames,
      ...(d.pv ? { nrL4Pages: d.pv.nrL4Pages, xpti: d.pv.xpti, pcid: d.pv.pcid } : {}),
      sharedInfo: hex(d.sharedInfoVa),
      va: hex(d.va),
      vcpus: d.vcpus.map((v) => ({
        id: v.id,
        processor: v.processor,
        running: v.running,
        pauseFlags: v.pauseFlagNames,
        guestTable: hex(v.guestTableMfn),
        guestTableUser: hex(v.guestTableUserMfn),
        cr3: hex(v.cr3),
        va: hex(v.va),
      })),
    })),
  };
}

/** Seed 004 in the UI: what one M2P value means. */
export function m2pMeaning(e: M2pEntry, entryBytes: 4 | 8): string {
  switch (e.kind) {
    case 'pfn':
      return `pfn ${hex(e.pfn!)}: the owner maps this frame at that guest frame`;
    case 'invalid':
      return `INVALID_M2P_ENTRY (~0): no guest owns this frame (free, or Xen's own)`;
    case 'shared':
      return 'SHARED_M2P_ENTRY (~0 - 1): a page shared between domains (memory sharing)';
    case 'debug-pattern':
      return `${entryBytes === 8 ? '0x5555555555555555' : '0x55555555'}: the debug pattern Xen 3.x wrote into every entry at boot; never written since, never owned`;
    case 'not-valid':
      return 'top bit set (!VALID_M2P): not a pfn';
  }
}

export function m2pEntryInfo(e: M2pEntry, entryBytes: 4 | 8): M2pEntryInfo {
  return { mfn: hex(e.mfn), raw: hex(e.raw), kind: e.kind, ...(e.pfn !== undefined ? { pfn: hex(e.pfn) } : {}), meaning: m2pMeaning(e, entryBytes) };
}

const MAX_M2P_ENTRIES = 4096;

export async function m2pResult(xen: XenSystem, mfn: bigint, count = 1): Promise<XenM2pResult> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_M2P_ENTRIES) throw new HyperFrameError('BAD_ARGUMENT', `count must be 1..${MAX_M2P_ENTRIES}, not ${count}`);
  const reader = xen.m2p();
  const end = mfn + BigInt(count);
  if (xen.maxPage && end > xen.maxPage) throw new HyperFrameError('OUT_OF_RANGE', `mfn ${hex(end - 1n)} is at or beyond max_page ${hex(xen.maxPage)}: the M2P has no entry for it`);
  const entries = await reader.read(mfn, end);
  return { base: hex(reader.opts.base), entryBytes: reader.opts.entryBytes, maxPage: hex(xen.maxPage), entries: entries.map((e) => m2pEntryInfo(e, reader.opts.entryBytes)) };
}

/** The M2P entries of scattered frames (the targets of a table's entries), one read each. */
export async function m2pListResult(xen: XenSystem, mfns: readonly bigint[]): Promise<XenM2pResult> {
  if (mfns.length > MAX_M2P_ENTRIES) throw new HyperFrameError('BAD_ARGUMENT', `at most ${MAX_M2P_ENTRIES} frames at once, not ${mfns.length}`);
  const reader = xen.m2p();
  const entries: M2pEntryInfo[] = [];
  for (const mfn of mfns) {
    if (xen.maxPage && mfn >= xen.maxPage) entries.push({ mfn: hex(mfn), raw: '0x0', kind: 'not-valid', meaning: 'no entry: the frame is at or past max_page (MMIO, or not RAM)' });
    else entries.push(m2pEntryInfo((await reader.read(mfn, mfn + 1n))[0], reader.opts.entryBytes));
  }
  return { base: hex(reader.opts.base), entryBytes: reader.opts.entryBytes, maxPage: hex(xen.maxPage), entries };
}

export async function frameInfoResult(xen: XenSystem, mfn: bigint): Promise<XenFrameInfoResult> {
  const f = await xen.pageInfo(mfn);
  const m2p = (await xen.m2p().read(mfn, mfn + 1n))[0];
  const t = f.info.typeInfo;
  return {
    mfn: hex(mfn),
    pageInfo: hex(f.va),
    countInfo: { raw: hex(f.info.countInfo.raw), flags: f.info.countInfo.flags, state: f.info.countInfo.state, count: Number(f.info.countInfo.count) },
    typeInfo: { raw: hex(t.raw), type: t.typeName, flags: t.flags, count: Number(t.count) },
    ownerPdx: hex(f.info.v),
    ...(f.owner ? { owner: { domain: f.owner.domain, va: hex(f.owner.va) } } : {}),
    validatedPageTable: t.type.endsWith('page_table') && (t.raw & PGT.validated) !== 0n,
    m2p: m2pEntryInfo(m2p, xen.m2p().opts.entryBytes),
    build: xen.build.name,
  };
}

export interface P2mRequest {
  check?: boolean;
}

export async function p2mResult(guest: PvGuest, req: P2mRequest = {}): Promise<XenP2mResult> {
  const p = await guest.p2m();
  const e820 = await guest.e820().catch(() => undefined);
  const totals: Record<P2mKindName, number> = { missing: 0, identity: 0, foreign: 0, mfn: 0 };
  for (const r of p.runs) totals[r.kind] += Number(r.pfnEnd - r.pfnStart);
  const out: XenP2mResult = {
    ...(guest.domain ? { domain: guest.domain.id } : {}),
    source: { kind: p.kind, from: p.from, address: hex(p.address), entries: hex(p.entries), cr3: hex(p.cr3) },
    runs: p.runs.map((r) => ({
      pfn: hex(r.pfnStart),
      pfnEnd: hex(r.pfnEnd),
      pages: Number(r.pfnEnd - r.pfnStart),
      kind: r.kind,
      ...(r.mfnStart !== undefined && (r.kind === 'mfn' || r.kind === 'foreign') ? { mfn: hex(r.mfnStart) } : {}),
      ...(e820 ? { e820: e820TypesIn(e820, r.pfnStart << 12n, r.pfnEnd << 12n) } : {}),
    })),
    ...(e820 ? { e820: e820.map((e) => ({ start: hex(e.start), end: hex(e.end), type: e820TypeName(e.type) })) } : {}),
    sharedPages: p.sharedPages.map((s) => ({ name: s.name, mfn: hex(s.mfn), pages: s.pages })),
    totals,
  };
  if (req.check) out.check = await checkAgainstM2p(guest, p.runs);
  return out;
}

/** m2p[p2m[pfn]] == pfn for every mapped pfn, reading the read-only M2P the guest itself maps. */
async function checkAgainstM2p(guest: PvGuest, runs: Awaited<ReturnType<PvGuest['p2m']>>['runs']): Promise<NonNullable<XenP2mResult['check']>> {
  const layout = layoutFor();
  const m2p = M2pReader.forLayout(guest.reader, layout, 'read-only');
  const mismatches: { pfn: string; mfn: string; m2p: string }[] = [];
  let checked = 0;
  for (const r of runs) {
    if (r.kind !== 'mfn') continue;
    const n = r.pfnEnd - r.pfnStart;
    const entries = await m2p.read(r.mfnStart!, r.mfnStart! + n);
    entries.forEach((e, i) => {
      checked++;
      const pfn = r.pfnStart + BigInt(i);
      if (e.kind !== 'pfn' || e.pfn !== pfn) mismatches.push({ pfn: hex(pfn), mfn: hex(e.mfn), m2p: hex(e.raw) });
    });
  }
  return { checked, mismatches };
}

export interface StartInfoRequest {
  at?: bigint;
}

export async function startInfoResult(guest: PvGuest, req: StartInfoRequest = {}): Promise<XenStartInfoResult> {
  const where = req.at !== undefined ? { va: req.at, found: 'given' } : await guest.startInfoVa();
  if (!where) throw new HyperFrameError('BAD_ARGUMENT', `no start_info address: load the guest kernel's System.map or vmlinux (xen_start_info), or give the page's address`);
  const si = await readStartInfo(guest.reader, where.va);
  const pa = await guest.reader.physicalOf(where.va);
  const ptBasePa = await guest.reader.physicalOf(si.ptBase);
  const ptBaseMfn = ptBasePa === undefined ? undefined : ptBasePa >> 12n;
  const live: XenStartInfoResult['live'] = [];
  const n = await guest.target.vcpuCount();
  for (let vcpu = 0; vcpu < n; vcpu++) {
    const regs = await guest.target.controlRegs(vcpu).catch(() => undefined);
    if (regs) live.push({ vcpu, cr3: hex(regs.cr3), isPtBase: ptBaseMfn !== undefined && (regs.cr3 & ~0xfffn & ((1n << 52n) - 1n)) >> 12n === ptBaseMfn });
  }
  return {
    va: hex(where.va),
    found: where.found,
    ...(pa !== undefined ? { mfn: hex(pa >> 12n) } : {}),
    magic: si.magic,
    nrPages: hex(si.nrPages),
    sharedInfo: hex(si.sharedInfo),
    flags: si.flagNames,
    storeMfn: hex(si.storeMfn),
    storeEvtchn: si.storeEvtchn,
    console: si.console.kind === 'dom0' ? si.console : { kind: 'domU', mfn: hex(si.console.mfn), evtchn: si.console.evtchn },
    ptBase: hex(si.ptBase),
    ...(ptBaseMfn !== undefined ? { ptBaseMfn: hex(ptBaseMfn) } : {}),
    nrPtFrames: hex(si.nrPtFrames),
    mfnList: hex(si.mfnList),
    modStart: hex(si.modStart),
    modLen: hex(si.modLen),
    cmdLine: si.cmdLine,
    firstP2mPfn: hex(si.firstP2mPfn),
    nrP2mFrames: hex(si.nrP2mFrames),
    live,
    problems: si.problems,
  };
}

export interface RegionRequest {
  xen?: string;
  arch?: string;
  context?: 'pv' | 'idle';
}

/** Where `va` falls in Xen's layout: a pure answer, from the version and architecture asked. */
export function regionResult(va: bigint, req: RegionRequest = {}): XenRegionResult {
  const layout = layoutFor({ xen: req.xen, arch: req.arch === undefined ? undefined : parseArch(req.arch), context: req.context });
  const hit = regionOf(va, layout);
  if (!hit) return { va: hex(va), layout: layout.name, lines: [`${hex(va)}  ${layout.name}: outside the address space`] };
  const r = hit.region;
  return {
    va: hex(va),
    layout: layout.name,
    region: { name: r.name, kind: r.kind, start: hex(r.start), end: hex(r.end), description: r.description, source: r.source, ...(r.pml4 ? { pml4: [r.pml4[0], r.pml4[1]] as [number, number] } : {}) },
    lines: regionLines(hit, layout),
  };
}

