import { describe, expect, it } from 'vitest';
import type { XenDomainsResult, XenFrameInfoResult, XenP2mResult } from '../../src/shared/xenRequests';
import { decodeM2pEntry } from '../../src/xen';
import { m2pEntryInfo } from '../../src/xenTarget/results';
import { domainsLines, frameInfoLines, m2pLine, p2mLines } from '../../src/xenText/xenText';

// The values are those a Debian Xen 4.17.7 boot under QEMU printed (its 'q' debug key and HyperFrame's
// reads); the lines are what `hyperframe domains|frame|m2p|p2m` show for them.
const domains: XenDomainsResult = {
  build: { name: 'Xen 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1)', version: '4.17.7', buildId: '151b373fd64b321593bf987fd923cd10dabadac4', offsets: 'x' },
  domainList: '0xffff82d04057b380',
  idlePgTable: { va: '0xffff82d04046e000', pa: '0x3fc6e000' },
  domains: [
    {
      id: 0, type: 'pv', bits: 64, privileged: true, dying: 'alive', totPages: 65536, maxPages: 4294967295, xenheapPages: 2, outstandingPages: 0, extraPages: 0,
      maxVcpus: 2, refcnt: 3, pauseCount: 0, options: ['oos_off'], nrL4Pages: 4, xpti: false, pcid: false, sharedInfo: '0xffff83003fdb3000', va: '0xffff83003ffc1000',
      vcpus: [
        { id: 0, processor: 0, running: false, pauseFlags: ['blocked'], guestTable: '0x32a10', guestTableUser: '0x0', cr3: '0x32a10000', va: '0xffff83003fd64000' },
        { id: 1, processor: 1, running: true, pauseFlags: [], guestTable: '0x34d04', guestTableUser: '0x3652c', cr3: '0x34d04000', va: '0xffff83003fd60000' },
      ],
    },
    {
      id: 1, type: 'hvm', privileged: false, dying: 'dying', totPages: 262144, maxPages: 262400, xenheapPages: 0, outstandingPages: 0, extraPages: 0,
      maxVcpus: 4, refcnt: 1, pauseCount: 1, options: ['hvm', 'hap'], sharedInfo: '0x0', va: '0xffff830020000000', vcpus: [],
    },
  ],
};

describe('the Xen commands as the user reads them', () => {
  it('domains, in the words of Xen\'s q dump', () => {
    expect(domainsLines(domains)).toEqual([
      '# Xen 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1), build-id 151b373fd64b321593bf987fd923cd10dabadac4; domain_list 0xffff82d04057b380',
      "# Xen's own tables: idle_pg_table 0xffff82d04046e000 at PA 0x3fc6e000 (hyperframe walk --root 0x3fc6e000 --mode long4)",
      'd0  PV 64-bit, privileged  nr_pages 65536  max_pages 4294967295 (no limit)  xenheap_pages 2  vCPUs 2 of 2  nr_l4_pages 4  refcnt 3  struct domain 0xffff83003ffc1000',
      '  vCPU 0  CPU 0  blocked  guest_table mfn 0x32a10  cr3 0x32a10000',
      '  vCPU 1  CPU 1  running  guest_table mfn 0x34d04  user 0x3652c  cr3 0x34d04000',
      'd1  HVM, dying  nr_pages 262144  max_pages 262400  xenheap_pages 0  vCPUs 0 of 4  refcnt 1  struct domain 0xffff830020000000',
    ]);
  });

  it("seed 004 in the UI: what an M2P value means", () => {
    expect(m2pLine(m2pEntryInfo(decodeM2pEntry(0n, 0xffff_ffff_ffff_ffffn, 8), 8))).toBe("mfn 0x0  0xffffffffffffffff  INVALID_M2P_ENTRY (~0): no guest owns this frame (free, or Xen's own)");
    expect(m2pLine(m2pEntryInfo(decodeM2pEntry(0x4n, 0x5555_5555n, 4), 4))).toBe(
      'mfn 0x4  0x55555555  0x55555555: the debug pattern Xen 3.x wrote into every entry at boot; never written since, never owned',
    );
    expect(m2pLine(m2pEntryInfo(decodeM2pEntry(0x30000n, 0n, 8), 8))).toBe('mfn 0x30000  0x0  pfn 0x0: the owner maps this frame at that guest frame');
  });

  it("a frame's page_info, with the warning for a validated page table", () => {
    const f: XenFrameInfoResult = {
      mfn: '0x32a10', pageInfo: '0xffff82e000654200',
      countInfo: { raw: '0x8000000000000004', flags: ['PGC_allocated'], state: 'inuse', count: 4 },
      typeInfo: { raw: '0x8c00000000000002', type: 'PGT_l4_page_table', flags: ['PGT_pinned', 'PGT_validated'], count: 2 },
      ownerPdx: '0x3ffc1', owner: { domain: 0, va: '0xffff83003ffc1000' }, validatedPageTable: true,
      m2p: m2pEntryInfo(decodeM2pEntry(0x32a10n, 0x2a10n, 8), 8), build: 'Xen 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1)',
    };
    expect(frameInfoLines(f)).toEqual([
      'mfn 0x32a10 (machine address 0x32a10000), page_info at 0xffff82e000654200 (Xen 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1))',
      '  count_info 0x8000000000000004  PGC_allocated, inuse, count 4',
      '  type_info  0x8c00000000000002  PGT_l4_page_table, PGT_pinned PGT_validated, type count 2',
      '  owner      d0 (struct domain 0xffff83003ffc1000)',
      '  M2P        0x2a10  pfn 0x2a10: the owner maps this frame at that guest frame',
      "  Xen has validated this frame as a page table: writing it directly bypasses Xen's reference counts and checks (a PV guest changes it with mmu_update).",
    ]);
  });

  it('P2M runs beside the E820, the shared pages and the check', () => {
    const p: XenP2mResult = {
      domain: 0,
      source: { kind: 'linear', from: 'xen_p2m_addr and xen_p2m_size (kernel symbols)', address: '0xffffc90000000000', entries: '0x8000000', cr3: '0x32a10000' },
      runs: [
        { pfn: '0x0', pfnEnd: '0x9f', pages: 159, kind: 'mfn', mfn: '0x30000', e820: 'usable' },
        { pfn: '0x9f', pfnEnd: '0x100', pages: 97, kind: 'identity', e820: 'gap, reserved' },
        { pfn: '0x10061', pfnEnd: '0x3ffe0', pages: 196479, kind: 'missing', e820: 'usable' },
      ],
      e820: [{ start: '0x0', end: '0x9f000', type: 'usable' }, { start: '0x9fc00', end: '0x100000', type: 'reserved' }],
      sharedPages: [{ name: 'p2m_identity', mfn: '0x3bc71', pages: 261632 }],
      totals: { missing: 196479, identity: 97, foreign: 0, mfn: 159 },
      check: { checked: 159, mismatches: [{ pfn: '0x5', mfn: '0x30005', m2p: '0xffffffffffffffff' }] },
    };
    expect(p2mLines(p)).toEqual([
      '# P2M of d0: linear list at 0xffffc90000000000, 0x8000000 entries (xen_p2m_addr and xen_p2m_size (kernel symbols)), read through CR3 0x32a10000',
      '# 159 mapped, 97 identity, 0 foreign, 196479 missing',
      'PFN                          pages  kind      MFN                      E820',
      '0x0-0x9e                       159  mfn       0x30000-0x3009e          usable',
      '0x9f-0xff                       97  identity                           gap, reserved',
      '0x10061-0x3ffdf             196479  missing                            usable',
      '# p2m_identity (mfn 0x3bc71) backs 261632 pages of the list',
      '# E820: 0x0-0x9efff usable; 0x9fc00-0xfffff reserved',
      '# check: 1 of 159 mapped pfns disagree with the M2P',
      '  pfn 0x5 → mfn 0x30005, but m2p[0x30005] = 0xffffffffffffffff',
    ]);
  });
});
