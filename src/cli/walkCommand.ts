import { pageSizeTag, permsText, sizeText, vaDigits, entryName } from '../paging/format';
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
    const d = vaDigits(spec.mode);

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
      for (const l of leaves) {
        io.out(`${hex(l.va, d)}  ${hex(l.pa, 16)}  ${pageSizeTag(l.size).padStart(4)}  ${permsText(l.perms, l.entry.fields.G === 1)}  ${entryName(spec.mode, l.level)} ${hex(l.entry.raw, 16)}`);
      }
    } else {
      io.out(`${'VA'.padEnd(d * 2 + 5)}  ${'PA'.padEnd(18)}  ${'size'.padStart(10)}  flags      pages`);
      for (const r of ranges) {
        io.out(`${hex(r.va, d)}-${hex(r.va + r.size - 1n, d)}  ${hex(r.pa, 16)}  ${sizeText(r.size).padStart(10)}  ${permsText(r.perms, r.global)}  ${r.pages} x ${pageSizeTag(r.pageSize)}`);
      }
    }
    for (const e of events) {
      if (e.kind === 'selfMap') io.out(`self-map  ${hex(e.va, d)}-${hex(e.va + e.size - 1n, d)}  ${entryName(spec.mode, e.level)} ${hex(e.entry.raw, 16)} -> table ${hex(e.targetPa)} (serves at level ${e.targetLevel}); not descended`);
      if (e.kind === 'shared') io.out(`shared    ${hex(e.va, d)}  level-${e.level} table ${hex(e.tablePa)} also reached from ${hex(e.firstVa, d)}`);
      if (e.kind === 'unreadable') io.out(`unread    ${hex(e.va, d)}-${hex(e.va + e.size - 1n, d)}  level-${e.level} table ${hex(e.tablePa)}: ${e.message}`);
      if (e.kind === 'bad') io.out(`fault     ${hex(e.va, d)}-${hex(e.va + e.size - 1n, d)}  ${entryName(spec.mode, e.level)} ${hex(e.entry.raw, 16)}: ${e.message}`);
    }
    return 0;
  } finally {
    await target.close();
  }
}

async function* asAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
