/**
 * Expected state of the `long4smp` guest: src/long4.s assembled with SMP=1 and booted with
 * -smp 2. CPU 0 is exactly the long4 guest. CPU 1 (started by INIT-SIPI-SIPI through a
 * trampoline at 0x7000) runs on its own PML4 at 0x11d000 whose low PDPT sends VA 0x40000000
 * to physical 0x00900000 instead of 0x00800000; everything else is shared with CPU 0.
 * Written by hand from the source.
 */
import { guest, KiB4, page, type ExpectedCpu, type GuestExpectation } from './expected-types';
import { commonHigh, commonLow, cpu0, entries, long4Cpu, T, tables } from './long4.expected';

/** The VA whose translation differs between the two vCPUs. */
export const SPLIT_VA = 0x4000_0000n;

const cpu1: ExpectedCpu = long4Cpu({
  index: 1,
  root: T.PML4_AP,
  registers: {
    rax: 0xffff_ffff_8000_0010n,
    rbx: 0xa1a2_a3a4_a5a6_a7a8n,
    rcx: 0xb1b2_b3b4_b5b6_b7b8n,
    r15: 0x1n,
    rip: 0xffff_ffff_8000_0012n,
  },
  leaves: [...commonLow, page(SPLIT_VA, 0x0090_0000n, KiB4, 'xd rw'), ...commonHigh],
  // As on CPU 0, except PML4_AP[0] gives 3+1+2 (PD_AP has one entry).
  infoTlbLines: 26,
  probes: [
    { va: 0xffff_f6fb_7dbe_d000n, pa: T.PML4_AP, what: 'the PML4 itself' },
    { va: 0xffff_f6fb_7da0_0000n, pa: T.PDPT_AP, what: 'PDPT of VA 0' },
    { va: 0xffff_f6fb_4000_0000n, pa: T.PD_LO, what: 'page directory of VA 0 (shared with CPU 0)' },
    { va: 0xffff_f6fb_4000_1000n, pa: T.PD_AP, what: 'page directory of VA 0x40000000' },
    { va: 0xffff_f680_0020_0000n, pa: T.PT_AP, what: 'page table of VA 0x40000000' },
  ],
  sharedTables: [],
});

export const long4smp: GuestExpectation = guest({
  name: 'long4smp',
  mode: 'long4',
  marker: 'HF-GUEST-READY long4smp',
  cpu: 'qemu64,+pdpe1gb',
  smp: 2,
  cpus: [cpu0, cpu1],
  tables: [
    ...tables,
    { name: 'PML4_AP', pa: T.PML4_AP, level: 4 },
    { name: 'PDPT_AP', pa: T.PDPT_AP, level: 3 },
    { name: 'PD_AP', pa: T.PD_AP, level: 2 },
    { name: 'PT_AP', pa: T.PT_AP, level: 1 },
  ],
  entries: [
    ...entries,
    { pa: T.PML4_AP + 8n * 0x1edn, value: 0x11_d063n, level: 4, what: 'CPU 1 recursive slot 0x1ed -> PML4_AP' },
    { pa: T.PDPT_AP + 8n * 1n, value: 0x11_f027n, level: 3, what: 'CPU 1 PDPT[1] -> PD_AP' },
    { pa: T.PT_AP + 0n, value: 0x8000_0000_0090_0063n, level: 1, what: 'CPU 1 page at VA 0x40000000' },
  ],
});

export default long4smp;
