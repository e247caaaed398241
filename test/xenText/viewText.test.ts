import { describe, expect, it } from 'vitest';
import type { XenDomainInfo, XenFrameInfoResult } from '../../src/shared/xenRequests';
import { layoutFor } from '../../src/xen';
import { domainItem, IDLE_ROOT_ITEM, p2mRunItem, pageInfoLines, pfnNote, regionHoverLine, regionItem, slotNote, vcpuItem, vcpuRootName } from '../../src/xenText/viewText';

const d0: XenDomainInfo = {
  id: 0, type: 'pv', bits: 64, privileged: true, dying: 'alive', totPages: 65536, maxPages: 4294967295, xenheapPages: 2, outstandingPages: 0, extraPages: 0,
  maxVcpus: 2, refcnt: 3, pauseCount: 0, options: ['oos_off'], nrL4Pages: 4, xpti: false, pcid: false, sharedInfo: '0xffff83003fdb3000', va: '0xffff83003ffc1000',
  vcpus: [{ id: 0, processor: 1, running: false, pauseFlags: ['blocked'], guestTable: '0x32a10', guestTableUser: '0x0', cr3: '0x32a10000', va: '0xffff83003fd64000' }],
};

describe('what the Xen views show', () => {
  it('Xen Domains: a domain, its vCPU and the root it opens', () => {
    expect(domainItem(d0)).toEqual({
      label: 'Domain 0',
      description: 'PV 64-bit, privileged · 65536 pages · 1 vCPU',
      tooltip:
        'd0: PV 64-bit, privileged\nnr_pages 65536, max_pages 4294967295 (no limit), xenheap_pages 2\nvCPUs 1 of 2, nr_l4_pages 4\noptions oos_off, refcnt 3, pause_count 0\nstruct domain 0xffff83003ffc1000, shared_info 0xffff83003fdb3000',
    });
    expect(vcpuItem(d0, d0.vcpus[0])).toEqual({
      label: 'vCPU 0',
      description: 'CPU 1 · blocked · L4 mfn 0x32a10',
      tooltip: 'd0 vCPU 0 on CPU 1: blocked\nguest_table mfn 0x32a10 (PA 0x32a10000)\ncr3 0x32a10000; struct vcpu 0xffff83003fd64000\nOpen its tables in the Page Tables view (the inline action).',
    });
    expect(vcpuRootName(d0, d0.vcpus[0])).toBe('d0 vCPU 0 guest_table');
    expect(IDLE_ROOT_ITEM.label).toBe("Xen's own tables (idle_pg_table)");
  });

  it('Xen Layout: a region row', () => {
    const l = layoutFor();
    expect(regionItem(l.regions.find((r) => r.name === 'direct-map')!, l)).toEqual({
      label: '0xffff830000000000 direct-map',
      description: '5 TiB · slots 262-271',
      tooltip: '1:1 direct mapping of all physical memory (offsets PDX-compressed)\n0xffff830000000000-0xffff87ffffffffff (5 TiB), PML4 slots 262-271\nxen/arch/x86/include/asm/config.h, Xen 4.17',
    });
    const pae = layoutFor({ arch: 'x86_32-pae' });
    expect(regionItem(pae.regions[1], pae).label).toBe('0xf5800000 ro-m2p');
  });

  it("the Page Tables tree: Xen's slots 256-271 named, the pfn beside an MFN", () => {
    const l = layoutFor();
    expect([255, 256, 258, 261, 262, 271, 272].map((i) => slotNote(i, l))).toEqual([
      undefined,
      'Xen: ro-m2p, reserved-shared',
      'Xen: linear-pt',
      'Xen: rw-m2p, vmap, compat-m2p, xen-image, reserved, frame-table',
      'Xen: direct-map',
      'Xen: direct-map',
      undefined,
    ]);
    expect(pfnNote({ kind: 'pfn', pfn: '0x8101' })).toBe('pfn 0x8101');
    expect(pfnNote({ kind: 'invalid' })).toBe('no pfn (~0)');
    expect(regionHoverLine(0xffff_8000_0000_0010n, l)).toBe('Xen ro-m2p (+0x10, PML4 slot 256): Read-only machine-to-phys table (GUEST ACCESSIBLE): unsigned long per mfn');
  });

  it('page_info lines for tooltips and the frame editor header', () => {
    const f: XenFrameInfoResult = {
      mfn: '0x3fdb3', pageInfo: '0xffff82e0007fb660',
      countInfo: { raw: '0xc000000000000002', flags: ['PGC_allocated', 'PGC_xen_heap'], state: 'inuse', count: 2 },
      typeInfo: { raw: '0xe400000000000002', type: 'PGT_writable_page', flags: ['PGT_validated'], count: 2 },
      ownerPdx: '0x3ffc1', owner: { domain: 0, va: '0xffff83003ffc1000' }, validatedPageTable: false,
      m2p: { mfn: '0x3fdb3', raw: '0xffffffffffffffff', kind: 'invalid', meaning: 'INVALID_M2P_ENTRY (~0): no guest owns this frame (free, or Xen\'s own)' }, build: 'x',
    };
    expect(pageInfoLines(f)).toEqual([
      'page_info of mfn 0x3fdb3: count_info 0xc000000000000002 (PGC_allocated, PGC_xen_heap, inuse, count 2)',
      "type_info 0xe400000000000002 (PGT_writable_page, PGT_validated, type count 2); owner d0 (struct domain 0xffff83003ffc1000); M2P INVALID_M2P_ENTRY (~0): no guest owns this frame (free, or Xen's own)",
    ]);
    expect(pageInfoLines({ ...f, validatedPageTable: true }).at(-1)).toMatch(/^Xen has validated this frame as a page table/);
  });

  it('P2M: a run', () => {
    expect(p2mRunItem({ pfn: '0x10000', pfnEnd: '0x10061', pages: 97, kind: 'mfn', mfn: '0x3009f', e820: 'usable' })).toEqual({ label: '0x10000-0x10060 mfn', description: '97 pages → mfn 0x3009f-0x300ff · E820 usable' });
    expect(p2mRunItem({ pfn: '0x9f', pfnEnd: '0x100', pages: 97, kind: 'identity', e820: 'gap, reserved' })).toEqual({ label: '0x9f-0xff identity', description: '97 pages · E820 gap, reserved' });
  });
});
