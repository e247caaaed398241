import { describe, expect, it } from 'vitest';
import { DEBIAN_XEN_4177, parseBuildIdNote, readBuildId, readDomains, readSharedInfoP2m, SHARED_INFO_X86_64 } from '../../../src/xen';
import { FakeMem } from './fakeMem';

// A hand-built domain list at the Debian 4.17.7 build's offsets: the test writes each field where
// the build says it is, then checks that the reader follows next_in_list and the vcpu array.
const D = DEBIAN_XEN_4177.domain;
const V = DEBIAN_XEN_4177.vcpu;
const DOMAIN_LIST = 0xffff_82d0_4057_b380n;
const DOM0 = 0xffff_8300_3ffc_1000n;
const DOM1 = 0xffff_8300_2000_0000n;

function u8(mem: FakeMem, at: bigint, v: number): void {
  mem.write(at, Uint8Array.of(v));
}

function vcpu(mem: FakeMem, va: bigint, id: number, cpu: number, guestTable: bigint, pauseFlags: bigint): void {
  mem.u32(va + BigInt(V.vcpu_id), id).u32(va + BigInt(V.processor), cpu).u64(va + BigInt(V.pause_flags), pauseFlags);
  mem.u64(va + BigInt(V.arch_guest_table), guestTable).u64(va + BigInt(V.arch_cr3), guestTable << 12n);
  u8(mem, va + BigInt(V.is_running), id === 0 ? 1 : 0);
}

function domains(): FakeMem {
  const mem = new FakeMem(true);
  mem.u64(DOMAIN_LIST, DOM0);
  // dom0: PV, privileged, 2 vCPUs, 65536 pages as Xen's 'q' key printed them on a boot under QEMU.
  mem.u32(DOM0 + BigInt(D.domain_id), 0).u32(DOM0 + BigInt(D.max_vcpus), 2).u64(DOM0 + BigInt(D.vcpu), DOM0 + 0x1000n);
  mem.u32(DOM0 + BigInt(D.tot_pages), 65536).u32(DOM0 + BigInt(D.xenheap_pages), 2).u32(DOM0 + BigInt(D.max_pages), 0xffff_ffff);
  mem.u32(DOM0 + BigInt(D.options), 0x8).u32(DOM0 + BigInt(D.refcnt), 3).u64(DOM0 + BigInt(D.vm_assist), 0x2dn);
  mem.u64(DOM0 + BigInt(D.shared_info), 0xffff_8300_3fdb_3000n).u32(DOM0 + BigInt(D.arch_pv_nr_l4_pages), 4);
  u8(mem, DOM0 + BigInt(D.is_privileged), 1);
  mem.u64(DOM0 + BigInt(D.next_in_list), DOM1);
  mem.u64(DOM0 + 0x1000n, 0xffff_8300_3fd6_4000n).u64(DOM0 + 0x1008n, 0xffff_8300_3fd6_0000n);
  vcpu(mem, 0xffff_8300_3fd6_4000n, 0, 0, 0x32a10n, 1n);
  vcpu(mem, 0xffff_8300_3fd6_0000n, 1, 1, 0x34d04n, 0b11n);
  // dom1: HVM, 4 vCPU slots with only vCPU 0 brought up, dying.
  mem.u32(DOM1 + BigInt(D.domain_id), 1).u32(DOM1 + BigInt(D.max_vcpus), 4).u64(DOM1 + BigInt(D.vcpu), DOM1 + 0x2000n);
  mem.u32(DOM1 + BigInt(D.options), 0x23).u32(DOM1 + BigInt(D.is_dying), 1).u32(DOM1 + BigInt(D.tot_pages), 262144).u32(DOM1 + BigInt(D.max_pages), 262400);
  mem.u64(DOM1 + 0x2000n, 0xffff_8300_2000_8000n);
  vcpu(mem, 0xffff_8300_2000_8000n, 0, 1, 0n, 0n);
  return mem;
}

describe('domain_list at the Debian Xen 4.17.7 offsets', () => {
  it('follows next_in_list and each vcpu array', async () => {
    const ds = await readDomains(domains(), DOMAIN_LIST, DEBIAN_XEN_4177);
    expect(ds.map((d) => d.id)).toEqual([0, 1]);
    expect(ds[0]).toMatchObject({
      va: DOM0, maxVcpus: 2, totPages: 65536, xenheapPages: 2, maxPages: 0xffff_ffff, refcnt: 3, vmAssist: 0x2dn,
      privileged: true, hvm: false, optionNames: ['oos_off'], dying: 'alive', sharedInfoVa: 0xffff_8300_3fdb_3000n,
      pv: { nrL4Pages: 4, is32bit: false, xpti: false, pcid: false },
    });
    expect(ds[0].vcpus.map((v) => [v.id, v.processor, v.running, v.guestTableMfn, v.cr3, v.pauseFlagNames])).toEqual([
      [0, 0, true, 0x32a10n, 0x32a10000n, ['blocked']],
      [1, 1, false, 0x34d04n, 0x34d04000n, ['blocked', 'down']],
    ]);
    expect(ds[1]).toMatchObject({ hvm: true, optionNames: ['hvm', 'hap', 'iommu'], dying: 'dying', maxVcpus: 4, totPages: 262144 });
    expect(ds[1].pv).toBeUndefined();
    expect(ds[1].vcpus.map((v) => v.id)).toEqual([0]);
  });

  it('refuses a list that loops or a struct that does not fit the offsets', async () => {
    const loop = domains().u64(DOM1 + BigInt(D.next_in_list), DOM0);
    await expect(readDomains(loop, DOMAIN_LIST, DEBIAN_XEN_4177)).rejects.toThrow(`domain_list loops back to 0xffff83003ffc1000 after 2 domains`);
    const garbage = domains().u32(DOM1 + BigInt(D.max_vcpus), 0x41414141);
    await expect(readDomains(garbage, DOMAIN_LIST, DEBIAN_XEN_4177)).rejects.toThrow(
      "struct domain at 0xffff830020000000 reads max_vcpus 1094795585 (more than 8192): Xen 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1)'s offsets do not fit the running hypervisor",
    );
    const empty = new FakeMem(true);
    expect(await readDomains(empty, DOMAIN_LIST, DEBIAN_XEN_4177)).toEqual([]);
  });
});

describe('shared_info.arch and the build-id note', () => {
  it('reads p2m_vaddr, max_pfn and p2m_cr3 at the x86_64 ABI offsets', async () => {
    const si = 0xffff_8300_3fdb_3000n;
    const mem = new FakeMem(true).fill64(si + 3088n, 6, (i) => [0x3ffe0n, 0x3ba69n, 0n, 0x32a10000n, 0xffff_c900_0000_0000n, 2n][i]);
    expect(await readSharedInfoP2m(mem, si, SHARED_INFO_X86_64)).toEqual({ maxPfn: 0x3ffe0n, frameListList: 0x3ba69n, p2mCr3: 0x32a10000n, p2mVaddr: 0xffff_c900_0000_0000n, p2mGeneration: 2n });
  });

  it('parses a GNU build-id note as ld writes it', async () => {
    const note = Buffer.concat([Buffer.from([4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0]), Buffer.from('GNU\0'), Buffer.from('151b373fd64b321593bf987fd923cd10dabadac4', 'hex')]);
    expect(parseBuildIdNote(note)).toBe('151b373fd64b321593bf987fd923cd10dabadac4');
    expect(parseBuildIdNote(Uint8Array.from(note).fill(0, 8, 9))).toBeUndefined(); // another note type
    const mem = new FakeMem(true).write(0xffff_82d0_403b_6ec8n, note);
    expect(await readBuildId(mem, 0xffff_82d0_403b_6ec8n)).toBe(DEBIAN_XEN_4177.buildId);
    expect(await readBuildId(new FakeMem(true), 0x1000n)).toBeUndefined();
  });
});
