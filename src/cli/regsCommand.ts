import { decodeCr0, decodeCr3, decodeCr4, decodeEfer, setBitNames } from '../paging/controlRegs';
import { modeFromRegs } from '../paging/modes';
import { HyperFrameError } from '../util/errors';
import { hex, parseNumber } from '../util/numbers';
import type { CliIo } from './io';
import { openTarget, parse, SOURCE_OPTIONS, str } from './options';

export const REGS_HELP = `hyperframe regs (--target HOST:PORT | --core FILE) [--cpu N] [--json]
  The registers of a vCPU, with CR0, CR3, CR4 and EFER decoded and the paging mode they select.`;

const GENERAL = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'eflags', 'rflags', 'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip'];
const SEGMENT = ['cs', 'ss', 'ds', 'es', 'fs', 'gs', 'fs_base', 'gs_base', 'k_gs_base', 'kernel_gs_base'];
const CONTROL = ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer'];

export async function regsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, SOURCE_OPTIONS, 'regs');
  if (positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `regs takes no positional argument (got '${positionals[0]}')`);
  const cpu = str(v, 'cpu') === undefined ? 0 : Number(parseNumber(str(v, 'cpu')!, 'vCPU number'));
  const target = await openTarget(v);
  try {
    const regs = await target.registers(cpu);
    if (v.json) {
      io.out(JSON.stringify({ cpu, registers: Object.fromEntries([...regs].map(([k, x]) => [k, hex(x)])) }, null, 2));
      return 0;
    }
    const show = (names: string[]) => names.filter((n) => regs.has(n)).map((n) => `${n.padEnd(9)} ${hex(regs.get(n)!, 16)}`);
    io.out(`# vCPU ${cpu} of ${target.description}`);
    for (const line of [...show(GENERAL), ...show(SEGMENT)]) io.out(line);
    const cr = (n: string) => regs.get(n);
    for (const n of CONTROL.filter((x) => regs.has(x))) {
      const value = cr(n)!;
      let decoded = '';
      if (n === 'cr0') decoded = setBitNames(decodeCr0(value));
      if (n === 'cr4') decoded = setBitNames(decodeCr4(value));
      if (n === 'efer') decoded = setBitNames(decodeEfer(value));
      if (n === 'cr3') decoded = decodeCr3(value, cr('cr4') ?? 0n).map((b) => `${b.name}=${hex(b.value)}`).join(' ');
      io.out(`${n.padEnd(9)} ${hex(value, 16)}  ${decoded}`.trimEnd());
    }
    if (regs.has('cr0') && regs.has('cr3') && regs.has('cr4')) {
      const m = modeFromRegs({ cr0: cr('cr0')!, cr3: cr('cr3')!, cr4: cr('cr4')!, efer: cr('efer') ?? 0n });
      io.out(`# paging: ${m.reason}${m.mode !== 'none' ? `, root ${hex(m.root)}` : ''}${m.pcid !== undefined ? `, PCID ${m.pcid}` : ''}`);
    }
    return 0;
  } finally {
    await target.close();
  }
}
