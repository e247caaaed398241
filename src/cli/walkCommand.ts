import type { ParseArgsConfig } from 'node:util';
import { describeQuery } from '../paging/walkQuery';
import { patNote, WALK_FLAG_OPTIONS, WALK_OPTIONS_HELP, WALK_USAGE, WALK_VALUE_OPTIONS, walkChoice, type WalkChoice, walkRunOptions } from '../paging/walkOptions';
import type { Target } from '../target/target';
import { HyperFrameError } from '../util/errors';
import { parseNumber } from '../util/numbers';
import { type CliIo, LineBuffer } from './io';
import { openTarget, parse, resolveAddressSpace, SOURCE_OPTIONS, type Parsed } from './options';
import { writeWalk } from './walkOutput';

export const WALK_HELP = `hyperframe walk SOURCE [--root PA --mode MODE] [--cpu N] [--max-phys-bits N] [--json]
    ${WALK_USAGE}
  Lists what an address space maps: merged ranges, self-maps (recursive slots) and shared tables.
${WALK_OPTIONS_HELP}`;

type Options = NonNullable<ParseArgsConfig['options']>;

/** The walk options as node:util's parseArgs takes them (shared with `search`). */
export const WALK_ARG_OPTIONS: Options = {
  ...Object.fromEntries(WALK_FLAG_OPTIONS.map((n) => [n, { type: 'boolean' as const }])),
  ...Object.fromEntries(WALK_VALUE_OPTIONS.map((n) => [n, { type: 'string' as const, multiple: n === 'filter' }])),
};

/** The walk options of a parsed command line. */
export function cliWalkChoice(v: Parsed['values']): Promise<WalkChoice> {
  return walkChoice(
    (name) => v[name],
    (text, what) => parseNumber(text, what),
  );
}

/** `#` lines and JSON members naming the physical-memory path of a live target. */
export function physicalNote(target: Target): string | undefined {
  return target.physicalMemory === undefined ? undefined : `physical memory: ${target.physicalMemory}`;
}

export async function walkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parse(argv, { ...SOURCE_OPTIONS, ...WALK_ARG_OPTIONS }, 'walk');
  if (positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `walk takes no positional argument (got '${positionals[0]}')`);
  const choice = await cliWalkChoice(v);
  const target = await openTarget(v);
  try {
    const { spec, notes } = await resolveAddressSpace(v, target);
    const physical = physicalNote(target);
    const pat = patNote(choice);
    const query = describeQuery(choice.query);
    const head = [...notes, ...(physical ? [physical] : []), ...(choice.splitPa ? [] : [pat.note]), ...(query ? [`only ${query}`] : [])];
    const extra: Record<string, unknown> = { ...(target.physicalMemory ? { physicalMemory: target.physicalMemory } : {}), pat: pat.json };
    const out = new LineBuffer(io);
    try {
      await target.physicalBatch(() =>
        writeWalk(
          {
            spec,
            mem: target.phys,
            run: { ...walkRunOptions(choice), between: () => out.drained() },
            leaves: choice.leaves,
            json: v.json === true,
            notes: head,
            jsonExtra: extra,
          },
          out,
        ),
      );
    } finally {
      out.flush();
    }
    return 0;
  } finally {
    await target.close();
  }
}
