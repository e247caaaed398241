import { translationLines } from '../paging/format';
import { translate } from '../paging/translate';
import { HyperFrameError } from '../util/errors';
import { parseNumber } from '../util/numbers';
import type { CliIo } from './io';
import { translationJson } from '../paging/json';
import { openTarget, parse, resolveAddressSpace, SOURCE_OPTIONS } from './options';

export const TRANSLATE_HELP = `hyperframe translate <va> SOURCE [--root PA --mode MODE] [--cpu N] [--max-phys-bits N] [--json]
  Walks one virtual address and prints every step, as WinDbg's !pte does.
  With a live target or a core, the root and mode default to the vCPU's CR3, CR0, CR4 and EFER.`;

export async function translateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, SOURCE_OPTIONS, 'translate');
  if (positionals.length !== 1) throw new HyperFrameError('BAD_ARGUMENT', `translate takes one virtual address, got ${positionals.length}`);
  const va = parseNumber(positionals[0], 'virtual address');
  const target = await openTarget(v);
  try {
    const { spec, notes } = await resolveAddressSpace(v, target);
    const t = await target.physicalBatch(() => translate(va, spec, target.phys));
    if (v.json) {
      io.out(JSON.stringify(translationJson(t, spec.mode, spec.root), null, 2));
    } else {
      for (const n of notes) io.out(`# ${n}`);
      for (const line of translationLines(t, spec.mode, spec.root)) io.out(line);
    }
    return t.pa !== undefined ? 0 : 1;
  } finally {
    await target.close();
  }
}
