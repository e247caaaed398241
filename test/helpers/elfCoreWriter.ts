/**
 * Writes ELF cores laid out the way QEMU's dump-guest-memory does, for tests. Written from the
 * gABI and QEMU's documented structures on purpose without sharing constants with the reader, so
 * a misread offset on one side cannot hide behind the same mistake on the other.
 *
 * Layout: ELF header | PT_NOTE | PT_LOAD… | [section header 0 when e_phnum overflows] | notes |
 * memory. Notes: every vCPU's NT_PRSTATUS "CORE" note, then every vCPU's "QEMU" note.
 */

export interface WriterSegment {
  pa: bigint;
  /** Bytes stored in the file (p_filesz). */
  data: Uint8Array;
  /** p_memsz when larger than the data: the rest is recorded but not stored (QEMU: filtered out). */
  memBytes?: bigint;
  /** p_vaddr; default 0, as QEMU writes without paging. Readers must ignore it. */
  va?: bigint;
}

/**
 * Register values by name: rax…r15 (or eax…edi, esp, ebp for i386), rip/eip, rflags/eflags;
 * segment selectors cs ds es fs gs ss tr ldtr and per-segment `<seg>_flags`, `<seg>_limit`,
 * `<seg>_base` (seg in cs ds es fs gs ss tr ldtr gdtr idtr); fs_base/gs_base as aliases of the
 * segment bases; cr0 cr2 cr3 cr4; kernel_gs_base. Missing names write 0.
 */
export interface WriterVcpu {
  regs: Record<string, bigint>;
}

export interface CoreSpec {
  elfClass?: 32 | 64;
  /** Default: x86_64 for ELF64, i386 for ELF32 (QEMU also writes i386 in ELF64 above 4 GiB). */
  machine?: 'x86_64' | 'i386';
  segments: WriterSegment[];
  vcpus?: WriterVcpu[];
  /** Write the QEMU CPU-state notes (default true). */
  qemuNotes?: boolean;
  /** Include kernel_gs_base (QEMUCPUState of 440 bytes) or not (older QEMU: 432). Default true. */
  kernelGsBase?: boolean;
  /** Put PN_XNUM in e_phnum and the real count in section header 0's sh_info. */
  extendedPhnum?: boolean;
  /** Override header fields to make broken files. */
  patch?: { magic?: number[]; elfClassByte?: number; dataByte?: number; type?: number; machine?: number };
}

/** Little-endian byte builder; large blocks are kept whole rather than copied byte by byte. */
class Out {
  private parts: Uint8Array[] = [];
  private small: number[] = [];
  private flushed = 0;
  get length(): number {
    return this.flushed + this.small.length;
  }
  u8(v: number): this {
    this.small.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u32(v: number | bigint): this {
    const n = BigInt(v) & 0xffffffffn;
    for (let i = 0n; i < 4n; i++) this.u8(Number((n >> (8n * i)) & 0xffn));
    return this;
  }
  u64(v: bigint): this {
    return this.u32(v & 0xffffffffn).u32(v >> 32n);
  }
  /** A class-sized address/offset field. */
  word(v: bigint, cls: 32 | 64): this {
    return cls === 64 ? this.u64(v) : this.u32(v);
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.u8(0);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.flush();
    this.parts.push(b);
    this.flushed += b.length;
    return this;
  }
  pad4(): this {
    while (this.length % 4 !== 0) this.u8(0);
    return this;
  }
  done(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.flushed);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
  private flush(): void {
    if (this.small.length === 0) return;
    this.parts.push(Uint8Array.from(this.small));
    this.flushed += this.small.length;
    this.small = [];
  }
}

const r = (regs: Record<string, bigint>, ...names: string[]): bigint => {
  for (const n of names) if (regs[n] !== undefined) return regs[n];
  return 0n;
};

function note(name: string, type: number, desc: Uint8Array): Uint8Array {
  const o = new Out();
  o.u32(name.length + 1).u32(desc.length).u32(type);
  o.bytes(new TextEncoder().encode(name)).u8(0).pad4();
  o.bytes(desc).pad4();
  return o.done();
}

/** struct elf_prstatus for x86_64: 336 bytes, pr_pid at 32, pr_reg (27 longs) at 112. */
function prstatus64(regs: Record<string, bigint>, pid: number): Uint8Array {
  const o = new Out().zeros(32).u32(pid).zeros(76);
  const order = [
    'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  ];
  for (const n of order) o.u64(r(regs, n));
  o.u64(0n); // orig_rax
  o.u64(r(regs, 'rip')).u64(r(regs, 'cs')).u64(r(regs, 'rflags')).u64(r(regs, 'rsp')).u64(r(regs, 'ss'));
  o.u64(r(regs, 'fs_base')).u64(r(regs, 'gs_base'));
  o.u64(r(regs, 'ds')).u64(r(regs, 'es')).u64(r(regs, 'fs')).u64(r(regs, 'gs'));
  return o.zeros(8).done();
}

/** struct elf_prstatus for i386: 144 bytes, pr_pid at 24, pr_reg (user_regs_struct) at 72. */
function prstatus32(regs: Record<string, bigint>, pid: number): Uint8Array {
  const o = new Out().zeros(24).u32(pid).zeros(44);
  for (const n of ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'eax']) o.u32(r(regs, n, 'r' + n.slice(1)));
  for (const s of ['ds', 'es', 'fs', 'gs']) o.u16(Number(r(regs, s))).u16(0);
  o.u32(0); // orig_eax
  o.u32(r(regs, 'eip', 'rip'));
  o.u16(Number(r(regs, 'cs'))).u16(0);
  o.u32(r(regs, 'eflags', 'rflags')).u32(r(regs, 'esp', 'rsp'));
  o.u16(Number(r(regs, 'ss'))).u16(0);
  return o.zeros(4).done();
}

/** QEMUCPUState: version 1, size, 18 u64 registers, 10 segments of 24 bytes, cr[5], kernel_gs_base. */
function qemuState(regs: Record<string, bigint>, withKgs: boolean): Uint8Array {
  const size = withKgs ? 440 : 432;
  const o = new Out().u32(1).u32(size);
  const gprs = ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'sp', 'bp'];
  for (const g of gprs) o.u64(r(regs, 'r' + g, 'e' + g));
  for (let i = 8; i <= 15; i++) o.u64(r(regs, `r${i}`));
  o.u64(r(regs, 'rip', 'eip')).u64(r(regs, 'rflags', 'eflags'));
  // Segment order in the struct: cs ds es fs gs ss ldt tr gdt idt.
  for (const s of ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'ldtr', 'tr', 'gdtr', 'idtr']) {
    o.u32(r(regs, s)).u32(r(regs, `${s}_limit`)).u32(r(regs, `${s}_flags`)).u32(0);
    o.u64(r(regs, `${s}_base`));
  }
  for (let i = 0; i < 5; i++) o.u64(r(regs, `cr${i}`));
  if (withKgs) o.u64(r(regs, 'kernel_gs_base'));
  return o.done();
}

export function buildElfCore(spec: CoreSpec): Uint8Array {
  const cls = spec.elfClass ?? 64;
  const machine = spec.machine ?? (cls === 64 ? 'x86_64' : 'i386');
  const vcpus = spec.vcpus ?? [];
  const ehdrBytes = cls === 64 ? 64 : 52;
  const phdrBytes = cls === 64 ? 56 : 32;
  const shdrBytes = cls === 64 ? 64 : 40;

  const notes = new Out();
  vcpus.forEach((v, i) => {
    const desc = machine === 'x86_64' ? prstatus64(v.regs, i + 1) : prstatus32(v.regs, i + 1);
    notes.bytes(note('CORE', 1, desc));
  });
  if (spec.qemuNotes ?? true) {
    for (const v of vcpus) notes.bytes(note('QEMU', 0, qemuState(v.regs, spec.kernelGsBase ?? true)));
  }
  const noteBytes = notes.done();

  const phnum = 1 + spec.segments.length;
  const shBytes = spec.extendedPhnum ? shdrBytes : 0;
  const noteOffset = ehdrBytes + phnum * phdrBytes + shBytes;
  let dataOffset = noteOffset + noteBytes.length;

  const o = new Out();
  const p = spec.patch ?? {};
  for (const b of p.magic ?? [0x7f, 0x45, 0x4c, 0x46]) o.u8(b);
  o.u8(p.elfClassByte ?? (cls === 64 ? 2 : 1)).u8(p.dataByte ?? 1).u8(1).zeros(9); // EV_CURRENT, pad
  o.u16(p.type ?? 4).u16(p.machine ?? (machine === 'x86_64' ? 62 : 3)).u32(1);
  o.word(0n, cls); // e_entry
  o.word(BigInt(ehdrBytes), cls); // e_phoff
  o.word(spec.extendedPhnum ? BigInt(ehdrBytes + phnum * phdrBytes) : 0n, cls); // e_shoff
  o.u32(0).u16(ehdrBytes).u16(phdrBytes).u16(spec.extendedPhnum ? 0xffff : phnum);
  o.u16(spec.extendedPhnum ? shdrBytes : 0).u16(spec.extendedPhnum ? 1 : 0).u16(0);

  const phdr = (type: number, offset: bigint, va: bigint, pa: bigint, filesz: bigint, memsz: bigint) => {
    if (cls === 64) {
      o.u32(type).u32(0).u64(offset).u64(va).u64(pa).u64(filesz).u64(memsz).u64(0n);
    } else {
      o.u32(type).u32(offset).u32(va).u32(pa).u32(filesz).u32(memsz).u32(0).u32(0);
    }
  };
  phdr(4, BigInt(noteOffset), 0n, 0n, BigInt(noteBytes.length), BigInt(noteBytes.length));
  for (const s of spec.segments) {
    const filesz = BigInt(s.data.length);
    phdr(1, BigInt(dataOffset), s.va ?? 0n, s.pa, filesz, s.memBytes ?? filesz);
    dataOffset += s.data.length;
  }
  if (spec.extendedPhnum) {
    // Section header 0 is all zeros except sh_info = real e_phnum.
    const infoAt = cls === 64 ? 44 : 28;
    o.zeros(infoAt).u32(phnum).zeros(shdrBytes - infoAt - 4);
  }
  o.bytes(noteBytes);
  for (const s of spec.segments) o.bytes(s.data);
  return o.done();
}

/** Deterministic filler so every byte of a segment is distinguishable from its neighbours. */
export function pattern(bytes: number, seed: number): Uint8Array {
  const b = new Uint8Array(bytes);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}
