import { describe, expect, it } from 'vitest';
import { decodeM2pEntry, M2pReader, type M2pRange, XEN_417_X86_64, XEN_X86_32_PAE, xen417CompatGuest } from '../../../src/xen';
import { FakeMem } from './fakeMem';

async function all(gen: AsyncGenerator<M2pRange>): Promise<M2pRange[]> {
  const out: M2pRange[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

describe('machine_to_phys_mapping', () => {
  it('decodes INVALID_M2P_ENTRY, SHARED_M2P_ENTRY and !VALID_M2P (asm/mm.h, Xen 4.17)', () => {
    expect(decodeM2pEntry(1n, 0xffff_ffff_ffff_ffffn, 8)).toEqual({ mfn: 1n, raw: 0xffff_ffff_ffff_ffffn, kind: 'invalid' });
    expect(decodeM2pEntry(1n, 0xffff_ffff_ffff_fffen, 8)).toMatchObject({ kind: 'shared' });
    expect(decodeM2pEntry(1n, 0x8000_0000_0000_0001n, 8)).toMatchObject({ kind: 'not-valid' });
    expect(decodeM2pEntry(1n, 0x1234n, 8)).toEqual({ mfn: 1n, raw: 0x1234n, kind: 'pfn', pfn: 0x1234n });
    expect(decodeM2pEntry(1n, 0xffff_ffffn, 4)).toMatchObject({ kind: 'invalid' });
    expect(decodeM2pEntry(1n, 0xffff_fffen, 4)).toMatchObject({ kind: 'shared' });
    expect(decodeM2pEntry(1n, 0xffff_ffffn, 8)).toMatchObject({ kind: 'pfn', pfn: 0xffff_ffffn });
  });

  // Seen on a Xen 4.17 boot: the M2P at 0xffff800000000000 holds ~0 for unowned frames and 0, 1, 2, … from dom0's first frame.
  function xen417(): FakeMem {
    const mem = new FakeMem();
    const firstDom0Frame = 0x1200;
    mem.fill64(0xffff_8000_0000_0000n, 0x2000, (mfn) => (mfn < firstDom0Frame ? 0xffff_ffff_ffff_ffffn : BigInt(mfn - firstDom0Frame)));
    mem.u64(0xffff_8000_0000_0000n + 0x1800n * 8n, 0xffff_ffff_ffff_fffen); // a shared frame
    return mem;
  }

  it('reads mfn → pfn through the guest-readable view at 0xffff800000000000', async () => {
    const m2p = M2pReader.forLayout(xen417(), XEN_417_X86_64);
    expect(m2p.entryVa(0x1201n)).toBe(0xffff_8000_0000_9008n);
    expect(await m2p.mfnToPfn(0x1201n)).toEqual({ mfn: 0x1201n, raw: 1n, kind: 'pfn', pfn: 1n });
    expect(await m2p.mfnToPfn(0x10n)).toMatchObject({ kind: 'invalid' });
    await expect(m2p.mfnToPfn(0x2000n)).rejects.toThrow(/M2P entry of mfn 0x2000 at 0xffff800000010000/);
  });

  it('merges runs page by page and carries on past what is not mapped', async () => {
    const mem = xen417();
    const runs = await all(M2pReader.forLayout(mem, XEN_417_X86_64).ranges(0n, 0x2400n));
    expect(runs.map(({ error: _e, ...r }) => r)).toEqual([
      { mfnStart: 0n, mfnEnd: 0x1200n, kind: 'invalid', pfnStart: undefined },
      { mfnStart: 0x1200n, mfnEnd: 0x1800n, kind: 'pfn', pfnStart: 0n },
      { mfnStart: 0x1800n, mfnEnd: 0x1801n, kind: 'shared', pfnStart: undefined },
      { mfnStart: 0x1801n, mfnEnd: 0x2000n, kind: 'pfn', pfnStart: 0x601n },
      { mfnStart: 0x2000n, mfnEnd: 0x2400n, kind: 'unreadable' },
    ]);
    expect(runs[4].error).toMatch(/0xffff800000010000/);
    // 0x2400 entries of 8 bytes: 18 pages, each read once.
    expect(mem.reads).toHaveLength(18);
    expect(mem.reads.every((r) => r.bytes === 4096)).toBe(true);
  });

  it('reads 32-bit entries: the PAE hypervisor’s table at 0xF5800000 (xen-devel “PAE guest address maps?”) and a compat guest’s', async () => {
    const mem = new FakeMem();
    // The post “PAE guest address maps?”: the first 0x100 bytes at 0xf5800000 are all 0xffffffff.
    mem.fill32(0xf580_0000n, 1024, (i) => (i < 64 ? 0xffff_ffffn : BigInt(i - 64)));
    const pae = M2pReader.forLayout(mem, XEN_X86_32_PAE);
    expect(pae.opts).toEqual({ base: 0xf580_0000n, entryBytes: 4 });
    expect(await pae.mfnToPfn(0n)).toMatchObject({ kind: 'invalid', raw: 0xffff_ffffn });
    expect(await pae.mfnToPfn(65n)).toMatchObject({ kind: 'pfn', pfn: 1n });
    expect(await all(pae.ranges(0n, 1024n))).toEqual([
      { mfnStart: 0n, mfnEnd: 64n, kind: 'invalid', pfnStart: undefined },
      { mfnStart: 64n, mfnEnd: 1024n, kind: 'pfn', pfnStart: 0n },
    ]);
    const compat = M2pReader.forLayout(mem, xen417CompatGuest());
    expect(compat.entryVa(3n)).toBe(0xf580_000cn);
    // Xen's own view of the compat table, in slot 261.
    expect(M2pReader.forLayout(mem, XEN_417_X86_64, 'compat').entryVa(3n)).toBe(0xffff_82d0_0000_000cn);
  });
});
