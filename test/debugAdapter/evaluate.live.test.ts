/**
 * evaluate (watch, hover, repl) and breakpoint conditions on the long4smp guest, with the guest's
 * ELF symbols. Truth: EXPECTED registers and entries, QEMU's own translator (`gva2gpa`) and `xp`.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPECTED, parseXp } from '../guests/harness';
import { HIGH_ALIAS_BIAS, liveInspection, type LiveInspection } from './inspect.helpers';

const exp = EXPECTED.long4smp;

describe('evaluate on long4smp', () => {
  let li: LiveInspection;
  beforeAll(async () => {
    li = await liveInspection('long4smp', { symbols: true });
    // Distinct bytes behind VA 0x40000000 on each vCPU (CPU 0: 0x800000, CPU 1: 0x900000).
    await li.target.writePhysical(0x80_0000n, Uint8Array.of(0x11, 0x22, 0x33, 0x44));
    await li.target.writePhysical(0x90_0000n, Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd));
  });
  afterAll(async () => {
    await li?.close();
  });

  /** long_entry as nm reads the ELF, moved to the high alias the code runs at. */
  const longEntry = () => {
    const line = execFileSync('nm', [li.guest.elfPath], { encoding: 'utf8' }).split('\n').find((l) => l.endsWith(' long_entry'))!;
    return BigInt(`0x${line.split(' ')[0]}`) + HIGH_ALIAS_BIAS;
  };
  const watch = (expression: string, vcpu = 0) => li.inspection.evaluate({ expression, context: 'watch' }, vcpu);
  const repl = async (expression: string, vcpu = 0) => (await li.inspection.evaluate({ expression, context: 'repl' }, vcpu)).result;
  const hover = (expression: string, vcpu = 0) => li.inspection.evaluate({ expression, context: 'hover' }, vcpu);
  const gva2gpa = async (cpu: number, va: string) => {
    await li.guest.hmp(`cpu ${cpu}`);
    return li.guest.hmp(`gva2gpa ${va}`);
  };

  describe('watch expressions', () => {
    it('registers with $ and bare, in hex with decimal when small', async () => {
      expect((await watch('$rbx')).result).toBe('0x1122334455667788');
      expect((await watch('rbx')).result).toBe('0x1122334455667788');
      expect((await watch('$rbx', 1)).result).toBe('0xa1a2a3a4a5a6a7a8');
      const cr3 = await watch('$cr3');
      expect(cr3.result).toBe('0x110000 (1114112)');
      expect(cr3.memoryReference).toBe('v0:0x110000');
      expect((await watch('$cr3', 1)).result).toBe(`0x${exp.cpus[1].cr3.toString(16)} (${exp.cpus[1].cr3})`);
      expect((await watch('$rip')).memoryReference).toBe('v0:0xffffffff80000012');
      expect((await watch('$eip')).result).toBe('0x80000012 (2147483666)');
      expect((await watch('$rflags & 0x200')).result).toBe('0x0'); // IF clear after cli
    });

    it('symbols are their address', async () => {
      const r = await watch('long_entry + 4');
      const va = longEntry() + 4n;
      expect(r.result).toBe(`0x${va.toString(16)}`);
      expect(r.memoryReference).toBe(`v0:0x${va.toString(16)}`);
    });

    it('memory reads go through the evaluating vCPU; phys() reads physical memory', async () => {
      expect((await watch('*(u32 *)0x40000000', 0)).result).toBe('0x44332211 (1144201745)');
      expect((await watch('*(u32 *)0x40000000', 1)).result).toBe('0xddccbbaa (3721182122)');
      expect((await watch('*(u8 *)0x40000000 == 0xaa', 1)).result).toBe('true');
      expect((await watch('phys(u32, 0x900000)')).result).toBe('0xddccbbaa (3721182122)');
      // The recursive slot, read both ways: the PML4 is identity-mapped.
      const slot = exp.entries.find((e) => /recursive slot 0x1ed -> PML4$/.test(e.what))!;
      expect((await watch('phys(u64, ($cr3 & ~0xfff) + 0x1ed * 8)')).result).toBe(`0x${slot.value.toString(16)} (${slot.value})`);
      expect((await watch('*($cr3 + 8 * 0x1ed)')).result).toBe(`0x${slot.value.toString(16)} (${slot.value})`);
      expect((await watch('*(u32 *)0xffffffff80000000')).result).toBe('0x1badb002 (464367618)'); // multiboot magic
    });

    it('errors keep their column', async () => {
      await expect(watch('$rax +')).rejects.toThrow(/column 7/);
      await expect(watch('*(u8 *)0x7fffffffd000')).rejects.toThrow(/cannot read 1 bytes at 0x7fffffffd000/);
      await expect(watch('no_such_symbol')).rejects.toThrow(/'no_such_symbol' is neither a symbol nor a register at column 1/);
    });
  });

  describe('breakpoint conditions', () => {
    it('evaluateCondition is true when the expression is not zero on that vCPU', async () => {
      expect(await li.inspection.evaluateCondition('$rip == 0xffffffff80000012', 0)).toBe(true);
      expect(await li.inspection.evaluateCondition('$rbx == 0xa1a2a3a4a5a6a7a8', 0)).toBe(false);
      expect(await li.inspection.evaluateCondition('$rbx == 0xa1a2a3a4a5a6a7a8', 1)).toBe(true);
      expect(await li.inspection.evaluateCondition('($cr3 & ~0xfff) == 0x11d000 && *(u8 *)0x40000000 == 0xaa', 1)).toBe(true);
      expect(await li.inspection.evaluateCondition('$r15', 1)).toBe(true); // r15 = 1 on the AP
      await expect(li.inspection.evaluateCondition('$rip ==', 0)).rejects.toThrow(/column 8/);
    });
  });

  describe('Debug Console commands', () => {
    it('help lists the commands', async () => {
      const h = await repl('help');
      for (const c of ['decode VALUE', 'alias: pte', 'translate VA', 'walk [--leaves]', 'phys PA [LEN]', 'regs', 'monitor CMD']) expect(h).toContain(c);
    });

    it('decode (alias pte) decodes by hand-checkable bits, and says which level it guessed', async () => {
      const decoded =
        'long4 PTE (level 1) 0x8000000000900063: 4 KiB page at 0x900000  P RW A D XD\n' +
        // No PK field: the vCPU runs with CR4.PKE clear, and decode uses its context.
        '  P=1 RW=1 US=0 PWT=0 PCD=0 A=1 D=1 G=0 PAT=0 AVL=0 AVL_HI=0 XD=1\n' +
        '  address 0x900000 (page of 4096 bytes); set: P RW A D XD';
      const guessed = '\nlevel guessed: 1 (PS (bit 7) is clear: read as a PTE; --level N reads it at another level)';
      expect(await repl('pte 0x8000000000900063')).toBe(decoded + guessed);
      expect(await repl('decode 0x8000000000900063')).toBe(decoded + guessed);
      expect(await repl('decode 0x8000000000900063 --level 1')).toBe(decoded);
      expect((await repl('decode 0x1e3')).split('\n').at(-1)).toBe('level guessed: 2 (PS (bit 7) is set: read as a large page\'s PDE; --level N reads it at another level)');
      expect((await repl('pte 0x1e3 --level 3')).split('\n')[0]).toBe('long4 PDPTE (level 3) 0x00000000000001e3: 1 GiB page at 0x0  P RW A D PS G');
      expect((await repl('decode 0x1000000003 --max-phys-bits 36 --level 1')).split('\n')[0]).toMatch(/RESERVED bits 0x1000000000 set/);
      await expect(repl('decode 0x3 --max-phys-bits 60')).rejects.toThrow(/--max-phys-bits 60 is outside 32\.\.52/);
      expect((await repl('pte 0xdeadb000')).split('\n')[0]).toBe('long4 PTE (level 1) 0x00000000deadb000: not present (software value 0xdeadb000)');
      expect((await repl('pte 0x00400083 --mode legacy32')).split('\n')[0]).toBe('legacy32 PDE (level 2) 0x00400083: 4 MiB page at 0x400000  P RW PS');
      await expect(repl('pte 0x1 --level 9')).rejects.toThrow(/level 9 does not exist in long4/);
    });

    it('translate agrees with QEMU gva2gpa on each vCPU', async () => {
      for (const cpu of [0, 1]) {
        const out = await repl('translate 0x40000000', cpu);
        const qemu = /gpa: (0x[0-9a-f]+)/.exec(await gva2gpa(cpu, '0x40000000'))![1];
        expect(out).toContain(`\nPA ${qemu}  (4 KiB page at ${qemu}; R W - - -)`);
        expect(out.split('\n')[0]).toBe(`# vCPU ${cpu}: long4 (CR0.PG, EFER.LMA), root 0x${exp.cpus[cpu].root.toString(16)}`);
        expect(out).toContain('PML4E     at 0x');
      }
      expect(await repl('translate $rip')).toContain('\nPA 0x100012  (4 KiB page at 0x100000; R W X - G)');
      // Then the PFN, the memory type, and the PTE through the recursive slot 0x1ed (long4.expected):
      // by hand, 0xfffff68000000000 + (0x40000000 >> 12) * 8.
      const more = (await repl('translate 0x40000000', 1)).split('\n');
      expect(more).toContain('  PFN 0x900; memory type WB (PAT entry 0; IA32_PAT taken at its reset value, the guest\'s is not known; MTRRs may still override)');
      expect(more).toContain('  PTE readable at VA 0xfffff68000200000 through the self-map slot 493 (0x1ed)');
      expect((await repl('translate 0xfffff68000200000', 1)).split('\n').at(-1)).toBe(
        'note: VA lies in the window of self-map slot 493 (0x1ed) (0xfffff68000000000-0xfffff6ffffffffff): it names a PTE, not data',
      );
      expect(await repl('translate 0x7fffffffd000')).toMatch(/no translation: not present at level 1/);
      expect(await repl('translate 0x800000000000')).toMatch(/no translation: 0x800000000000 is not canonical/);
    });

    it('walk: merged ranges, the page count of the source, self-map notes', async () => {
      const out = (await repl('walk --limit 1000')).split('\n');
      expect(out[0]).toMatch(new RegExp(`^# vCPU 0: long4 .*: ${exp.cpus[0].leaves.length} pages in \\d+ ranges$`));
      expect(out[1]).toMatch(/^# memory types: IA32_PAT assumed at its reset value 0x0007040600070406/);
      expect(out[2]).toMatch(/^VA\s+PA\s+size\s+flags\s+type\s+pages$/);
      expect(out.filter((l) => l.startsWith('self-map'))).toHaveLength(1);
      // --split-pa: the layout of old, which heads the list with the columns straight away.
      expect((await repl('walk --split-pa --limit 1000')).split('\n')[1]).toMatch(/^VA\s+PA\s+size\s+flags\s+pages$/);
      const one = await repl('walk --leaves --split-pa --from 0x40000000 --to 0x40400000', 1);
      expect(one.split('\n').slice(1)).toEqual(['0x0000000040000000  0x0000000000900000    4K  R W - - -  PTE 0x8000000000900063']);
      // --range takes what walk prints (TO inclusive); the default layout adds the memory type.
      const ranged = await repl('walk --leaves --range 0x40000000-0x403fffff', 1);
      expect(ranged.split('\n').slice(2)).toEqual(['0x0000000040000000  0x0000000000900000    4K  R W - - -  WB    PTE 0x8000000000900063']);
      const cpu0 = (await repl('walk --leaves --from 0x40000000 --to 0x40400000', 0)).split('\n');
      expect(cpu0.slice(2).map((l) => l.slice(0, 18))).toEqual(['0x0000000040000000', '0x0000000040001000', '0x0000000040002000', '0x0000000040200000']);
    });

    it('walk output is capped with a clear line', async () => {
      const out = (await repl('walk --leaves --limit 10')).split('\n');
      expect(out).toHaveLength(13);
      const full = (await repl('walk --leaves --limit 100000')).split('\n');
      expect(out[12]).toBe(`… ${full.length - 2 - 10} more lines, narrow with --range or --filter (or raise --limit)`);
      await expect(repl('walk --bogus')).rejects.toThrow(/unknown option '--bogus'/);
    });

    it('phys dumps physical memory like xp', async () => {
      const out = (await repl('phys 0x100000 32')).split('\n');
      expect(out).toHaveLength(2);
      const bytes = parseXp(await li.guest.hmp('xp /32bx 0x100000')).map((b) => b.toString(16).padStart(2, '0'));
      expect(out[0]).toBe(`0x0000000000100000  ${bytes.slice(0, 8).join(' ')}  ${bytes.slice(8, 16).join(' ')}  |${out[0].split('|')[1]}|`);
      expect(out[1].startsWith(`0x0000000000100010  ${bytes.slice(16, 24).join(' ')}`)).toBe(true);
      expect((await repl('phys 0x900000 4')).startsWith('0x0000000000900000  aa bb cc dd')).toBe(true);
      expect(await repl('phys($cr3)')).toBe('0x111027 (1118247)'); // phys( is the expression, not the command
    });

    it('regs and monitor follow the vCPU in focus', async () => {
      const r1 = await repl('regs', 1);
      expect(r1).toContain('rbx 0xa1a2a3a4a5a6a7a8');
      expect(r1).toContain(' cr0 0x0000000080010011  PE ET WP PG');
      expect(r1).toContain(`cr3 0x${exp.cpus[1].cr3.toString(16).padStart(16, '0')}`);
      expect(r1).toMatch(/gdtr base 0x[0-9a-f]{16} limit 0x001f/);
      expect(r1).toContain('# paging: long4 (CR0.PG, EFER.LMA), root 0x11d000');
      expect(await repl('monitor info registers', 1)).toContain('RBX=a1a2a3a4a5a6a7a8');
      expect(await repl('monitor info registers', 0)).toContain('RBX=1122334455667788');
    });
  });

  describe('hover', () => {
    it('a number: its PTE reading and its translation under the vCPU CR3', async () => {
      const h = await hover('0x8000000000900063');
      expect(h.result.split('\n')).toEqual([
        '0x8000000000900063',
        'as a 64-bit PTE: 4 KiB page at 0x900000  P RW A D XD',
        'as a VA on vCPU 0: no translation: 0x8000000000900063 is not canonical: bits 63:47 must all equal bit 47',
      ]);
      const va = await hover('0x40000000', 1);
      expect(va.result.split('\n')[2]).toBe('as a VA on vCPU 1: PA 0x900000 (4 KiB page; R W - - -)');
      expect(va.memoryReference).toBe('v1:0x40000000');
      expect((await hover('ffffffff80000012')).result).toContain('as a VA on vCPU 0: PA 0x100012');
    });

    it('a register: its value; a symbol: its address', async () => {
      expect((await hover('rbx')).result).toBe('rbx = 0x1122334455667788');
      expect((await hover('$cr3', 1)).result).toBe('cr3 = 0x000000000011d000');
      expect((await hover('long_entry')).result).toBe(`0x${longEntry().toString(16)}`);
    });
  });
});
