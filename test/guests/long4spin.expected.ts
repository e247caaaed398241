/**
 * Expected state of the `long4spin` guest: src/long4.s assembled with SMP=1 and SPIN=1 and
 * booted with -smp 2. Its tables and CPUs are long4smp's; instead of halting, both vCPUs run
 * the loop of src/spin.inc forever (identity-mapped image, frame-pointer functions, a counter in
 * memory). Registers change all the time, so only those the loop never touches are listed.
 * Addresses written by hand from the source's .org offsets and instruction lengths.
 */
import { guest, type GuestExpectation } from './expected-types';
import { long4smp } from './long4smp.expected';

/** Code and data of the loop, by symbol name (every one is in the ELF's symbol table). */
export const SPIN = {
  /** `movl $3, %edi` (5) · `call spin_func` (5) · `movl $2, %edi` (5) · `call spin_recurse` (5) · pause · jmp. */
  spin_main: 0x10_0c00n,
  spin_call_func: 0x10_0c05n,
  spin_after_func: 0x10_0c0an,
  spin_call_recurse: 0x10_0c0fn,
  spin_after_recurse: 0x10_0c14n,
  /** `push %rbp` (1) · `mov %rsp,%rbp` (3) · `lock incq spin_counter` (9) · pop · ret. */
  spin_func: 0x10_0c40n,
  spin_func_body: 0x10_0c44n,
  spin_func_after_inc: 0x10_0c4dn,
  /** push · mov · test · jz · dec · `call spin_recurse` (5) · pop · ret; calls itself %edi times. */
  spin_recurse: 0x10_0c80n,
  spin_recurse_call: 0x10_0c8an,
  spin_recurse_ret: 0x10_0c8fn,
  /** The 8-byte counter spin_func increments with `lock incq`. */
  spin_counter: 0x10_0f08n,
} as const;

/** Sizes of the functions (`.size`). */
export const SPIN_SIZES = { spin_main: 0x18n, spin_func: 0xfn, spin_recurse: 0x11n, spin_counter: 8n } as const;

/** Stack tops: CPU 0 keeps the boot stack, CPU 1 gets the lower half of the stack page. */
export const SPIN_STACK_TOP = [0x11_0000n, 0x10_f800n] as const;

const [cpu0, cpu1] = long4smp.cpus;
if (!cpu0 || !cpu1) throw new Error('long4smp has two CPUs');

export const long4spin: GuestExpectation = guest({
  name: 'long4spin',
  mode: 'long4',
  marker: 'HF-GUEST-READY long4spin',
  cpu: long4smp.cpu,
  smp: 2,
  halts: false,
  cpus: [
    { ...cpu0, registers: { rbx: 0x1122_3344_5566_7788n, rcx: 0x99aa_bbcc_ddee_ff00n, r8: 0x8888_8888_8888_8888n, r12: 0xdead_beef_cafe_f00dn, r15: 0x0f0f_0f0f_0f0f_0f0fn } },
    { ...cpu1, registers: { rbx: 0xa1a2_a3a4_a5a6_a7a8n, rcx: 0xb1b2_b3b4_b5b6_b7b8n, r15: 0x1n } },
  ],
  tables: long4smp.tables,
  entries: long4smp.entries,
});

export default long4spin;
