import { HyperFrameError } from '../util/errors';

/**
 * QEMU's own map of guest-physical memory, from its monitor: `info mtree -f` prints each flat
 * view (what an address space really decodes to) as `START-END (prio P, KIND): REGION [@OFFSET]`
 * lines, OFFSET being where in REGION the range starts (absent means 0). The system memory view
 * is the one whose root is `memory`. Only `ram` and `rom` ranges are backed by host memory;
 * everything else (MMIO `i/o`, `romd` devices, holes) is left to the stub.
 */
export interface FlatRange {
  /** First and last guest-physical address. */
  start: bigint;
  end: bigint;
  kind: string;
  region: string;
  /** Offset of `start` inside the region. */
  offset: bigint;
}

const LINE = /^\s*([0-9a-f]+)-([0-9a-f]+) \(prio -?\d+, ([\w/]+)\): (\S+)(?: @([0-9a-f]+))?/i;

/** The system memory's flat view; an error naming what was printed instead when it is not there. */
export function systemMemoryRanges(mtree: string): FlatRange[] {
  const lines = mtree.replace(/\r/g, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^FlatView #\d+/.test(lines[i])) continue;
    let j = i + 1;
    let root: string | undefined;
    for (; j < lines.length && !LINE.test(lines[j]) && !/^FlatView #/.test(lines[j]); j++) {
      const m = /Root memory region: (\S+)/.exec(lines[j]);
      if (m) root = m[1];
    }
    if (root !== 'memory') continue;
    const out: FlatRange[] = [];
    for (; j < lines.length && !/^FlatView #/.test(lines[j]); j++) {
      const m = LINE.exec(lines[j]);
      if (!m) continue;
      out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), kind: m[3], region: m[4], offset: m[5] ? BigInt(`0x${m[5]}`) : 0n });
    }
    if (out.length > 0) return out;
  }
  throw new HyperFrameError('PROTOCOL', `QEMU's 'info mtree -f' shows no flat view of system memory: ${JSON.stringify(mtree.slice(0, 120))}`);
}

/** Ranges backed by host RAM (guest RAM, and ROM that lives in RAM blocks). */
export function hostBackedRanges(ranges: readonly FlatRange[]): FlatRange[] {
  return ranges.filter((r) => r.kind === 'ram' || r.kind === 'rom');
}

/** `Host virtual address for 0x1000 (pc.ram) is 0x7f46fbe01000` → the address. */
export function parseGpa2hva(text: string): bigint {
  const m = /Host virtual address for 0x[0-9a-f]+ \((.*)\) is (0x[0-9a-f]+)/i.exec(text);
  if (!m) throw new HyperFrameError('PROTOCOL', `unexpected answer to gpa2hva: ${JSON.stringify(text.trim().slice(0, 120))}`);
  return BigInt(m[2]);
}
