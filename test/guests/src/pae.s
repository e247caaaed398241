# pae: 32-bit PAE paging with EFER.NXE and CR4.PGE.
#
# CR3 = 0x00110000 (PDPT, 4 entries). Tables:
#   0x00110000  PDPT
#   0x00111000  PD0   (PDPT[0]: VA 0x00000000-0x3fffffff)
#   0x00112000  PD1   (PDPT[1]: VA 0x40000000-0x7fffffff)
#   0x00113000  PD2   (PDPT[2]: VA 0x80000000-0xbfffffff)
#   0x00114000  PD3   (PDPT[3]: VA 0xc0000000-0xffffffff)
#   0x00115000  PT0   shared: PD0[0] (VA 0x00000000) and PD3[0] (VA 0xc0000000)
#   0x00116000  PT1   (PD1[1]: VA 0x40200000-0x403fffff)
# Linear page table as in Xen's PAE layout: PD3[492..495] point at PD0..PD3,
# so the PTEs of the whole address space appear at 0xfd800000-0xfdffffff
# (the PTE of va lives at 0xfd800000 + (va >> 12) * 8).
# The halt loop runs at 0xc0100010 (PD3[0] -> PT0[0x100] -> 0x100000).
# Expected translations: ../pae.expected.ts.

        .include "common.inc"

        .set PDPT, 0x110000
        .set PD0,  0x111000
        .set PD1,  0x112000
        .set PD2,  0x113000
        .set PD3,  0x114000
        .set PT0,  0x115000
        .set PT1,  0x116000
        .set CR4_VALUE, 0xa0            # PAE | PGE
        .set HALT_VA, 0xc0100000 + HALT_OFFSET
        .set LINEAR, P | RW | A | D     # Xen's __PAGE_HYPERVISOR for the linear slots

        GUEST_START
        ENABLE_PAGING PDPT, SEL_CODE32, 1f, EFER_NXE
1:
        SET_REGS32
        SERIAL_PUTS marker
        JMP_HALT32

        GUEST_GDT
marker:
        .asciz "HF-GUEST-READY pae\n"

# ---------------------------------------------------------------- tables
# PDPT entries hold only P (bits 1, 2 and 5-8 are reserved in PAE mode).
        ENTRY64 PDPT, 0, PD0 | P
        ENTRY64 PDPT, 1, PD1 | P
        ENTRY64 PDPT, 2, PD2 | P
        ENTRY64 PDPT, 3, PD3 | P

# PD0: VA 0x00000000-0x3fffffff.
        ENTRY64 PD0, 0, PT0 | TABLE_U
        # VA 0x00400000: 2 MiB -> 0x00400000, global.
        ENTRY64 PD0, 2, 0x00400000 | LEAF | PS | RW | G
        # VA 0x00600000: 2 MiB -> 0x00600000, XD, read-only, user, PCD, PAT.
        ENTRY64 PD0, 3, XD | 0x00600000 | LEAF | PS | US | PCD | PATLG
        # VA 0x00800000: 2 MiB -> 0x12_34600000 (above 4 GiB), user.
        ENTRY64 PD0, 4, 0x1234600000 | LEAF | PS | RW | US

# PD1: VA 0x40000000-0x7fffffff.
        # VA 0x40000000: 2 MiB -> 0x00a00000, XD, user.
        ENTRY64 PD1, 0, XD | 0x00a00000 | LEAF | PS | RW | US
        ENTRY64 PD1, 1, PT1 | TABLE_U

# PD2: VA 0x80000000-0xbfffffff.
        # VA 0xbfe00000: 2 MiB -> 0x01200000, PWT.
        ENTRY64 PD2, 0x1ff, 0x01200000 | LEAF | PS | RW | PWT

# PD3: VA 0xc0000000-0xffffffff.
        # VA 0xc0000000: the same page table as VA 0 (kernel alias of low memory).
        ENTRY64 PD3, 0, PT0 | TABLE_S
        # VA 0xc0200000: 2 MiB -> 0x00400000 (alias of PD0[2]), global.
        ENTRY64 PD3, 1, 0x00400000 | LEAF | PS | RW | G
        # VA 0xfd800000-0xfdffffff: linear page table.
        ENTRY64 PD3, 492, PD0 | LINEAR
        ENTRY64 PD3, 493, PD1 | LINEAR
        ENTRY64 PD3, 494, PD2 | LINEAR
        ENTRY64 PD3, 495, PD3 | LINEAR
        # Not present: a swap-style value.
        ENTRY64 PD3, 0x1ff, 0x00000deadbeef000

# PT0: VA 0x00000000-0x001fffff (and 0xc0000000-0xc01fffff through PD3[0]).
        # VGA text, the image and its stack, the page tables and
        # VA 0x001f0000 -> 0x00300000, read-only, user, PAT; all XD but the image.
        LOW_PT PT0, 64, XD
        # VA 0x001f1000 -> 0x00301000: user, PWT, global.
        ENTRY64 PT0, 0x1f1, 0x00301000 | LEAF | RW | US | PWT | G
        # Not present: a swap-style value.
        ENTRY64 PT0, 0x1ff, 0x000000123456780e

# PT1: VA 0x40200000-0x403fffff.
        # VA 0x40200000 -> 0x02000000: PWT, PAT.
        ENTRY64 PT1, 0, 0x02000000 | LEAF | RW | PWT | PAT4K
        # VA 0x40201000 -> 0x02001000: XD, read-only, user.
        ENTRY64 PT1, 1, XD | 0x02001000 | LEAF | US
        # VA 0x40202000 -> 0x02002000: XD, user, PCD, global.
        ENTRY64 PT1, 2, XD | 0x02002000 | LEAF | RW | US | PCD | G
        END_TABLES PT1
