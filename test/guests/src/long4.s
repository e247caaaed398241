# long4: 4-level paging (IA-32e), EFER.NXE, CR4.PGE, 1 GiB pages
# (-cpu qemu64,+pdpe1gb). Assembled with --defsym SMP=1 it becomes long4smp:
# the bootstrap CPU starts a second vCPU (INIT-SIPI-SIPI, trampoline at
# 0x7000) that runs on its own PML4. With --defsym SPIN=1 as well it becomes
# long4spin: instead of halting, both vCPUs run the loop in spin.inc.
#
# CR3 = 0x00110000 (CPU 0), 0x0011d000 (CPU 1 in long4smp). Tables:
#   0x00110000  PML4          CPU 0 root
#   0x00111000  PDPT_LO       PML4[0x000]  VA 0x0000000000000000
#   0x00112000  PD_LO         PDPT_LO[0]   VA 0x0000000000000000
#   0x00113000  PT_LO         PD_LO[0]     VA 0x0000000000000000
#   0x00114000  PDPT_HI       PML4[0x1ff]  VA 0xffffff8000000000
#   0x00115000  PD_KERN       PDPT_HI[510] VA 0xffffffff80000000
#   0x00116000  PT_KERN       PD_KERN[0]   VA 0xffffffff80000000
#   0x00117000  PD_SHARED     PDPT_LO[1] (VA 0x40000000) and
#                             PDPT_HI[511] (VA 0xffffffffc0000000)
#   0x00118000  PT_SHARED     PD_SHARED[0]
#   0x00119000  PDPT_EDGE     PML4[0x0ff]  VA 0x00007f8000000000
#   0x0011a000  PD_EDGE       PDPT_EDGE[511] VA 0x00007fffc0000000
#   0x0011b000  PT_EDGE       PD_EDGE[511] VA 0x00007fffffe00000
#   0x0011c000  PDPT_DMAP     PML4[0x100]  VA 0xffff800000000000
#   0x0011d000  PML4_AP       CPU 1 root (long4smp)
#   0x0011e000  PDPT_AP       PML4_AP[0]
#   0x0011f000  PD_AP         PDPT_AP[1]   VA 0x40000000 on CPU 1
#   0x00120000  PT_AP         PD_AP[0]
# Recursive slot: PML4[0x1ed] points at the PML4 itself (PML4_AP[0x1ed] at
# PML4_AP), so the tables appear at 0xfffff68000000000-0xfffff6ffffffffff;
# the PML4 itself is visible at 0xfffff6fb7dbed000.
# VA 0x40000000 maps 0x00800000 on CPU 0 and 0x00900000 on CPU 1.
# Both vCPUs halt at 0xffffffff80000010 (PT_KERN[0] -> 0x100000).
# Expected translations: ../long4.expected.ts, ../long4smp.expected.ts.

        .include "common.inc"

        .set PML4,      0x110000
        .set PDPT_LO,   0x111000
        .set PD_LO,     0x112000
        .set PT_LO,     0x113000
        .set PDPT_HI,   0x114000
        .set PD_KERN,   0x115000
        .set PT_KERN,   0x116000
        .set PD_SHARED, 0x117000
        .set PT_SHARED, 0x118000
        .set PDPT_EDGE, 0x119000
        .set PD_EDGE,   0x11a000
        .set PT_EDGE,   0x11b000
        .set PDPT_DMAP, 0x11c000
        .set PML4_AP,   0x11d000
        .set PDPT_AP,   0x11e000
        .set PD_AP,     0x11f000
        .set PT_AP,     0x120000

        .set SELF_SLOT, 0x1ed
        .set CR4_VALUE, 0xa0            # PAE | PGE
        .set HALT_VA,   0xffffffff80000000 + HALT_OFFSET
        .set TRAMPOLINE, 0x7000         # SIPI vector 0x07
        .set LAPIC,     0xfee00000

        GUEST_START

.ifdef SMP
        # Copy the AP trampoline below 1 MiB, then INIT-SIPI-SIPI every other
        # CPU (destination shorthand "all excluding self").
        movl $trampoline, %esi
        movl $TRAMPOLINE, %edi
        movl $(trampoline_end - trampoline), %ecx
        rep movsb
        movl $0x1ff, LAPIC + 0xf0           # SVR: APIC software enable
        movl $0x000c4500, LAPIC + 0x300     # INIT
        call delay
        movl $0x000c4600 | (TRAMPOLINE >> 12), LAPIC + 0x300    # SIPI
        call delay
        movl $0x000c4600 | (TRAMPOLINE >> 12), LAPIC + 0x300    # SIPI again
.endif

        ENABLE_PAGING PML4, SEL_CODE64, long_entry, EFER_LME | EFER_NXE

.ifdef SMP
delay:
        movl $200000, %ecx
1:
        pause
        loop 1b
        ret
.endif

        .code64
long_entry:
        LOAD_DATA_SEGS
        SET_REGS64 0x0f0f0f0f0f0f0f0f
.ifdef SMP
        # Wait until the AP has reached long mode on its own PML4.
        movl $AP_READY, %eax
1:
        pause
        cmpl $0, (%rax)
        je 1b
.endif
        SERIAL_PUTS marker
.ifdef SPIN
        jmp spin_main
.else
        JMP_HALT64
.endif

.ifdef SMP
        # The AP arrives here from the trampoline, in 64-bit mode.
ap_long_entry:
        LOAD_DATA_SEGS
        movabsq $0xa1a2a3a4a5a6a7a8, %rbx
        movabsq $0xb1b2b3b4b5b6b7b8, %rcx
        movabsq $0x0000000000000001, %r15
        movl $AP_READY, %eax
        lock incl (%rax)
.ifdef SPIN
        movl $SPIN_AP_STACK_TOP, %esp
        jmp spin_main
.else
        JMP_HALT64
.endif

        # Real-mode entry of the AP, copied to TRAMPOLINE (CS = 0x0700, IP = 0).
        .code16
trampoline:
        cli
        cld
        lgdtl %cs:(tramp_gdtr - trampoline)
        movl %cr0, %eax
        orl $1, %eax
        movl %eax, %cr0
        ljmpl $SEL_CODE32, $(tramp32 - trampoline + TRAMPOLINE)
        .code32
tramp32:
        LOAD_DATA_SEGS
        ENABLE_PAGING PML4_AP, SEL_CODE64, ap_long_entry, EFER_LME | EFER_NXE
        .balign 4
        .word 0
tramp_gdtr:
        .word gdt_end - gdt - 1
        .long gdt
trampoline_end:
.endif

        GUEST_GDT
marker:
.ifdef SPIN
        .asciz "HF-GUEST-READY long4spin\n"
.else
.ifdef SMP
        .asciz "HF-GUEST-READY long4smp\n"
.else
        .asciz "HF-GUEST-READY long4\n"
.endif
.endif
.ifdef SPIN
        .include "spin.inc"
.endif
        .org AP_READY - IMAGE_BASE
        .long 0
.ifdef SPIN
        SPIN_DATA
.endif

# ---------------------------------------------------------------- tables
# The PML4 body is shared by both roots: only PML4[0] and the self slot differ.
.macro PML4_BODY self, pdpt_low
        ENTRY64 \self, 0x000, \pdpt_low | TABLE_U
        ENTRY64 \self, 0x0ff, PDPT_EDGE | TABLE_U
        ENTRY64 \self, 0x100, PDPT_DMAP | TABLE_S
        ENTRY64 \self, SELF_SLOT, \self | P | RW | A | D
        ENTRY64 \self, 0x1ff, PDPT_HI | TABLE_S
.endm

# The low PDPTs of both roots differ only in where VA 0x40000000 goes (\pd1).
.macro PDPT_LOW_BODY self, pd1
        ENTRY64 \self, 0, PD_LO | TABLE_U
        ENTRY64 \self, 1, \pd1 | TABLE_U
        # VA 0xc0000000: 1 GiB -> 0x1_00000000 (above RAM), XD, read-only,
        # user, PCD, PAT (bit 12).
        ENTRY64 \self, 3, XD | 0x100000000 | LEAF | PS | US | PCD | PATLG
        # VA 0x1_00000000: 1 GiB -> 0x00000000 (all of RAM), global.
        ENTRY64 \self, 4, 0x00000000 | LEAF | PS | RW | G
.endm

        PML4_BODY PML4, PDPT_LO

# PDPT_LO: VA 0x0000000000000000-0x0000007fffffffff.
        PDPT_LOW_BODY PDPT_LO, PD_SHARED

# PD_LO: VA 0x00000000-0x3fffffff.
        ENTRY64 PD_LO, 0, PT_LO | TABLE_U
        # VA 0x00400000: 2 MiB -> 0x00400000, XD, PCD, PAT (bit 12).
        ENTRY64 PD_LO, 2, XD | 0x00400000 | LEAF | PS | RW | PCD | PATLG
        # VA 0x00600000: 2 MiB -> 0x00600000, read-only, user, global.
        ENTRY64 PD_LO, 3, 0x00600000 | LEAF | PS | US | G
        # Not present: a swap-style value.
        ENTRY64 PD_LO, 0x1ff, 0x00000000deadb000

# PT_LO: VA 0x00000000-0x001fffff.
        # VA 0x00007000: the AP trampoline, identity, executable.
        ENTRY64 PT_LO, 0x007, TRAMPOLINE | LEAF | RW
        # VGA text, the image and its stack, the page tables and
        # VA 0x001f0000 -> 0x00300000, read-only, user, PAT; all XD but the image.
        LOW_PT PT_LO, 64, XD
        # VA 0x001f1000 -> 0x00301000: user, PWT, global.
        ENTRY64 PT_LO, 0x1f1, 0x00301000 | LEAF | RW | US | PWT | G
        # Not present: a swap-style value.
        ENTRY64 PT_LO, 0x1ff, 0x00000123456780be

# PDPT_HI: VA 0xffffff8000000000-0xffffffffffffffff.
        ENTRY64 PDPT_HI, 510, PD_KERN | TABLE_S
        ENTRY64 PDPT_HI, 511, PD_SHARED | TABLE_S

# PD_KERN: VA 0xffffffff80000000-0xffffffffbfffffff.
        ENTRY64 PD_KERN, 0, PT_KERN | TABLE_S
        # VA 0xffffffff80200000: 2 MiB -> 0x00200000, XD, global.
        ENTRY64 PD_KERN, 1, XD | 0x00200000 | LEAF | PS | RW | G

# PT_KERN: VA 0xffffffff80000000-0xffffffff801fffff.
        # The image, kernel-style high-half alias, global, executable.
        RUN64 PT_KERN, 0, 16, 0x00100000, LEAF | RW | G

# PD_SHARED: VA 0x40000000-0x7fffffff and 0xffffffffc0000000-0xffffffffffffffff.
        ENTRY64 PD_SHARED, 0, PT_SHARED | TABLE_U
        # +2 MiB: 2 MiB -> 0x00a00000, XD.
        ENTRY64 PD_SHARED, 1, XD | 0x00a00000 | LEAF | PS | RW

# PT_SHARED.
        ENTRY64 PT_SHARED, 0, XD | 0x00800000 | LEAF | RW
        ENTRY64 PT_SHARED, 1, 0x00801000 | LEAF
        ENTRY64 PT_SHARED, 2, 0x00802000 | LEAF | US | G

# PDPT_EDGE / PD_EDGE / PT_EDGE: the top of the lower canonical half.
        ENTRY64 PDPT_EDGE, 511, PD_EDGE | TABLE_U
        # VA 0x00007fffffc00000: 2 MiB -> 0x00c00000, user.
        ENTRY64 PD_EDGE, 510, 0x00c00000 | LEAF | PS | RW | US
        ENTRY64 PD_EDGE, 511, PT_EDGE | TABLE_U
        # VA 0x00007fffffffe000 -> 0x00e01000, XD, user.
        ENTRY64 PT_EDGE, 510, XD | 0x00e01000 | LEAF | RW | US
        # VA 0x00007ffffffff000 (last canonical low page) -> 0x00e00000, user.
        ENTRY64 PT_EDGE, 511, 0x00e00000 | LEAF | RW | US

# PDPT_DMAP: VA 0xffff800000000000 (first canonical high address).
        # 1 GiB -> 0x00000000 (direct map of RAM), XD, global.
        ENTRY64 PDPT_DMAP, 0, XD | 0x00000000 | LEAF | PS | RW | G

# CPU 1 (long4smp): its own PML4 and PDPT for the low half; VA 0x40000000
# goes through PD_AP/PT_AP to a different page, everything else is shared.
        PML4_BODY PML4_AP, PDPT_AP
        PDPT_LOW_BODY PDPT_AP, PD_AP
        ENTRY64 PD_AP, 0, PT_AP | TABLE_U
        ENTRY64 PT_AP, 0, XD | 0x00900000 | LEAF | RW
        END_TABLES PT_AP
