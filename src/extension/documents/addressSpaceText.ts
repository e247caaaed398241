/**
 * The Address Space document: what one address space maps, as merged ranges, written the way
 * `hyperframe walk` writes them. The walk arrives in pages (`hyperframe/mappings` with `maxLeaves`
 * and `next`); ranges cut at a page's edge are joined again here. Pure: no `vscode`.
 */
import { NOT_WALKED, sizeText } from '../../paging/format';
import { Folder } from '../../paging/walkFold';
import { pagesSizeText } from '../../paging/walkFormat';
import type { MappingsResult, PagingModeName, RangeInfo } from '../../shared/dapRequests';

export interface SpaceWalk {
  mode: PagingModeName;
  root: string;
  /** How guest RAM was read and the IA32_PAT the memory types assume (from the first page). */
  physicalMemory?: string;
  pat?: MappingsResult['pat'];
  ranges: RangeInfo[];
  selfMaps: MappingsResult['selfMaps'];
  sharedTables: MappingsResult['sharedTables'];
  faults: MappingsResult['faults'];
  unreadable: MappingsResult['unreadable'];
}

export function emptyWalk(mode: PagingModeName, root: string): SpaceWalk {
  return { mode, root, ranges: [], selfMaps: [], sharedTables: [], faults: [], unreadable: [] };
}

const sizeTag = (bytes: number): string => sizeText(BigInt(bytes)).replace(/ (\w)iB$/, '$1').replace(' bytes', 'B');

/** The pages of a range by size, largest first. */
function bySize(r: RangeInfo): { pageSize: number; pages: number }[] {
  return r.pageSizes ?? [{ pageSize: r.pageSize, pages: r.pages }];
}

/** Whether `b` goes on where `a` ends with the same rights and memory type (and, when `splitPa`, the next PA and page size). */
function continues(a: RangeInfo, b: RangeInfo, splitPa: boolean): boolean {
  if (BigInt(a.va) + BigInt(a.size) !== BigInt(b.va) || a.flags !== b.flags || a.memoryType !== b.memoryType) return false;
  return splitPa ? a.pageSize === b.pageSize && BigInt(a.pa) + BigInt(a.size) === BigInt(b.pa) : true;
}

/** `a` and `b` (which `continues`) as one range. */
function joined(a: RangeInfo, b: RangeInfo, splitPa: boolean): RangeInfo {
  const both = { ...a, size: a.size + b.size, pages: a.pages + b.pages };
  if (splitPa) return both;
  // The runs of PA: one fewer when b's first page goes on from a's last (a range ending in one run).
  const lastRunEnd = (a.paRuns ?? 1) === 1 ? BigInt(a.pa) + BigInt(a.size) : undefined;
  const paRuns = (a.paRuns ?? 1) + (b.paRuns ?? 1) - (lastRunEnd === BigInt(b.pa) ? 1 : 0);
  const sizes = new Map<number, number>();
  for (const s of [...bySize(a), ...bySize(b)]) sizes.set(s.pageSize, (sizes.get(s.pageSize) ?? 0) + s.pages);
  const pageSizes = [...sizes].sort((x, y) => y[0] - x[0]).map(([pageSize, pages]) => ({ pageSize, pages }));
  const { pageSizes: _drop, ...rest } = both;
  return { ...rest, paRuns, ...(pageSizes.length > 1 ? { pageSizes } : {}) };
}

/** Adds one page of the walk to what came before, joining a range cut at the page's edge. */
export function addPage(walk: SpaceWalk, page: MappingsResult, splitPa: boolean): void {
  walk.physicalMemory ??= page.physicalMemory;
  walk.pat ??= page.pat;
  const [first, ...rest] = page.ranges;
  const last = walk.ranges.at(-1);
  if (first && last && continues(last, first, splitPa)) walk.ranges[walk.ranges.length - 1] = joined(last, first, splitPa);
  else if (first) walk.ranges.push(first);
  walk.ranges.push(...rest);
  walk.selfMaps.push(...page.selfMaps);
  walk.sharedTables.push(...page.sharedTables);
  walk.faults.push(...page.faults);
  walk.unreadable.push(...page.unreadable);
}

const vaDigits = (mode: PagingModeName): number => (mode === 'legacy32' || mode === 'pae' ? 8 : 16);
const pad = (v: string | bigint, digits: number): string => `0x${BigInt(v).toString(16).padStart(digits, '0')}`;

/** A range as `hyperframe walk` prints it: a `*` after the PA when its pages are in several runs of PA. */
export function rangeText(r: RangeInfo, mode: PagingModeName): string {
  const d = vaDigits(mode);
  const span = `${pad(r.va, d)}-${pad(BigInt(r.va) + BigInt(r.size) - 1n, d)}`;
  const size = pagesSizeText(r.size / 4096).padStart(10);
  if (r.memoryType === undefined) return `${span}  ${pad(r.pa, 16)}  ${size}  ${r.flags}  ${r.pages} x ${sizeTag(r.pageSize)}`;
  const runs = r.paRuns ?? 1;
  const counts = bySize(r).map((s) => `${s.pages} x ${sizeTag(s.pageSize)}`).join(' + ');
  return `${span}  ${pad(r.pa, 16)}${runs > 1 ? '*' : ' '} ${size}  ${r.flags}  ${r.memoryType.padEnd(4)}  ${counts}${runs > 1 ? `; PA in ${runs} runs` : ''}`;
}

type Steps = [number, number, number] | undefined;
const step = (pages: number): string => `${pages < 0 ? '-' : '+'}0x${(BigInt(Math.abs(pages)) << 12n).toString(16)}`;
const pageNumber = (v: string): number => Number(BigInt(v) >> 12n);
const sameSizes = (a: RangeInfo, b: RangeInfo): boolean => JSON.stringify(bySize(a)) === JSON.stringify(bySize(b));

/**
 * Ranges as lines, folded as `hyperframe walk` folds them: a run of like ranges at a constant VA
 * stride (Linux's espfix maps one page 65,536 times) is its first line plus how many, how far
 * apart, the last VA and how the PA moves. Returns how many ranges went into repeat lines.
 */
function rangeLines(ranges: readonly RangeInfo[], mode: PagingModeName, line: (t: string) => void): number {
  const d = vaDigits(mode);
  let folded = 0;
  const folder = new Folder<RangeInfo>(
    (a, b) => a.size === b.size && a.flags === b.flags && a.memoryType === b.memoryType && a.paRuns === b.paRuns && a.pages === b.pages && sameSizes(a, b),
    (r, i) => (i === 0 ? pageNumber(r.va) : i === 1 ? pageNumber(r.pa) : 0),
    (first, count, steps: Steps, lastVpn) => {
      const text = rangeText(first, mode);
      if (count === 1) return line(text);
      folded += count - 1;
      const pa = steps![1] === 0 ? 'same PA' : `PA ${step(steps![1])} each`;
      line(`${text}; x${count} every ${step(steps![0]).slice(1)} to ${pad(BigInt(lastVpn) << 12n, d)} (${pa})`);
    },
  );
  for (const r of ranges) folder.push(r);
  folder.flush();
  return folded;
}

/** Shared tables as lines, runs at a constant VA stride folded. */
function sharedLines(shared: SpaceWalk['sharedTables'], mode: PagingModeName, line: (t: string) => void): void {
  const d = vaDigits(mode);
  const folder = new Folder<SpaceWalk['sharedTables'][number]>(
    (a, b) => a.level === b.level && (a.notWalked === undefined) === (b.notWalked === undefined),
    (s, i) => pageNumber(i === 0 ? s.va : i === 1 ? s.table : s.firstVa),
    (first, count, steps: Steps, lastVpn) => {
      const skipped = first.notWalked !== undefined ? `; ${NOT_WALKED}` : '';
      const tail = `level-${first.level} table ${first.table} also reached from ${pad(first.firstVa, d)}${skipped}`;
      if (count === 1) return line(`shared    ${pad(first.va, d)}  ${tail}`);
      const [, tableStep, firstStep] = steps!;
      const tables = tableStep === 0 ? `table ${first.table}` : `tables ${first.table}.. (${step(tableStep)} each)`;
      const from = firstStep === 0 ? pad(first.firstVa, d) : `${pad(first.firstVa, d)}.. (${step(firstStep)} each)`;
      line(`shared    ${pad(first.va, d)}; x${count} every ${step(steps![0]).slice(1)} to ${pad(BigInt(lastVpn) << 12n, d)}  level-${first.level} ${tables} also reached from ${from}${skipped}`);
    },
  );
  for (const s of shared) folder.push(s);
  folder.flush();
}

/** The whole document. `title` names the space (`CPU 0 · CR3 0x1000 · 4-level`). */
export function addressSpaceText(title: string, walk: SpaceWalk, splitPa: boolean): string[] {
  const d = vaDigits(walk.mode);
  const pages = walk.ranges.reduce((n, r) => n + r.pages, 0);
  // On its own line: one long heading ran off the right of a narrow editor.
  const how = splitPa
    ? 'ranges: merged where VA and PA go on with the same rights and page size'
    : 'ranges: merged where VA goes on with the same rights, G and memory type; a * after the PA: its pages are in several runs of PA';
  const body: string[] = [];
  const push = (t: string): void => void body.push(t);
  const folded = rangeLines(walk.ranges, walk.mode, push);
  const unwalked = walk.sharedTables.filter((s) => s.notWalked !== undefined).length;
  for (const s of walk.selfMaps) push(`self-map  ${pad(s.va, d)}-${pad(BigInt(s.va) + BigInt(s.size) - 1n, d)}  entry ${s.entry} -> table ${s.target} (serves at level ${s.targetLevel}); not descended`);
  sharedLines(walk.sharedTables, walk.mode, push);
  for (const f of walk.faults) push(`fault     ${pad(f.va, d)}-${pad(BigInt(f.va) + BigInt(f.size) - 1n, d)}  entry ${f.entry}: ${f.message}`);
  for (const u of walk.unreadable) push(`unread    ${pad(u.va, d)}-${pad(BigInt(u.va) + BigInt(u.size) - 1n, d)}  level-${u.level} table ${u.table}: ${u.message}`);
  return [
    `# ${title}`,
    `# ${walk.mode}, root ${walk.root}: ${pages} pages in ${walk.ranges.length} ranges${folded ? ` (${folded} of them in repeat lines)` : ''}`,
    `# ${how}`,
    ...(unwalked ? [`# ${unwalked} shared subtrees not walked again, their pages not counted: the 'shared … ${NOT_WALKED}' lines (hyperframe walk --expand-shared walks them all)`] : []),
    ...(walk.physicalMemory ? [`# physical memory: ${walk.physicalMemory}`] : []),
    ...(walk.pat ? [`# memory types: IA32_PAT ${pad(walk.pat.value, 16)} (${walk.pat.source})`] : []),
    `# flags: R W X U G — effective rights over every level (- where denied), G = global`,
    `${'VA'.padEnd(d * 2 + 5)}  ${'PA'.padEnd(18)}  ${'size'.padStart(10)}  flags      ${splitPa ? '' : 'type  '}pages`,
    ...body,
  ];
}

/** Where the links of a range line are: the VA (reveal in the tree) and the PA (open the frame). */
export function rangeLinks(line: string): { va?: { start: number; end: number; value: bigint }; pa?: { start: number; end: number; value: bigint } } {
  const m = /^(0x[0-9a-f]+)-0x[0-9a-f]+ {2}(0x[0-9a-f]+)/.exec(line);
  if (!m) return {};
  const paStart = line.indexOf(m[2], m[1].length);
  return { va: { start: 0, end: m[1].length, value: BigInt(m[1]) }, pa: { start: paStart, end: paStart + m[2].length, value: BigInt(m[2]) } };
}
