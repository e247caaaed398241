/**
 * The Address Space document: what one address space maps, as merged ranges, written the way
 * `hyperframe walk` writes them. The walk arrives in pages (`hyperframe/mappings` with `maxLeaves`
 * and `next`); ranges cut at a page's edge are joined again here. Pure: no `vscode`.
 */
import { sizeText } from '../../paging/format';
import type { MappingsResult, PagingModeName, RangeInfo } from '../../shared/dapRequests';

export interface SpaceWalk {
  mode: PagingModeName;
  root: string;
  ranges: RangeInfo[];
  selfMaps: MappingsResult['selfMaps'];
  sharedTables: MappingsResult['sharedTables'];
  faults: MappingsResult['faults'];
  unreadable: MappingsResult['unreadable'];
}

export function emptyWalk(mode: PagingModeName, root: string): SpaceWalk {
  return { mode, root, ranges: [], selfMaps: [], sharedTables: [], faults: [], unreadable: [] };
}

/** Whether `b` goes on where `a` ends with the same rights (and, when `splitPa`, the next PA). */
function continues(a: RangeInfo, b: RangeInfo, splitPa: boolean): boolean {
  if (BigInt(a.va) + BigInt(a.size) !== BigInt(b.va) || a.flags !== b.flags || a.pageSize !== b.pageSize) return false;
  const paNext = BigInt(a.pa) + BigInt(a.size) === BigInt(b.pa);
  return splitPa ? paNext && a.paContiguous !== false && b.paContiguous !== false : true;
}

/** Adds one page of the walk to what came before, joining a range cut at the page's edge. */
export function addPage(walk: SpaceWalk, page: MappingsResult, splitPa: boolean): void {
  const [first, ...rest] = page.ranges;
  const last = walk.ranges.at(-1);
  if (first && last && continues(last, first, splitPa)) {
    const contiguous = last.paContiguous !== false && first.paContiguous !== false && BigInt(last.pa) + BigInt(last.size) === BigInt(first.pa);
    walk.ranges[walk.ranges.length - 1] = { ...last, size: last.size + first.size, pages: last.pages + first.pages, ...(contiguous ? {} : { paContiguous: false }) };
  } else if (first) {
    walk.ranges.push(first);
  }
  walk.ranges.push(...rest);
  walk.selfMaps.push(...page.selfMaps);
  walk.sharedTables.push(...page.sharedTables);
  walk.faults.push(...page.faults);
  walk.unreadable.push(...page.unreadable);
}

const vaDigits = (mode: PagingModeName): number => (mode === 'legacy32' || mode === 'pae' ? 8 : 16);
const pad = (v: string | bigint, digits: number): string => `0x${BigInt(v).toString(16).padStart(digits, '0')}`;
const tag = (bytes: number): string => sizeText(BigInt(bytes)).replace(/ (\w)iB$/, '$1').replace(' bytes', 'B');


export function rangeText(r: RangeInfo, mode: PagingModeName): string {
  const d = vaDigits(mode);
  const end = BigInt(r.va) + BigInt(r.size) - 1n;
  const pa = `${pad(r.pa, 16)}${r.paContiguous === false ? '+' : ' '}`;
  return `${pad(r.va, d)}-${pad(end, d)}  ${pa}  ${sizeText(BigInt(r.size)).padStart(10)}  ${r.flags}  ${r.pages} x ${tag(r.pageSize)}`;
}

/** The whole document. `title` names the space (`CPU 0 · CR3 0x1000 · 4-level`). */
export function addressSpaceText(title: string, walk: SpaceWalk, splitPa: boolean): string[] {
  const d = vaDigits(walk.mode);
  const pages = walk.ranges.reduce((n, r) => n + r.pages, 0);
  const how = splitPa ? 'merged where VA and PA go on with the same rights' : 'merged where VA goes on with the same rights (a + after the PA: its pages are not physically contiguous)';
  const lines = [
    `# ${title}`,
    `# ${walk.mode}, root ${walk.root}: ${pages} pages in ${walk.ranges.length} ranges, ${how}`,
    `# flags: R W X U G — effective rights over every level (- where denied), G = global`,
    `${'VA'.padEnd(d * 2 + 5)}  ${'PA'.padEnd(19)}  ${'size'.padStart(10)}  flags      pages`,
  ];
  for (const r of walk.ranges) lines.push(rangeText(r, walk.mode));
  for (const s of walk.selfMaps) lines.push(`self-map  ${pad(s.va, d)}-${pad(BigInt(s.va) + BigInt(s.size) - 1n, d)}  entry ${s.entry} -> table ${s.target} (serves at level ${s.targetLevel}); not descended`);
  for (const s of walk.sharedTables) lines.push(`shared    ${pad(s.va, d)}  level-${s.level} table ${s.table} also reached from ${pad(s.firstVa, d)}`);
  for (const f of walk.faults) lines.push(`fault     ${pad(f.va, d)}-${pad(BigInt(f.va) + BigInt(f.size) - 1n, d)}  entry ${f.entry}: ${f.message}`);
  for (const u of walk.unreadable) lines.push(`unread    ${pad(u.va, d)}-${pad(BigInt(u.va) + BigInt(u.size) - 1n, d)}  level-${u.level} table ${u.table}: ${u.message}`);
  return lines;
}

/** Where the links of a range line are: the VA (reveal in the tree) and the PA (open the frame). */
export function rangeLinks(line: string): { va?: { start: number; end: number; value: bigint }; pa?: { start: number; end: number; value: bigint } } {
  const m = /^(0x[0-9a-f]+)-0x[0-9a-f]+ {2}(0x[0-9a-f]+)/.exec(line);
  if (!m) return {};
  const paStart = line.indexOf(m[2], m[1].length);
  return { va: { start: 0, end: m[1].length, value: BigInt(m[1]) }, pa: { start: paStart, end: paStart + m[2].length, value: BigInt(m[2]) } };
}
