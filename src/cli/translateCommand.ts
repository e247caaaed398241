import { translationLines } from '../paging/format';
import { translationJson } from '../paging/json';
import { translateReport } from '../paging/translationReport';
import { targetEvalEnv, evaluateText } from '../debugAdapter/evaluate/targetEnv';
import { HyperFrameError } from '../util/errors';
import { parseNumber } from '../util/numbers';
import type { CliIo } from './io';
import { openTarget, parse, resolveAddressSpace, SOURCE_OPTIONS, sourceSymbols, str } from './options';

export const TRANSLATE_HELP = `hyperframe translate <va> SOURCE [--symbols FILE]... [--root PA --mode MODE] [--cpu N] [--max-phys-bits N] [--json]
  Walks one virtual address and prints every step, as WinDbg's !pte does; then the PFN, the memory
  type the leaf asks for, where the leaf entry reads through a self-map slot, and whether the VA
  lies in one. <va> is an expression as in the Debug Console: a number, a symbol of the --symbols
  files (spin_counter+8), a register of the vCPU ($rip), arithmetic, *(u64 *)ADDR.
  With a live target or a core, the root and mode default to the vCPU's CR3, CR0, CR4 and EFER.`;

export async function translateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, SOURCE_OPTIONS, 'translate');
  if (!positionals.length) throw new HyperFrameError('BAD_ARGUMENT', 'translate takes a virtual address: a number, a symbol (with --symbols) or an expression');
  const symbols = await sourceSymbols(v);
  const target = await openTarget(v, symbols);
  try {
    const cpu = str(v, 'cpu') === undefined ? 0 : Number(parseNumber(str(v, 'cpu')!, 'vCPU number'));
    // A raw image has no registers: an expression there may still name symbols and memory.
    const hasRegisters = (await target.vcpuCount()) > 0;
    let regs: Promise<Map<string, bigint>> | undefined;
    const env = targetEvalEnv(target, symbols, cpu, () => (regs ??= hasRegisters ? target.registers(cpu) : Promise.resolve(new Map())));
    const va = await evaluateText(positionals.join(' '), env);
    const { spec, notes } = await resolveAddressSpace(v, target);
    const report = await target.physicalBatch(() => translateReport(va, spec, target.phys));
    if (v.json) {
      io.out(JSON.stringify(translationJson(report, spec.mode, spec.root), null, 2));
    } else {
      for (const n of notes) io.out(`# ${n}`);
      for (const line of translationLines(report, spec.mode, spec.root)) io.out(line);
    }
    return report.translation.pa !== undefined ? 0 : 1;
  } finally {
    await target.close();
  }
}
