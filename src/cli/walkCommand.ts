import { walkJson } from '../paging/json';
import { collectWalk, walkLines } from '../paging/walkReport';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { CliIo } from './io';
import { openTarget, parse, resolveAddressSpace, SOURCE_OPTIONS } from './options';

export const WALK_HELP = `hyperframe walk SOURCE [--root PA --mode MODE] [--cpu N] [--max-phys-bits N] [--leaves] [--json]
  Lists what an address space maps: merged ranges (contiguous in VA and PA, same rights),
  self-maps (recursive slots) and shared tables; --leaves prints one line per page instead.`;

export async function walkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, { ...SOURCE_OPTIONS, leaves: { type: 'boolean' } }, 'walk');
  if (positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `walk takes no positional argument (got '${positionals[0]}')`);
  const target = await openTarget(v);
  try {
    const { spec, notes } = await resolveAddressSpace(v, target);
    const report = await target.physicalBatch(() => collectWalk(spec, target.phys));
    if (v.json) {
      io.out(JSON.stringify(walkJson(spec.mode, spec.root, report, v.leaves === true), null, 2));
      return 0;
    }
    for (const n of notes) io.out(`# ${n}`);
    io.out(`# ${spec.mode}, root ${hex(spec.root)}: ${report.leaves.length} pages in ${report.ranges.length} ranges`);
    for (const line of walkLines(report, spec.mode, v.leaves === true)) io.out(line);
    return 0;
  } finally {
    await target.close();
  }
}
