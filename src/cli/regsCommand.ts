import { modeFromRegs } from '../paging/modes';
import { HyperFrameError } from '../util/errors';
import { hex, parseNumber } from '../util/numbers';
import { CONTROL, controlRegisterText, GENERAL_32, GENERAL_64, SEGMENT_BASES, SELECTORS } from '../x86/registers';
import type { CliIo } from './io';
import { maxPhysBits, openTarget, parse, SOURCE_OPTIONS, str } from './options';

export const REGS_HELP = `hyperframe regs SOURCE [--cpu N] [--json]
  The registers of a vCPU, with CR0, CR3, CR4 and EFER decoded and the paging mode they select.`;

const GENERAL = [...GENERAL_64, 'eflags', 'rflags', ...GENERAL_32];
const SEGMENT = [...SELECTORS, ...SEGMENT_BASES];

export async function regsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, SOURCE_OPTIONS, 'regs');
  if (positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `regs takes no positional argument (got '${positionals[0]}')`);
  const maxPhyAddr = maxPhysBits(v);
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
    for (const n of CONTROL.filter((x) => regs.has(x))) io.out(`${n.padEnd(9)} ${hex(regs.get(n)!, 16)}  ${controlRegisterText(n, regs, maxPhyAddr)}`.trimEnd());
    const cr = (n: string) => regs.get(n);
    if (regs.has('cr0') && regs.has('cr3') && regs.has('cr4')) {
      const m = modeFromRegs({ cr0: cr('cr0')!, cr3: cr('cr3')!, cr4: cr('cr4')!, efer: cr('efer') ?? 0n }, maxPhyAddr);
      io.out(`# paging: ${m.reason}${m.mode !== 'none' ? `, root ${hex(m.root)}` : ''}${m.pcid !== undefined ? `, PCID ${m.pcid}` : ''}`);
    }
    return 0;
  } finally {
    await target.close();
  }
}
