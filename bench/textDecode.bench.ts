/**
 * The cost of a hover over a number without a session (the budget: under 1 ms), and of
 * the inlay hints and links of a screenful of log: printed, never asserted.
 */
import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { entryHintsIn } from '../src/textDecode/entryHint';
import { hoverMarkdown, hoverTarget } from '../src/textDecode/hoverText';
import { frameLinksIn } from '../src/textDecode/links';

const FIXTURES = ['xen-4.17-dom0-boot.log', 'gdb-long4-tables.txt', 'seed004-freebsd-pae.log', 'oops-and-page-walks.log'];

function perCallUs(n: number, body: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 2000); i++) body(i); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) body(i);
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

it('hover, inlay and link cost', () => {
  const opts = { mode: 'auto' as const, maxPhyAddr: 52 };
  const lines = FIXTURES.flatMap((f) => readFileSync(new URL(`../test/textDecode/fixtures/${f}`, import.meta.url), 'utf8').split('\n'));
  // Every (line, column) that sits on a number: what a hover does (find the token, judge it on its
  // line, write the Markdown), as the provider does it without a session.
  const spots = lines.flatMap((line) => [...line.matchAll(/0x[0-9a-f]+|[0-9a-f]{8,16}/gi)].map((m) => ({ line, column: m.index + 2 })));
  const hoverUs = perCallUs(20_000, (i) => {
    const { line, column } = spots[i % spots.length];
    const target = hoverTarget(line, column, opts);
    if (target) hoverMarkdown(target.token.value, opts, { entryLike: target.entryLike });
  });
  const page = Array.from({ length: 60 }, (_, i) => lines[(i * 7) % lines.length]); // a screenful of mixed lines
  let hints = 0;
  const pageUs = perCallUs(500, () => {
    hints = 0;
    for (const l of page) hints += entryHintsIn(l, opts).length + frameLinksIn(l).length;
  });
  console.log(`[bench] hover without a session: ${hoverUs.toFixed(1)} µs (budget 1000 µs; ${spots.length} spots over ${lines.length} lines of real text); inlay hints and links of a 60-line page: ${pageUs.toFixed(0)} µs (${hints} hints and links)`);
});
