/**
 * Prints what the benchmarks recorded, after vitest's own report: a short table, where the JSON
 * is, and last a one-line summary.
 */
import { loadavg } from 'node:os';
import type { Reporter } from 'vitest/reporters';
import { FIGURES_FILE, readFigures, type Figures } from './figures';

const f1 = (n: number): string => n.toFixed(1);
const f0 = (n: number): string => n.toFixed(0);

function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
}

export function table(f: Figures): string[] {
  const out: string[] = [];
  const w = [10, 7, 6, 7, 8, 9, 9, 9, 8, 8, 9, 9, 9, 6];
  out.push(row(['guest', 'leaves', 'tables', 'packets', 'up KiB', 'down KiB', 'CLI host', 'CLI stub', 'RSS host', 'RSS stub', 'leaf RSS', 'walk stub', 'raw stub', 'ratio'], w));
  out.push(row(['', '', '', '', '', '', 'ms', 'ms', 'MiB', 'MiB', 'MiB', 'ms', 'ms', ''], w));
  for (const g of f.guests) {
    out.push(row([g.guest, g.leaves, g.tables, g.packets, f0(g.bytesUp / 1024), f0(g.bytesDown / 1024), f0(g.cliHostMs), f0(g.cliStubMs), f0(g.cliHostRssMiB), f0(g.cliStubRssMiB), f0(g.leavesJsonRssMiB), f1(g.walkStubMs), f1(g.rawStubMs), (g.walkStubMs / g.rawStubMs).toFixed(2)], w));
  }
  out.push('');
  out.push(row(['synthetic', 'leaves', 'ranges', 'tables', 'ms', 'ns/leaf', 'heap+MiB'], [10, 8, 6, 6, 8, 8, 8]));
  for (const s of f.synthetic) out.push(row([`${s.gib} GiB`, s.leaves, s.ranges, s.tables, f1(s.ms), f1(s.nsPerLeaf), f1(s.heapGrowthMiB)], [10, 8, 6, 6, 8, 8, 8]));
  if (f.bulk) out.push('', `bulk read of ${f.bulk.bytes >> 20} MiB: raw client ${f1(f.bulk.rawMiBs)} MiB/s, HyperFrame over the stub ${f1(f.bulk.stubMiBs)} MiB/s (${(f.bulk.stubMiBs / f.bulk.rawMiBs).toFixed(2)}x), through the host path ${f1(f.bulk.hostMiBs)} MiB/s`);
  return out;
}

export function summary(f: Figures): string {
  const parts: string[] = [];
  const s1 = f.synthetic.find((s) => s.gib === 1);
  const big = f.synthetic.at(-1);
  if (s1) parts.push(`synthetic 1 GiB ${f1(s1.ms)} ms (${f0(s1.nsPerLeaf)} ns/leaf)${big ? `, heap +${f1(big.heapGrowthMiB)} MiB at ${big.gib} GiB` : ''}`);
  for (const name of ['linux', 'xen']) {
    const g = f.guests.find((x) => x.guest === name);
    if (g) parts.push(`${name} CLI ${f0(g.cliHostMs)} ms host / ${f0(g.cliStubMs)} ms stub, walk ${f0(g.walkStubMs)} ms vs raw ${f0(g.rawStubMs)} ms, --leaves --json ${f0(g.leavesJsonRssMiB)} MiB`);
  }
  if (f.bulk) parts.push(`bulk ${f1(f.bulk.stubMiBs)} MiB/s = ${(f.bulk.stubMiBs / f.bulk.rawMiBs).toFixed(2)}x raw`);
  return `bench: ${parts.join('; ')} (load ${f.loadAverage.map((l) => l.toFixed(1)).join(' ')})`;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(): void {
    const f = readFigures();
    f.loadAverage = loadavg();
    console.log(['', `HyperFrame figures (${FIGURES_FILE}):`, ...table(f), '', summary(f)].join('\n'));
  }
}
