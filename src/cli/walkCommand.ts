import { leafLine, rangeHeader, rangeLine, walkNoteLine } from '../paging/format';
import { rangesOf, walkJson } from '../paging/json';
import { type LeafEvent, mappings, type WalkEvent } from '../paging/mappings';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { CliIo } from './io';
import { openTarget, parse, resolveAddressSpace, SOURCE_OPTIONS } from './options';

export const WALK_HELP = `hyperframe walk (--core FILE | --raw FILE [--base PA]) [--root PA --mode MODE] [--cpu N] [--leaves] [--json]
  Lists what an address space maps: merged ranges (contiguous in VA and PA, same rights),
  self-maps (recursive slots) and shared tables; --leaves prints one line per page instead.`;

export async function walkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, { ...SOURCE_OPTIONS, leaves: { type: 'boolean' } }, 'walk');
  if (positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `walk takes no positional argument (got '${positionals[0]}')`);
  const target = await openTarget(v);
  try {
    const { spec, notes } = await resolveAddressSpace(v, target);
    const events: WalkEvent[] = [];
    await target.physicalBatch(async () => {
      for await (const e of mappings(spec, target.phys)) events.push(e);
    });
    const ranges = await rangesOf(events);
    const leaves = events.filter((e): e is LeafEvent => e.kind === 'leaf');
    if (v.json) {
      io.out(JSON.stringify(walkJson(spec.mode, spec.root, events, ranges, v.leaves === true), null, 2));
      return 0;
    }
    for (const n of notes) io.out(`# ${n}`);
    io.out(`# ${spec.mode}, root ${hex(spec.root)}: ${leaves.length} pages in ${ranges.length} ranges`);
    if (v.leaves) {
      for (const l of leaves) io.out(leafLine(l, spec.mode));
    } else {
      io.out(rangeHeader(spec.mode));
      for (const r of ranges) io.out(rangeLine(r, spec.mode));
    }
    for (const e of events) {
      const line = walkNoteLine(e, spec.mode);
      if (line) io.out(line);
    }
    return 0;
  } finally {
    await target.close();
  }
}
