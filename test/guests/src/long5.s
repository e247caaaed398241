# long5: 5-level paging (CR4.LA57, -cpu qemu64,+la57), EFER.NXE, CR4.PGE.
# CR4.LA57 is set while paging is still off, before long mode is activated.
#
# CR3 = 0x00110000 (PML5). Tables:
#   0x00110000  PML5
#   0x00111000  PML4_LO    PML5[0x000]   VA 0x0000000000000000
#   0x00112000  PDPT_LO    PML4_LO[0]
#   0x00113000  PD_LO      PDPT_LO[0]
#   0x00114000  PT_LO      PD_LO[0]
#   0x00115000  PML4_HI    PML5[0x1ff]   VA 0xffff000000000000
#   0x00116000  PDPT_HI    PML4_HI[511]  VA 0xffffff8000000000
#   0x00117000  PD_KERN    PDPT_HI[510]  VA 0xffffffff80000000
#   0x00118000  PML4_MID   PML5[0x100]   VA 0xff00000000000000 (57-bit only)
#   0x00119000  PDPT_MID   PML4_MID[0]
#   0x0011a000  PD_MID     PDPT_MID[0]
#   0x0011b000  PT_MID     PD_MID[0]
# The halt loop runs at 0xffffffff80100010 (PD_KERN[0]: 2 MiB -> 0).
# Expected translations: ../long5.expected.ts.

        .include "common.inc"

        .set PML5,     0x110000
        .set PML4_LO,  0x111000
        .set PDPT_LO,  0x112000
        .set PD_LO,    0x113000
        .set PT_LO,    0x114000
        .set PML4_HI,  0x115000
        .set PDPT_HI,  0x116000
        .set PD_KERN,  0x117000
        .set PML4_MID, 0x118000
        .set PDPT_MID, 0x119000
        .set PD_MID,   0x11a000
        .set PT_MID,   0x11b000

        .set CR4_VALUE, 0x10a0          # LA57 | PAE | PGE
        .set HALT_VA,   0xffffffff80000000 + IMAGE_BASE + HALT_OFFSET

        GUEST_START
        ENABLE_PAGING PML5, SEL_CODE64, long_entry, EFER_LME | EFER_NXE

        .code64
long_entry:
        LOAD_DATA_SEGS
        SET_REGS64 0x0505050505050505
        SERIAL_PUTS marker
        JMP_HALT64

        GUEST_GDT
marker:
        .asciz "HF-GUEST-READY long5\n"

# ---------------------------------------------------------------- tables
        ENTRY64 PML5, 0x000, PML4_LO | TABLE_U
        ENTRY64 PML5, 0x100, PML4_MID | TABLE_S
        ENTRY64 PML5, 0x1ff, PML4_HI | TABLE_S

# Low half: VA 0x0000000000000000.
        ENTRY64 PML4_LO, 0, PDPT_LO | TABLE_U
        ENTRY64 PDPT_LO, 0, PD_LO | TABLE_U
        ENTRY64 PD_LO, 0, PT_LO | TABLE_U
        # VA 0x00400000: 2 MiB -> 0x00400000, XD.
        ENTRY64 PD_LO, 2, XD | 0x00400000 | LEAF | PS | RW

        # VGA text, the image and its stack, the page tables and
        # VA 0x001f0000 -> 0x00300000, read-only, user, PAT; all XD but the image.
        LOW_PT PT_LO, 64, XD
        # Not present: a swap-style value.
        ENTRY64 PT_LO, 0x1ff, 0x0000000fedcba980

# Top of the address space: VA 0xffffffff80000000 (kernel-style).
        ENTRY64 PML4_HI, 511, PDPT_HI | TABLE_S
        ENTRY64 PDPT_HI, 510, PD_KERN | TABLE_S
        # VA 0xffffffff80000000: 2 MiB -> 0x00000000, global, executable.
        ENTRY64 PD_KERN, 0, 0x00000000 | LEAF | PS | RW | G

# VA 0xff00000000000000: reachable only with 57-bit addresses.
        ENTRY64 PML4_MID, 0, PDPT_MID | TABLE_S
        ENTRY64 PDPT_MID, 0, PD_MID | TABLE_S
        ENTRY64 PD_MID, 0, PT_MID | TABLE_S
        # VA 0xff00000000200000: 2 MiB -> 0x00600000, XD, PCD, PAT (bit 12).
        ENTRY64 PD_MID, 1, XD | 0x00600000 | LEAF | PS | RW | PCD | PATLG
        # VA 0xff00000000000000 -> 0x00500000, XD, global.
        ENTRY64 PT_MID, 0, XD | 0x00500000 | LEAF | RW | G
        # VA 0xff00000000001000 -> 0x00501000: read-only, PWT, PAT (bit 7).
        ENTRY64 PT_MID, 1, 0x00501000 | LEAF | PWT | PAT4K
        END_TABLES PT_MID
