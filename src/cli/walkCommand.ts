import { leafLine, rangeHeader, rangeLine, walkNoteLine } from '../paging/format';
import { type LeafEvent, mappings, mergeRanges, type WalkEvent } from '../paging/mappings';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import type { CliIo } from './io';
import { leafJson, rangeJson } from './json';
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
    const ranges = [];
    for await (const r of mergeRanges(asAsync(events))) ranges.push(r);
    const leaves = events.filter((e): e is LeafEvent => e.kind === 'leaf');

    if (v.json) {
      io.out(
        JSON.stringify(
          {
            mode: spec.mode,
            root: hex(spec.root),
            ...(v.leaves ? { leaves: leaves.map(leafJson) } : {}),
            ranges: ranges.map(rangeJson),
            selfMaps: events.flatMap((e) => (e.kind === 'selfMap' ? [{ va: hex(e.va), size: Number(e.size), entry: hex(e.entry.raw), level: e.level, target: hex(e.targetPa), targetLevel: e.targetLevel }] : [])),
            sharedTables: events.flatMap((e) => (e.kind === 'shared' ? [{ va: hex(e.va), level: e.level, table: hex(e.tablePa), firstVa: hex(e.firstVa) }] : [])),
            faults: events.flatMap((e) => (e.kind === 'bad' ? [{ va: hex(e.va), size: Number(e.size), level: e.level, entry: hex(e.entry.raw), message: e.message }] : [])),
            unreadable: events.flatMap((e) => (e.kind === 'unreadable' ? [{ va: hex(e.va), size: Number(e.size), level: e.level, table: hex(e.tablePa), message: e.message }] : [])),
          },
          null,
          2,
        ),
      );
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

async function* asAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
