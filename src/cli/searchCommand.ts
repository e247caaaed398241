import { searchMemory } from '../paging/memorySearch';
import { describeQuery } from '../paging/walkQuery';
import { HyperFrameError } from '../util/errors';
import { hex, parseNumber } from '../util/numbers';
import { type CliIo, LineBuffer } from './io';
import { openTarget, parse, resolveAddressSpace, SOURCE_OPTIONS, str, type Parsed } from './options';
import { cliWalkChoice, physicalNote, WALK_ARG_OPTIONS } from './walkCommand';

export const SEARCH_HELP = `hyperframe search SOURCE (--bytes HEX | --string TEXT | --u64 VALUE) [--limit N] [--json]
    [--filter F] [--range FROM-TO] [--from VA] [--to VA] [--pat IA32_PAT] [--uncached]
  Finds bytes in what an address space maps (the pages walk keeps with the same options), each
  page read once; prints the VA and PA of each match (first --limit, default 100). Pages mapped
  uncached, and pages that hold no RAM when QEMU's memory map says so (devices, holes), are
  skipped unless --uncached.`;

const DEFAULT_LIMIT = 100;

/** The pattern the options name, as bytes. */
function pattern(v: Parsed['values']): Uint8Array {
  const given = (['bytes', 'string', 'u64'] as const).filter((k) => str(v, k) !== undefined);
  if (given.length !== 1) throw new HyperFrameError('BAD_ARGUMENT', 'search takes one of --bytes HEX, --string TEXT or --u64 VALUE');
  const text = str(v, given[0])!;
  if (given[0] === 'string') return new TextEncoder().encode(text);
  if (given[0] === 'u64') {
    const value = parseNumber(text, 'u64 value');
    if (value >= 1n << 64n) throw new HyperFrameError('BAD_NUMBER', `--u64 ${text} does not fit in 64 bits`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, value, true);
    return b;
  }
  const hexText = text.replace(/^0x/i, '').replace(/[\s:_-]/g, '');
  if (!/^(?:[0-9a-f]{2})+$/i.test(hexText)) throw new HyperFrameError('BAD_ARGUMENT', `bad --bytes '${text}': expected pairs of hex digits (de ad be ef, or deadbeef)`);
  return new Uint8Array(Buffer.from(hexText, 'hex'));
}

export async function searchCommand(argv: string[], io: CliIo): Promise<number> {
  const options = {
    ...SOURCE_OPTIONS,
    ...WALK_ARG_OPTIONS,
    bytes: { type: 'string' as const },
    string: { type: 'string' as const },
    u64: { type: 'string' as const },
    limit: { type: 'string' as const },
    uncached: { type: 'boolean' as const },
  };
  const { values: v, positionals } = parse(argv, options, 'search');
  if (positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `search takes no positional argument (got '${positionals[0]}')`);
  const needle = pattern(v);
  const limitText = str(v, 'limit');
  const limit = limitText === undefined ? DEFAULT_LIMIT : Number(parseNumber(limitText, 'limit'));
  if (limit < 1) throw new HyperFrameError('BAD_ARGUMENT', '--limit must be at least 1');
  const choice = await cliWalkChoice(v);
  const target = await openTarget(v);
  try {
    const { spec, notes } = await resolveAddressSpace(v, target);
    const out = new LineBuffer(io);
    const hits: { va: string; pa: string }[] = [];
    const d = spec.mode === 'legacy32' || spec.mode === 'pae' ? 8 : 16;
    if (!v.json) {
      const physical = physicalNote(target);
      const query = describeQuery(choice.query);
      for (const n of [...notes, ...(physical ? [physical] : []), ...(query ? [`only ${query}`] : [])]) out.line(`# ${n}`);
      out.line(`# searching for ${needle.length} bytes: ${Buffer.from(needle).toString('hex')}`);
    }
    const stats = await target.physicalBatch(() =>
      searchMemory(spec, target.phys, needle, { query: choice.query, pat: choice.pat, limit, uncached: v.uncached === true }, (h) => {
        if (v.json) hits.push({ va: hex(h.va), pa: hex(h.pa) });
        else out.line(`${hex(h.va, d)}  ${hex(h.pa, 16)}`);
      }),
    );
    if (v.json) {
      const body = { pattern: Buffer.from(needle).toString('hex'), hits, pages: stats.pages, aliases: stats.aliases, bytesRead: stats.bytesRead, uncachedSkipped: stats.uncachedSkipped, unreadable: stats.unreadable, nonRamBytes: stats.nonRamBytes, truncated: stats.truncated };
      out.line(JSON.stringify(body, null, 2));
    } else {
      const skipped = (stats.uncachedSkipped ? `; ${stats.uncachedSkipped} uncached or non-RAM pages skipped (--uncached)` : '') + (stats.unreadable ? `; ${stats.unreadable} pages unreadable` : '') + (stats.nonRamBytes ? `; ${stats.nonRamBytes} bytes of large pages over no RAM skipped` : '');
      const more = stats.truncated ? `; stopped at --limit ${limit}` : '';
      out.line(`# ${stats.hits} matches in ${stats.pages} pages (${stats.aliases} of them aliases of a page already read), ${stats.bytesRead} bytes read${skipped}${more}`);
    }
    out.flush();
    return stats.hits > 0 ? 0 : 1;
  } finally {
    await target.close();
  }
}
