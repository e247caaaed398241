/**
 * The cost of a hover over a number without a session (the budget: under 1 ms), and of
 * the inlay hints of a log page: printed, never asserted.
 */
import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { hoverMarkdown } from '../src/textDecode/hoverText';
import { numberAt, numbersIn } from '../src/textDecode/numbers';
import { inlayText, looksLikeEntry } from '../src/textDecode/readings';

it('hover and inlay cost', () => {
  const opts = { mode: 'auto' as const, maxPhyAddr: 52 };
  const line = '0xc03b2f60: 0x00fb152063 0x00fb151063 0x00fb150063 0x00fb14f063';
  const values = [0xfb152063n, 0x8000000036400067n, 0xffff830000000000n, 0x1a001e3n, 0xffffffffffffffffn];
  for (let i = 0; i < 2000; i++) hoverMarkdown(values[i % values.length], opts); // warm up
  const n = 20_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t = numberAt(line, 14 + (i % 40));
    hoverMarkdown(t?.value ?? values[i % values.length], opts);
  }
  const perHoverUs = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  const log = readFileSync(new URL('../demo/workspace/pae-guest-dump.log', import.meta.url), 'utf8').split('\n');
  const page = Array.from({ length: 60 }, (_, i) => log[i % log.length]); // a screenful of lines
  const t1 = process.hrtime.bigint();
  let hints = 0;
  for (let r = 0; r < 200; r++) for (const l of page) for (const t of numbersIn(l)) if (looksLikeEntry(t.value)) (inlayText(t.value), hints++);
  const perPageUs = Number(process.hrtime.bigint() - t1) / 1e3 / 200;
  console.log(`[bench] hover without a session: ${perHoverUs.toFixed(1)} µs (budget 1000 µs); inlay hints of a 60-line log page: ${perPageUs.toFixed(0)} µs (${hints / 200} hints)`);
});
