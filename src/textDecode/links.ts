/**
 * Frame-looking values in logs that a live session can open in the frame editor: `pa=0x36400000`,
 * `maddr: 0x…`, `paddr 0000000036400000`, `mfn=0x36400` and Xen's bare `mfn 36400` (PRI_mfn).
 * Pure: the link provider turns them into command links.
 */
import { numbersIn } from './numbers';

export interface FrameLink {
  /** Columns of the value in its line, end exclusive. */
  start: number;
  end: number;
  /** What the value names: a physical address, or a machine frame number. */
  kind: 'pa' | 'mfn';
  value: bigint;
}

const KIND_OF_LABEL: Record<string, FrameLink['kind']> = { pa: 'pa', maddr: 'pa', paddr: 'pa', mfn: 'mfn' };
/** Frame numbers above 52 − 12 bits name no frame. */
const MAX_MFN = 1n << 40n;

/** A cheap first look, so that a long log is not tokenized line by line for the few lines with links. */
const LINK_WORD = /(?:^|[^\w.$-])(?:pa|maddr|paddr|mfn)\b/i;

export function mayHoldFrameLinks(line: string): boolean {
  return LINK_WORD.test(line);
}

export function frameLinksIn(line: string): FrameLink[] {
  const out: FrameLink[] = [];
  for (const t of numbersIn(line)) {
    const kind = t.label !== undefined ? KIND_OF_LABEL[t.label] : undefined;
    if (!kind || (kind === 'mfn' && t.value >= MAX_MFN)) continue;
    out.push({ start: t.start, end: t.end, kind, value: t.value });
  }
  return out;
}
