/**
 * Frame-looking values in logs (`mfn=0x36400`, `pa=0x36400000`, `maddr 0x…`, Xen's `mfn 36400`)
 * that a live session can open in the frame editor. Pure.
 */
export interface FrameLink {
  start: number;
  end: number;
  /** What the value names. */
  kind: 'pa' | 'mfn';
  value: bigint;
}

const LINK = /\b(pa|maddr|paddr|mfn)(\s*[=:]\s*|\s+)(0x[0-9a-f]+|[0-9a-f]+)\b/gi;

export function frameLinksIn(line: string): FrameLink[] {
  const out: FrameLink[] = [];
  for (const m of line.matchAll(LINK)) {
    const digits = m[3].replace(/^0x/i, '');
    // Without 0x, only an MFN (Xen prints them bare in hex) and only when it has a hex letter or is long enough not to be a count.
    if (!/^0x/i.test(m[3]) && (m[1].toLowerCase() !== 'mfn' || digits.length < 4)) continue;
    const start = m.index + m[1].length + m[2].length;
    out.push({ start, end: start + m[3].length, kind: m[1].toLowerCase() === 'mfn' ? 'mfn' : 'pa', value: BigInt(`0x${digits}`) });
  }
  return out;
}
