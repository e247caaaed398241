/**
 * The Registers scopes over a real QEMU guest: values against the guest's source (EXPECTED),
 * hidden segment state and GDTR against the ELF's own symbols and QEMU's `info registers`, and
 * register writes (whole registers and single bits) checked through QEMU's monitor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RootsResult } from '../../src/shared/dapRequests';
import { EXPECTED, parseInfoRegisters } from '../guests/harness';
import { liveInspection, type LiveInspection, variablesOf } from './inspect.helpers';

const exp = EXPECTED.long4;

async function hmpRegs(li: LiveInspection, cpu = 0): Promise<Map<string, bigint>> {
  await li.guest.hmp(`cpu ${cpu}`);
  return parseInfoRegisters(await li.guest.hmp('info registers')).get(cpu)!;
}

describe('Registers scopes on the long4 guest', () => {
  let li: LiveInspection;
  beforeAll(async () => {
    li = await liveInspection('long4');
  });
  afterAll(async () => {
    await li?.close();
  });

  async function scope(name: string, vcpu = 0) {
    const s = (await li.inspection.scopes(vcpu)).find((x) => x.name === name)!;
    expect(s.presentationHint).toBe('registers');
    return { ref: s.variablesReference, vars: await variablesOf(li.inspection, s.variablesReference) };
  }

  it('offers General, Segment and Control', async () => {
    expect((await li.inspection.scopes(0)).map((s) => s.name)).toEqual(['General', 'Segment', 'Control']);
  });

  it('General: every register the guest sets, in hex at full width, addresses with memory references', async () => {
    const { vars } = await scope('General');
    expect([...vars.keys()].slice(0, 17)).toEqual(['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip']);
    for (const [name, value] of Object.entries(exp.registers)) {
      expect(vars.get(name)?.value, name).toBe(`0x${value.toString(16).padStart(16, '0')}`);
    }
    expect(vars.get('rbx')!.value).toBe('0x1122334455667788');
    expect(vars.get('rip')!.memoryReference).toBe('v0:0xffffffff80000012');
    expect(vars.get('rsp')!.memoryReference).toBe('v0:0x110000');
    expect(vars.get('rip')!.evaluateName).toBe('$rip');
    // Non-canonical values are no addresses.
    expect(vars.get('rbx')!.memoryReference).toBeUndefined();
  });

  it('rflags: each flag a child, as QEMU prints RFL', async () => {
    const { vars } = await scope('General');
    const rfl = (await hmpRegs(li)).get('rfl')!;
    const rflags = vars.get('rflags')!;
    expect(rflags.value).toBe(`0x${rfl.toString(16).padStart(8, '0')}`);
    const flags = await variablesOf(li.inspection, rflags.ref);
    // SDM vol. 1, figure 3-8, written out by hand.
    const positions: Record<string, number> = { CF: 0, PF: 2, AF: 4, ZF: 6, SF: 7, TF: 8, IF: 9, DF: 10, OF: 11, NT: 14, RF: 16, VM: 17, AC: 18, VIF: 19, VIP: 20, ID: 21 };
    for (const [name, bit] of Object.entries(positions)) expect(flags.get(name)?.value, name).toBe(String((rfl >> BigInt(bit)) & 1n));
    expect(flags.get('IOPL')!.value).toBe(String((rfl >> 12n) & 3n));
    expect(flags.get('IF')!.value).toBe('0'); // the guest halts after cli
  });

  it('Segment: selectors decoded, hidden parts and GDTR from the monitor', async () => {
    const { vars } = await scope('Segment');
    const cs = vars.get('cs')!;
    expect(cs.value).toBe('0x0018'); // SEL_CODE64
    const csKids = await variablesOf(li.inspection, cs.ref);
    expect([csKids.get('index')!.value, csKids.get('TI')!.value, csKids.get('RPL')!.value]).toEqual(['3', '0', '0']);
    expect(csKids.get('attributes')!.type).toMatch(/CS64/);
    const attrs = await variablesOf(li.inspection, csKids.get('attributes')!.ref);
    expect(attrs.get('L')!.value).toBe('1'); // descriptor 0x00af9a000000ffff: L=1, D=0
    expect(attrs.get('DB')!.value).toBe('0');
    expect(attrs.get('P')!.value).toBe('1');
    expect(vars.get('ds')!.value).toBe('0x0010');
    expect(vars.get('fs_base')!.value).toBe('0x0000000000000000');
    // The GDT is the guest's `gdt` label (0x1000f0 in the ELF), 4 descriptors: limit 0x1f.
    const gdtr = vars.get('gdtr')!;
    expect(gdtr.value).toBe('base 0x00000000001000f0 limit 0x001f');
    expect(gdtr.memoryReference).toBe('v0:0x1000f0');
    expect(vars.get('idtr')!.value).toMatch(/^base 0x0000000000000000 limit /);
    expect(vars.get('tr')!.type).toMatch(/TSS64-busy/);
    expect(vars.has('ldtr')).toBe(true);
  });

  it('Control: CR0/CR4/EFER bits, CR3 root, and no KPTI row on a guest without it', async () => {
    const { vars } = await scope('Control');
    expect(vars.get('cr0')!.value).toBe('0x0000000080010011');
    const cr0 = await variablesOf(li.inspection, vars.get('cr0')!.ref);
    const setCr0 = [...cr0].filter(([, v]) => v.value === '1').map(([k]) => k);
    expect(setCr0).toEqual(['PE', 'ET', 'WP', 'PG']); // 0x80010011 by hand
    expect(cr0.get('PG')!.type).toBe('Paging');
    const cr3 = vars.get('cr3')!;
    expect(cr3.value).toBe('0x0000000000110000');
    expect(cr3.memoryReference).toBe(`p:0x${exp.root.toString(16)}`);
    const cr3Kids = await variablesOf(li.inspection, cr3.ref);
    expect(cr3Kids.get('root')).toMatchObject({ value: '0x0000000000110000', memoryReference: 'p:0x110000' });
    expect(cr3Kids.has('PCID')).toBe(false); // CR4.PCIDE is clear: PWT and PCD instead
    expect(cr3Kids.get('PWT')!.value).toBe('0');
    // The page above this PML4 is the guest's PDPT_LO (long4.expected), not a PTI user copy.
    expect(cr3Kids.has('kptiUserRoot')).toBe(false);
    expect(cr3Kids.has('kptiKernelRoot')).toBe(false);
    const cr4 = await variablesOf(li.inspection, vars.get('cr4')!.ref);
    expect([...cr4].filter(([, v]) => v.value === '1').map(([k]) => k)).toEqual(['PAE', 'PGE']); // 0xa0
    const efer = await variablesOf(li.inspection, vars.get('efer')!.ref);
    expect([...efer].filter(([, v]) => v.value === '1').map(([k]) => k)).toEqual(['LME', 'LMA', 'NXE']); // 0xd00
    expect(vars.get('cr2')!.value).toBe('0x0000000000000000');
    expect(vars.get('paging')!.value).toBe('long4 (CR0.PG, EFER.LMA), root 0x110000');
  });

  it('setVariable writes a register; QEMU sees it', async () => {
    const { ref } = await scope('General');
    const r = await li.inspection.setVariable({ variablesReference: ref, name: 'rdx', value: '0x1234_5678 + 1' });
    expect(r.value).toBe('0x0000000012345679');
    expect((await hmpRegs(li)).get('rdx')).toBe(0x1234_5679n);
    await li.inspection.setVariable({ variablesReference: ref, name: 'rdx', value: '0' });
    expect((await hmpRegs(li)).get('rdx')).toBe(0n);
    await expect(li.inspection.setVariable({ variablesReference: ref, name: 'rdx', value: '1 +' })).rejects.toThrow(/column 4/);
  });

  it('setVariable on a bit rewrites CR0; two bits from one listing both stick', async () => {
    const { vars } = await scope('Control');
    const cr0Ref = vars.get('cr0')!.ref;
    const r = await li.inspection.setVariable({ variablesReference: cr0Ref, name: 'AM', value: '1' });
    expect(r.value).toBe('1');
    expect((await hmpRegs(li)).get('cr0')).toBe(0x8005_0011n);
    // The same (not re-listed) children: NE must be added to the new CR0, not to the old one.
    await li.inspection.setVariable({ variablesReference: cr0Ref, name: 'NE', value: '1' });
    expect((await hmpRegs(li)).get('cr0')).toBe(0x8005_0031n);
    const after = await variablesOf(li.inspection, (await variablesOf(li.inspection, (await scope('Control')).ref)).get('cr0')!.ref);
    expect(after.get('AM')!.value).toBe('1');
    await expect(li.inspection.setVariable({ variablesReference: cr0Ref, name: 'AM', value: '2' })).rejects.toThrow(/does not fit in AM/);
    await li.inspection.setVariable({ variablesReference: cr0Ref, name: 'AM', value: '0' });
    await li.inspection.setVariable({ variablesReference: cr0Ref, name: 'NE', value: '0' });
    expect((await hmpRegs(li)).get('cr0')).toBe(exp.cpus[0].cr0);
  });

  it('setVariable on an rflags bit', async () => {
    const { vars } = await scope('General');
    const before = (await hmpRegs(li)).get('rfl')!;
    await li.inspection.setVariable({ variablesReference: vars.get('rflags')!.ref, name: 'CF', value: '1' });
    expect((await hmpRegs(li)).get('rfl')).toBe(before | 1n);
    await li.inspection.setVariable({ variablesReference: vars.get('rflags')!.ref, name: 'CF', value: '0' });
    expect((await hmpRegs(li)).get('rfl')).toBe(before & ~1n);
  });

  it('read-only rows refuse writes; stale references fail clearly after invalidate()', async () => {
    const { vars, ref } = await scope('Control');
    await expect(li.inspection.setVariable({ variablesReference: ref, name: 'paging', value: '1' })).rejects.toThrow(/cannot be changed/);
    li.inspection.invalidate();
    await expect(li.inspection.variables({ variablesReference: vars.get('cr0')!.ref })).rejects.toThrow(/is gone/);
  });
});

describe('Registers scopes per vCPU on long4smp', () => {
  let li: LiveInspection;
  beforeAll(async () => {
    li = await liveInspection('long4smp');
  });
  afterAll(async () => {
    await li?.close();
  });

  it.each([0, 1])('vCPU %i shows its own registers and CR3', async (vcpu) => {
    const cpu = EXPECTED.long4smp.cpus[vcpu];
    const scopes = await li.inspection.scopes(vcpu);
    const general = await variablesOf(li.inspection, scopes[0].variablesReference);
    for (const [name, value] of Object.entries(cpu.registers)) expect(general.get(name)?.value, name).toBe(`0x${value.toString(16).padStart(16, '0')}`);
    expect(general.get('rip')!.memoryReference).toBe(`v${vcpu}:0xffffffff80000012`);
    const control = await variablesOf(li.inspection, scopes[2].variablesReference);
    expect(BigInt(control.get('cr3')!.value)).toBe(cpu.root);
    const segment = await variablesOf(li.inspection, scopes[1].variablesReference);
    // Each vCPU's own monitor view (cpu N first): the AP's GDT came from the trampoline's gdtr.
    const mon = parseInfoRegisters(await (async () => {
      await li.guest.hmp(`cpu ${vcpu}`);
      return li.guest.hmp('info registers');
    })()).get(vcpu)!;
    expect(BigInt(control.get('cr0')!.value)).toBe(mon.get('cr0'));
    expect(segment.get('cs')!.value).toBe(`0x${mon.get('cs')!.toString(16).padStart(4, '0')}`);
  });
});

describe('CR3 on the pae guest with a PDPT 32 bytes into its page', () => {
  // SDM vol. 3A table 4-7: in PAE paging CR3 bits 31:5 locate the PDPT. Linux PAE allocates
  // PDPTs from a 32-byte slab, so a root 32 bytes into a page is ordinary there.
  const PDPT = 0x11_0000n;
  const SLAB_PDPT = PDPT + 0x20n;
  const [PD0, PD1, PD2] = [0x11_1000n, 0x11_2000n, 0x11_3000n];
  let li: LiveInspection;
  beforeAll(async () => {
    li = await liveInspection('pae');
    // A second PDPT beside the guest's: its slot 3 points at PD0, so VA 0xc0600000 maps as
    // VA 0x600000 does (a 2 MiB page at PA 0x600000) instead of not at all.
    const entries = [PD0, PD1, PD2, PD0].map((pd) => pd | 1n);
    const bytes = Buffer.alloc(32);
    entries.forEach((e, i) => bytes.writeBigUInt64LE(e, i * 8));
    await li.inspection.writeMemory({ memoryReference: `p:0x${SLAB_PDPT.toString(16)}`, data: bytes.toString('base64') });
  });
  afterAll(async () => {
    await li?.close();
  });

  const control = async () => {
    const s = (await li.inspection.scopes(0)).find((x) => x.name === 'Control')!;
    return variablesOf(li.inspection, s.variablesReference);
  };

  it("setVariable on CR3's root takes a 32-byte-aligned PDPT; QEMU loads it", async () => {
    const cr3 = (await control()).get('cr3')!;
    expect(cr3.value).toBe('0x0000000000110000');
    const kids = await variablesOf(li.inspection, cr3.ref);
    expect([...kids.keys()]).toEqual(['root']); // PAE CR3 has no PWT/PCD (bits 4:0 ignored)
    await expect(li.inspection.setVariable({ variablesReference: cr3.ref, name: 'root', value: '0x110010' })).rejects.toThrow(
      'root 0x110010 is not a 32-byte-aligned physical address below 2^32',
    );
    await li.inspection.setVariable({ variablesReference: cr3.ref, name: 'root', value: '0x110020' });
    expect(parseInfoRegisters(await li.guest.hmp('info registers')).get(0)!.get('cr3')).toBe(SLAB_PDPT);
  });

  it('the Registers view, its memory reference, the console and the roots request show root 0x110020', async () => {
    const vars = await control();
    const cr3 = vars.get('cr3')!;
    expect(cr3).toMatchObject({ value: '0x0000000000110020', memoryReference: 'p:0x110020' });
    expect((await variablesOf(li.inspection, cr3.ref)).get('root')).toMatchObject({ value: '0x0000000000110020', memoryReference: 'p:0x110020' });
    expect(vars.get('paging')!.value).toBe('pae (CR0.PG, CR4.PAE), root 0x110020');
    const regs = (await li.inspection.evaluate({ expression: 'regs', context: 'repl' }, 0))!.result;
    expect(regs).toContain(' cr3 0x0000000000110020  root=0x110020\n');
    const roots = (await li.inspection.customRequest('hyperframe/roots', {})) as RootsResult;
    expect(roots.roots).toEqual([{ vcpu: 0, cr3: '0x110020', mode: 'pae', root: '0x110020' }]);
  });

  it('translation walks the PDPT at 0x110020, as QEMU does', async () => {
    expect(await li.guest.hmp('gva2gpa 0xc0600123')).toMatch(/gpa: 0x600123/);
    const t = (await li.inspection.evaluate({ expression: 'translate 0xc0600123', context: 'repl' }, 0))!.result;
    expect(t).toContain('pae, root 0x110020');
    expect(t).toMatch(/^PA 0x600123 /m);
  });
});
