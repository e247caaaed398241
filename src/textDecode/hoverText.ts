/**
 * The hover over a number in text: its readings in a small Markdown table, the most likely first.
 * Pure and cheap (well under a millisecond): VS Code asks on every mouse rest.
 */
import { type DecodeOptions, entryReadings, p2mReadings, vaReadings } from './readings';

/** What a stopped session adds: where the value lands as a VA under a vCPU's tables. */
export interface LiveReading {
  vcpu: number;
  /** `PA 0x… (4 KiB page; R W - - G)` or why there is none. */
  text: string;
}

export function hoverMarkdown(value: bigint, opts: DecodeOptions, live?: LiveReading): string {
  const head = value > 9n ? `**0x${value.toString(16)}** = ${value}` : `**${value}**`;
  // A kernel-half address (bits 63:47 set) is read first as what it most likely is: a VA.
  const kernelVa = value >= 0xffff800000000000n;
  const entries = entryReadings(value, opts);
  const vas = vaReadings(value, opts);
  const rows = [...(kernelVa ? [...vas, ...entries] : [...entries, ...vas]), ...p2mReadings(value)];
  const lines = [head, '', '| as | reads |', '| --- | --- |', ...rows.map((r) => `| ${r.label} | ${r.text} |`)];
  if (live) lines.push('', `**VA → PA under CPU ${live.vcpu}'s CR3:** ${live.text}`);
  return lines.join('\n');
}
