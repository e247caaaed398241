# legacy32: 32-bit paging (no PAE) with CR4.PSE and CR4.PGE.
#
# CR3 = 0x00110000 (page directory). Tables:
#   0x00110000  PD
#   0x00111000  PT_LOW   (PD[0x000]: VA 0x00000000-0x003fffff)
#   0x00112000  PT_KERN  (PD[0x301]: VA 0xc0400000-0xc07fffff)
# The halt loop runs at its kernel alias 0xc0400010 (PT_KERN[0] -> 0x100000).
# Expected translations: ../legacy32.expected.ts.

        .include "common.inc"

        .set PD,      0x110000
        .set PT_LOW,  0x111000
        .set PT_KERN, 0x112000
        .set CR4_VALUE, 0x90            # PSE | PGE
        .set HALT_VA, 0xc0400000 + HALT_OFFSET

        GUEST_START
        ENABLE_PAGING PD, SEL_CODE32, 1f
1:
        SET_REGS32
        SERIAL_PUTS marker
        JMP_HALT32

        GUEST_GDT
marker:
        .asciz "HF-GUEST-READY legacy32\n"

# ---------------------------------------------------------------- tables
# PD: 4-byte entries.
        ENTRY32 PD, 0x000, PT_LOW | TABLE_U
        # VA 0x00400000: 4 MiB -> 0x00400000, global.
        ENTRY32 PD, 0x001, 0x00400000 | LEAF | PS | RW | G
        # VA 0x00800000: 4 MiB -> 0x00800000, read-only, user, PCD, PAT.
        ENTRY32 PD, 0x002, 0x00800000 | LEAF | PS | US | PCD | PATLG
        # VA 0x00c00000: 4 MiB -> 0x01000000, user, PWT and PCD.
        ENTRY32 PD, 0x003, 0x01000000 | LEAF | PS | RW | US | PWT | PCD
        # VA 0xc0000000: 4 MiB -> 0x00400000 (second alias of PD[1]), global.
        ENTRY32 PD, 0x300, 0x00400000 | LEAF | PS | RW | G
        ENTRY32 PD, 0x301, PT_KERN | TABLE_S
        # VA 0xfc000000: 4 MiB -> 0x5_00800000. PSE-36: physical-address
        # bits 39:32 (0x05) sit in PDE bits 20:13.
        ENTRY32 PD, 0x3f0, 0x00800000 | (0x05 << 13) | LEAF | PS | RW
        # Not present: a swap-style value.
        ENTRY32 PD, 0x3ff, 0x2468ace0

# PT_LOW: VA 0x00000000-0x003fffff, 4 KiB pages.
        # VGA text, the image and its stack, the page tables (VA 0x00110000-
        # 0x0012ffff) and VA 0x001f0000 -> 0x00300000, read-only, user, PAT.
        LOW_PT PT_LOW, 32, 0
        # VA 0x001f1000 -> 0x00301000: user, PWT, global.
        ENTRY32 PT_LOW, 0x1f1, 0x00301000 | LEAF | RW | US | PWT | G
        # Not present: a swap-style value.
        ENTRY32 PT_LOW, 0x1ff, 0x13572468

# PT_KERN: VA 0xc0400000-0xc07fffff.
        # VA 0xc0400000-0xc040ffff -> the image (kernel-style alias), global.
        RUN32 PT_KERN, 0x000, 16, 0x00100000, LEAF | RW | G
        # VA 0xc0410000 -> 0x02000000: PWT, PAT.
        ENTRY32 PT_KERN, 0x010, 0x02000000 | LEAF | RW | PWT | PAT4K
        # VA 0xc0411000 -> 0x02001000: read-only, user.
        ENTRY32 PT_KERN, 0x011, 0x02001000 | LEAF | US
        # Not present: a swap-style value.
        ENTRY32 PT_KERN, 0x020, 0x7ffffffe
        END_TABLES PT_KERN
