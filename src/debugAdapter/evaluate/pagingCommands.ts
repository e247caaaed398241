import { decodeEntry, entryLevel } from '../../paging/entry';
import { decodeEptp } from '../../paging/ept';
import { entryLines, eptpLines, levelGuessLine, translationLines } from '../../paging/format';
import { translateReport } from '../../paging/translationReport';
import { checkedMaxPhysBits, parseMode, type PagingMode } from '../../paging/modes';
import { patNote, WALK_FLAG_OPTIONS, WALK_USAGE, WALK_VALUE_OPTIONS, walkChoice, walkRunOptions } from '../../paging/walkOptions';
import { describeQuery } from '../../paging/walkQuery';
import { walkTextBody } from '../../paging/walkText';
import { HyperFrameError } from '../../util/errors';
import { hex } from '../../util/numbers';
import { optionText, parseArgs } from './args';
import type { ReplEnv } from './replEnv';

/** Lines `walk` prints before it asks for a narrower range. */
export const DEFAULT_WALK_LINES = 200;

/**
 * `decode VALUE [--mode M] [--level N] [--max-phys-bits N]` (alias `pte`): one entry decoded, as
 * the CLI's `decode --mode` prints it; the mode defaults to the vCPU's, and a guessed level says so.
 */
export async function decodeCommand(rest: string, env: ReplEnv): Promise<string[]> {
  const args = parseArgs('decode', rest, ['mode', 'level', 'max-phys-bits']);
  if (!args.positionals.length) throw new HyperFrameError('BAD_ARGUMENT', 'decode takes a value: decode 0x8000000000900063 [--mode long4] [--level 1]');
  const raw = await env.value(args.positionals.join(' '));
  const modeText = optionText(args, 'mode');
  const bitsText = optionText(args, 'max-phys-bits');
  const maxPhyAddr = bitsText === undefined ? undefined : checkedMaxPhysBits(await env.value(bitsText));
  if (modeText?.toLowerCase() === 'eptp') return eptpLines(decodeEptp(raw, maxPhyAddr));
  const paging = await env.state.paging(env.vcpu).catch(() => undefined);
  const mode: PagingMode = modeText ? parseMode(modeText) : (paging?.spec?.mode ?? 'long4');
  const levelText = optionText(args, 'level');
  const level = entryLevel(mode, raw, levelText === undefined ? undefined : Number(await env.value(levelText)));
  const vcpuCtx = !modeText || modeText === paging?.spec?.mode ? paging?.spec?.ctx : undefined;
  const ctx = maxPhyAddr === undefined ? vcpuCtx : { ...vcpuCtx, maxPhyAddr };
  const lines = entryLines(decodeEntry(raw, mode, level, ctx));
  return levelText === undefined ? [...lines, levelGuessLine(mode, raw, level)] : lines;
}

/** `translate VA`: every step of the walk under the vCPU's CR3 (or the configured root), and what else the tables say. */
export async function translateCommand(rest: string, env: ReplEnv): Promise<string[]> {
  if (!rest.trim()) throw new HyperFrameError('BAD_ARGUMENT', 'translate takes a virtual address: translate $rip');
  const va = await env.value(rest);
  const paging = await env.state.paging(env.vcpu);
  if (!paging.spec) {
    // Paging off: the address is physical. No registers (a raw image) or no CR3: the reason only.
    return paging.regs?.mode === 'none' ? [`vCPU ${env.vcpu}: ${paging.reason}`, `PA ${hex(va)} (virtual = physical)`] : [paging.reason];
  }
  const spec = paging.spec;
  const { target } = env.ctx;
  const report = await target.physicalBatch(() => translateReport(va, spec, target.phys));
  return [`# vCPU ${env.vcpu}: ${paging.reason}`, ...translationLines(report, spec.mode, spec.root)];
}

/** `walk [walk options] [--limit N]`: what the vCPU's tables map, with the CLI's options. */
export async function walkCommand(rest: string, env: ReplEnv): Promise<string[]> {
  const args = parseArgs('walk', rest, [...WALK_VALUE_OPTIONS, 'limit'], [...WALK_FLAG_OPTIONS], ['filter']);
  if (args.positionals.length) throw new HyperFrameError('BAD_ARGUMENT', `walk takes options only (got '${args.positionals[0]}'): walk ${WALK_USAGE} [--limit N]`);
  const choice = await walkChoice(
    (name) => args.options.get(name),
    (text) => env.value(text),
  );
  const limitText = optionText(args, 'limit');
  const limit = limitText === undefined ? DEFAULT_WALK_LINES : Number(await env.value(limitText));
  const paging = await env.state.paging(env.vcpu);
  if (!paging.spec) return [`vCPU ${env.vcpu}: ${paging.reason}: there are no tables to walk`];
  const spec = paging.spec;
  const { target } = env.ctx;
  const body: string[] = [];
  let more = 0;
  const sink = { line: (t: string) => void (body.length < limit ? body.push(t) : more++) };
  const run = walkRunOptions(choice);
  const stats = await target.physicalBatch(() => walkTextBody(spec, target.phys, run, choice.leaves, sink));
  const query = describeQuery(choice.query);
  const head = [`# vCPU ${env.vcpu}: ${paging.reason}: ${stats.leaves} pages in ${stats.ranges} ranges${query ? `; only ${query}` : ''}`];
  if (!choice.splitPa) head.push(`# ${patNote(choice).note}`);
  if (more > 0) return [...head, ...body, `… ${more} more line${more === 1 ? '' : 's'}, narrow with --range or --filter (or raise --limit)`];
  return [...head, ...body];
}
