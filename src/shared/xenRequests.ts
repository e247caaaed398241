/**
 * The `hyperframe/xen/*` requests: what the Xen views ask the adapter, and what the CLI's Xen
 * commands print with --json (the same objects; docs/cli-json.md and docs/dap-custom-requests.md
 * describe them). Conventions as in dapRequests.ts: 64-bit values as `0x…` strings, counts that
 * stay below 2^53 as numbers.
 */
import type { AddressArg, Hex } from './dapRequests';

/** The hypervisor build whose structures were read. */
export interface XenBuildInfo {
  /** "Xen 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1)". */
  name: string;
  version: string;
  /** The GNU build-id the running hypervisor carries (absent when it could not be read). */
  buildId?: string;
  /** Where the struct offsets come from. */
  offsets: string;
}

// ---- hyperframe/xen/domains ----

export interface XenVcpuInfo {
  id: number;
  /** The physical CPU it runs on or last ran on. */
  processor: number;
  running: boolean;
  /** VPF_* names of the set pause flags (`blocked`, `down`, …); empty: runnable. */
  pauseFlags: string[];
  /** arch.guest_table: mfn of the top-level table (PV: the guest's CR3); `0x0` when none. */
  guestTable: Hex;
  /** arch.guest_table_user: a 64-bit PV guest's user-mode top-level table. */
  guestTableUser: Hex;
  /** arch.cr3: the machine address Xen loads into CR3 for this vCPU. */
  cr3: Hex;
  /** Xen VA of the struct vcpu. */
  va: Hex;
}

export interface XenDomainInfo {
  id: number;
  type: 'pv' | 'hvm';
  /** PV: 64 or 32 (arch.pv.is_32bit). */
  bits?: 32 | 64;
  privileged: boolean;
  dying: 'alive' | 'dying' | 'dead';
  totPages: number;
  /** 4294967295: no limit set. */
  maxPages: number;
  xenheapPages: number;
  outstandingPages: number;
  extraPages: number;
  maxVcpus: number;
  refcnt: number;
  pauseCount: number;
  /** XEN_DOMCTL_CDF_* names. */
  options: string[];
  /** PV: arch.pv.nr_l4_pages, arch.pv.xpti, arch.pv.pcid. */
  nrL4Pages?: number;
  xpti?: boolean;
  pcid?: boolean;
  sharedInfo: Hex;
  /** Xen VA of the struct domain. */
  va: Hex;
  vcpus: XenVcpuInfo[];
}

export interface XenDomainsResult {
  build: XenBuildInfo;
  /** VA of the `domain_list` variable. */
  domainList: Hex;
  /** Xen's own tables: `idle_pg_table`'s VA and the physical address of that top-level table. */
  idlePgTable: { va: Hex; pa: Hex };
  domains: XenDomainInfo[];
}

// ---- hyperframe/xen/m2p ----

export type M2pKindName = 'pfn' | 'invalid' | 'shared' | 'not-valid' | 'debug-pattern';

export interface XenM2pArgs {
  /** `count` entries from `mfn` (default 1, at most 4096), or the entries of a list of frames `mfns` (at most 4096). */
  mfn?: AddressArg;
  count?: number;
  mfns?: AddressArg[];
}

export interface M2pEntryInfo {
  mfn: Hex;
  /** The entry as stored. */
  raw: Hex;
  kind: M2pKindName;
  /** For `pfn`: the guest frame its owner maps this machine frame at. */
  pfn?: Hex;
  /** What the value means, in words. */
  meaning: string;
}

export interface XenM2pResult {
  /** VA of machine_to_phys_mapping[0] read through, and the entry size. */
  base: Hex;
  entryBytes: 4 | 8;
  /** max_page: frames past it have no M2P entry. */
  maxPage: Hex;
  entries: M2pEntryInfo[];
}

// ---- hyperframe/xen/frameInfo ----

export interface XenFrameInfoArgs {
  mfn: AddressArg;
}

export interface XenFrameInfoResult {
  mfn: Hex;
  /** VA of frame_table[pdx(mfn)]. */
  pageInfo: Hex;
  countInfo: { raw: Hex; flags: string[]; state: string; count: number };
  typeInfo: { raw: Hex; type: string; flags: string[]; count: number };
  /** v.inuse._domain, a pdx (0: anonymous); meaningful while the page is in use. */
  ownerPdx: Hex;
  owner?: { domain: number; va: Hex };
  /** True when Xen has validated the frame as a page table: writing it bypasses Xen's checks. */
  validatedPageTable: boolean;
  m2p: M2pEntryInfo;
  build: string;
}

// ---- hyperframe/xen/p2m ----

export interface XenP2mArgs {
  /** A PV domain's id: its P2M found through its shared_info (default: the guest the symbols describe, else domain 0). */
  domain?: number;
  /** Check m2p[p2m[pfn]] == pfn for every mapped pfn. */
  check?: boolean;
}

export type P2mKindName = 'missing' | 'identity' | 'foreign' | 'mfn';

export interface P2mRunInfo {
  pfn: Hex;
  /** Exclusive. */
  pfnEnd: Hex;
  pages: number;
  kind: P2mKindName;
  /** Machine frame of `pfn` ('mfn' and 'foreign' runs; the run's frames follow on). */
  mfn?: Hex;
  /** The E820 types of the guest's memory map the run lies over, in order (`usable`; `gap, reserved`). */
  e820?: string;
}

export interface E820EntryInfo {
  start: Hex;
  /** Exclusive. */
  end: Hex;
  type: string;
}

export interface P2mSharedPageInfo {
  /** `p2m_missing`, `p2m_identity`, or `shared` when the guest's symbols do not name it. */
  name: string;
  mfn: Hex;
  /** Pages of the list mapped to this one frame. */
  pages: number;
}

export interface XenP2mResult {
  domain?: number;
  /** How the P2M was found and read. */
  source: { kind: 'linear' | 'tree'; from: string; address: Hex; entries: Hex; cr3: Hex };
  runs: P2mRunInfo[];
  /** The guest's own memory map (Linux's e820_table_firmware), when its symbols are loaded. */
  e820?: E820EntryInfo[];
  sharedPages: P2mSharedPageInfo[];
  totals: Record<P2mKindName, number>;
  check?: { checked: number; mismatches: { pfn: Hex; mfn: Hex; m2p: Hex }[] };
}

// ---- hyperframe/xen/startInfo ----

export interface XenStartInfoArgs {
  /** Guest VA of the page (default: the guest's `xen_start_info`). */
  at?: AddressArg;
  vcpu?: number;
}

export interface XenStartInfoResult {
  /** Guest VA read, and how it was found. */
  va: Hex;
  found: string;
  mfn?: Hex;
  magic: string;
  nrPages: Hex;
  sharedInfo: Hex;
  flags: string[];
  storeMfn: Hex;
  storeEvtchn: number;
  console: { kind: 'dom0'; infoOff: number; infoSize: number } | { kind: 'domU'; mfn: Hex; evtchn: number };
  ptBase: Hex;
  /** The frame pt_base translates to in the guest's tables. */
  ptBaseMfn?: Hex;
  nrPtFrames: Hex;
  mfnList: Hex;
  modStart: Hex;
  modLen: Hex;
  cmdLine: string;
  firstP2mPfn: Hex;
  nrP2mFrames: Hex;
  /** Each vCPU's CR3 now, and whether it is still pt_base's table. */
  live: { vcpu: number; cr3: Hex; isPtBase: boolean }[];
  problems: string[];
}

// ---- hyperframe/xen/region ----

export interface XenRegionArgs {
  va: AddressArg;
  /** Xen version (default: the running build's, else 4.17). */
  xen?: string;
  arch?: string;
  context?: 'pv' | 'idle';
}

export interface XenRegionResult {
  va: Hex;
  layout: string;
  region?: { name: string; kind: string; start: Hex; end: Hex; description: string; source: string; pml4?: [number, number] };
  /** What `hyperframe region` prints. */
  lines: string[];
}

export interface XenRequests {
  'hyperframe/xen/domains': { args: Record<string, never>; result: XenDomainsResult };
  'hyperframe/xen/m2p': { args: XenM2pArgs; result: XenM2pResult };
  'hyperframe/xen/frameInfo': { args: XenFrameInfoArgs; result: XenFrameInfoResult };
  'hyperframe/xen/p2m': { args: XenP2mArgs; result: XenP2mResult };
  'hyperframe/xen/startInfo': { args: XenStartInfoArgs; result: XenStartInfoResult };
  'hyperframe/xen/region': { args: XenRegionArgs; result: XenRegionResult };
}

export const XEN_REQUEST_NAMES: readonly (keyof XenRequests)[] = [
  'hyperframe/xen/domains',
  'hyperframe/xen/m2p',
  'hyperframe/xen/frameInfo',
  'hyperframe/xen/p2m',
  'hyperframe/xen/startInfo',
  'hyperframe/xen/region',
];
