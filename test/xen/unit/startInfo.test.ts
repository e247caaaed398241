import { describe, expect, it } from 'vitest';
import { decodeStartInfo, readStartInfo, START_INFO_32, START_INFO_64 } from '../../../src/xen';
import { FakeMem } from './fakeMem';

/**
 * start_info pages laid out by hand from xen/include/public/xen.h: magic[32], then unsigned longs
 * and uint32_ts at their natural alignment. The offsets are written out here, not taken from the
 * module, so the test checks them.
 */
function ascii(buf: Uint8Array, off: number, s: string): void {
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
}

function dom0On64BitXen(): Uint8Array {
  const b = new Uint8Array(4096);
  const dv = new DataView(b.buffer);
  ascii(b, 0, 'xen-3.0-x86_64');
  dv.setBigUint64(32, 0x10000n, true); // nr_pages: dom0_mem=256M
  dv.setBigUint64(40, 0x1_3f4f_1000n, true); // shared_info (machine address)
  dv.setUint32(48, 0b11, true); // flags: SIF_PRIVILEGED | SIF_INITDOMAIN
  dv.setBigUint64(56, 0n, true); // store_mfn: none yet for dom0
  dv.setUint32(64, 0, true); // store_evtchn
  dv.setUint32(72, 0x4b0, true); // console.dom0.info_off
  dv.setUint32(76, 0x40, true); // console.dom0.info_size
  dv.setBigUint64(88, 0xffff_ffff_8300_0000n, true); // pt_base
  dv.setBigUint64(96, 0x12n, true); // nr_pt_frames
  dv.setBigUint64(104, 0xffff_ffff_8280_0000n, true); // mfn_list
  dv.setBigUint64(112, 0xffff_ffff_8240_0000n, true); // mod_start
  dv.setBigUint64(120, 0x36_1000n, true); // mod_len
  ascii(b, 128, 'console=hvc0 earlyprintk=xen nokaslr'); // cmd_line[1024]
  dv.setBigUint64(1152, 0x2000n, true); // first_p2m_pfn
  dv.setBigUint64(1160, 0x80n, true); // nr_p2m_frames
  return b;
}

function domUOn32BitPae(): Uint8Array {
  const b = new Uint8Array(1112);
  const dv = new DataView(b.buffer);
  ascii(b, 0, 'xen-3.0-x86_32p');
  dv.setUint32(32, 0x8000, true); // nr_pages
  dv.setUint32(36, 0xfb15_5000, true); // shared_info
  dv.setUint32(40, 1 << 3, true); // flags: SIF_MOD_START_PFN
  dv.setUint32(44, 0xfb156, true); // store_mfn
  dv.setUint32(48, 1, true); // store_evtchn
  dv.setUint32(52, 0xfb157, true); // console.domU.mfn
  dv.setUint32(56, 2, true); // console.domU.evtchn
  dv.setUint32(60, 0xc03a_e000, true); // pt_base: the "PAE guest address maps?" post's (gdb) x/4x xen_start_info->pt_base
  dv.setUint32(64, 6, true); // nr_pt_frames
  dv.setUint32(68, 0xc030_0000, true); // mfn_list
  dv.setUint32(72, 0x400, true); // mod_start (a PFN)
  dv.setUint32(76, 0x1000, true); // mod_len
  ascii(b, 80, 'root=/dev/xvda1');
  dv.setUint32(1104, 0x3ae, true); // first_p2m_pfn
  dv.setUint32(1108, 0x20, true); // nr_p2m_frames
  return b;
}

describe('start_info (public/xen.h)', () => {
  it('has the sizes natural alignment gives: 1168 bytes for 64-bit guests, 1112 for 32-bit', () => {
    expect(START_INFO_64.size).toBe(1168);
    expect(START_INFO_32.size).toBe(1112);
    expect(START_INFO_64.offsets.cmd_line + 1024).toBe(START_INFO_64.offsets.first_p2m_pfn);
    expect(START_INFO_32.offsets.cmd_line + 1024).toBe(START_INFO_32.offsets.first_p2m_pfn);
  });

  it('decodes a 64-bit dom0’s page', () => {
    const si = decodeStartInfo(dom0On64BitXen());
    expect(si).toMatchObject({
      magic: 'xen-3.0-x86_64',
      nrPages: 0x10000n,
      sharedInfo: 0x1_3f4f_1000n,
      flags: 3,
      flagNames: ['SIF_PRIVILEGED', 'SIF_INITDOMAIN'],
      storeMfn: 0n,
      storeEvtchn: 0,
      console: { kind: 'dom0', infoOff: 0x4b0, infoSize: 0x40 },
      ptBase: 0xffff_ffff_8300_0000n,
      nrPtFrames: 0x12n,
      mfnList: 0xffff_ffff_8280_0000n,
      modStart: 0xffff_ffff_8240_0000n,
      modLen: 0x36_1000n,
      cmdLine: 'console=hvc0 earlyprintk=xen nokaslr',
      firstP2mPfn: 0x2000n,
      nrP2mFrames: 0x80n,
      problems: [],
    });
    expect(si.layout.bitsPerLong).toBe(64);
  });

  it('decodes a 32-bit PAE domU’s page, console as a ring', async () => {
    const si = decodeStartInfo(domUOn32BitPae());
    expect(si).toMatchObject({
      magic: 'xen-3.0-x86_32p',
      nrPages: 0x8000n,
      sharedInfo: 0xfb15_5000n,
      flagNames: ['SIF_MOD_START_PFN'],
      storeMfn: 0xfb156n,
      storeEvtchn: 1,
      console: { kind: 'domU', mfn: 0xfb157n, evtchn: 2 },
      ptBase: 0xc03a_e000n,
      nrPtFrames: 6n,
      mfnList: 0xc030_0000n,
      modStart: 0x400n,
      modLen: 0x1000n,
      cmdLine: 'root=/dev/xvda1',
      firstP2mPfn: 0x3aen,
      nrP2mFrames: 0x20n,
    });
    const mem = new FakeMem().write(0xc03a_d000n, dom0On64BitXen());
    expect((await readStartInfo(mem, 0xc03a_d000n)).cmdLine).toBe('console=hvc0 earlyprintk=xen nokaslr');
  });

  it('needs the width when the magic is damaged, and says what is odd', () => {
    const b = dom0On64BitXen();
    ascii(b, 0, 'garbage!!!!!!!!');
    expect(() => decodeStartInfo(b)).toThrow(/BITS_PER_LONG/);
    const si = decodeStartInfo(b, 64);
    expect(si.nrPages).toBe(0x10000n);
    expect(si.problems[0]).toMatch(/unexpected magic/);
    const full = dom0On64BitXen();
    full.fill(0x41, 128, 128 + 1024);
    expect(decodeStartInfo(full).problems).toEqual(['cmd_line is not NUL-terminated']);
    expect(() => decodeStartInfo(new Uint8Array(100).fill(0x41))).toThrow();
  });
});

describe("a real dom0's start_info (Debian Xen 4.17.7, Linux 6.1, bytes read from the guest)", () => {
  // The first 144 bytes of dom0's start_info page as read on a boot under QEMU (dom0_mem=256M):
  // Xen wrote "xen-3.0-x86_64p" (Linux's ELF notes ask for PAE mode), and Linux has since
  // rewritten pt_base and mfn_list to its own direct-map and P2M addresses.
  const head =
    '78656e2d332e302d7838365f36347000' + '00000000000000000000000000000000' + '00000100000000000030db3f00000000' +
    '0b030000000000000000000000000000' + '00000000000000000000000000000000' + '00000000000000000010a0048088ffff' +
    '29000000000000000000000000c9ffff' + '0080000000000000e10a100000000000';
  it('decodes the 64-bit layout under the "p" magic', () => {
    const page = new Uint8Array(4096);
    page.set(Buffer.from(head, 'hex'));
    page.set(Buffer.from('console=hvc0 earlyprintk=xen nokaslr\0'), 128);
    expect(decodeStartInfo(page)).toMatchObject({
      magic: 'xen-3.0-x86_64p',
      nrPages: 0x10000n,
      sharedInfo: 0x3fdb3000n,
      flagNames: ['SIF_PRIVILEGED', 'SIF_INITDOMAIN', 'SIF_MOD_START_PFN', 'SIF_PM(0x3)'],
      ptBase: 0xffff_8880_04a0_1000n,
      nrPtFrames: 0x29n,
      mfnList: 0xffff_c900_0000_0000n,
      modStart: 0x8000n,
      modLen: 0x100ae1n,
      cmdLine: 'console=hvc0 earlyprintk=xen nokaslr',
      problems: [],
    });
  });
});
