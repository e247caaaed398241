import { ATTR_G, ATTR_R, ATTR_TYPE_SHIFT, ATTR_U, ATTR_W, ATTR_X } from './entryRules';
import { entryName, vaDigits } from './format';
import { geometry, type PagingMode } from './modes';
import type { RangeRecord } from './rangeMerge';
import type { LeafRecord } from './tableWalk';

/**
 * Leaves and ranges as `walk` prints them and as its JSON carries them, straight from the walk's
 * page numbers: no BigInt per line. Two layouts: the default one (ranges merged by VA, with the
 * memory type and PA runs) and the `--split-pa` one, byte for byte the output of old.
 */

const TWO20 = 0x100000;

function pad8(v: number): string {
  return v.toString(16).padStart(8, '0');
}

/** `0x` + hex of hi:lo, zero-padded to 16 or 8 digits, or unpadded (digits 0). */
function hexHalves(hi: number, lo: number, digits: number): string {
  if (digits === 16) return `0x${pad8(hi)}${pad8(lo)}`;
  if (hi === 0) return digits === 8 ? `0x${pad8(lo)}` : `0x${lo.toString(16)}`;
  return `0x${hi.toString(16)}${pad8(lo)}`;
}

/** Memory-type names by encoding; 2 and 3 are reserved (the access faults). */
const TYPE_NAMES = ['UC', 'WC', 'rsv', 'rsv', 'WT', 'WP', 'WB', 'UC-'];

/** "R W X U G" for every combination of the five bits. */
const FLAGS_TEXT: string[] = Array.from({ length: 32 }, (_, a) =>
  [a & ATTR_R ? 'R' : '-', a & ATTR_W ? 'W' : '-', a & ATTR_X ? 'X' : '-', a & ATTR_U ? 'U' : '-', a & ATTR_G ? 'G' : '-'].join(' '),
);

/** 4 KiB pages as an exact size: "4 KiB", "2 MiB", "12 KiB". */
export function pagesSizeText(pages: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = pages * 4; // KiB: exact below 2^53
  let u = 0;
  while (u < units.length - 1 && v >= 1024 && v % 1024 === 0) {
    v /= 1024;
    u++;
  }
  return `${v} ${units[u]}`;
}

/** "4K", "2M", "1G", "4M". */
function pageTag(pages: number): string {
  return pagesSizeText(pages).replace(/ (\w)iB$/, '$1');
}

export class WalkFormat {
  readonly vaDigits: number;
  private readonly signHi: number;
  private readonly extendHi: number;
  private readonly levelPages: number[];

  constructor(readonly mode: PagingMode) {
    this.vaDigits = vaDigits(mode);
    const long = mode === 'long4' || mode === 'long5';
    const vaBits = geometry(mode).vaBits;
    this.signHi = long ? 1 << (vaBits - 33) : 0;
    this.extendHi = long ? ~((this.signHi << 1) - 1) >>> 0 : 0;
    this.levelPages = [0, 1, mode === 'legacy32' ? 1024 : 512, 512 * 512];
  }

  flags(attrs: number): string {
    return FLAGS_TEXT[attrs & 31];
  }

  memoryType(attrs: number): string {
    return TYPE_NAMES[(attrs >>> ATTR_TYPE_SHIFT) & 7];
  }

  /** The canonical VA of page `vpn` plus `offset` bytes (< 4096). */
  va(vpn: number, offset: number, digits: number): string {
    let hi = Math.floor(vpn / TWO20);
    const lo = (vpn % TWO20) * 4096 + offset;
    if (hi & this.signHi) hi = (hi | this.extendHi) >>> 0;
    return hexHalves(hi, lo, digits);
  }

  pa(pfn: number, digits: number): string {
    return hexHalves(Math.floor(pfn / TWO20), (pfn % TWO20) * 4096, digits);
  }

  entry(lo: number, hi: number, digits: number): string {
    return hexHalves(hi, lo, digits);
  }

  // ---- text ----

  rangeHeader(splitPa: boolean): string {
    const va = 'VA'.padEnd(this.vaDigits * 2 + 5);
    return splitPa ? `${va}  ${'PA'.padEnd(18)}  ${'size'.padStart(10)}  flags      pages` : `${va}  ${'PA'.padEnd(18)}  ${'size'.padStart(10)}  flags      type  pages`;
  }

  rangeLine(r: RangeRecord, splitPa: boolean): string {
    const d = this.vaDigits;
    const span = `${this.va(r.vpn, 0, d)}-${this.va(r.vpn + r.pages - 1, 0xfff, d)}`;
    const size = pagesSizeText(r.pages).padStart(10);
    if (splitPa) return `${span}  ${this.pa(r.pfn, 16)}  ${size}  ${this.flags(r.attrs)}  ${r.leaves} x ${pageTag(r.firstPages)}`;
    // A '*' after the PA: the range's pages are not one run of PA (the count closes the line).
    const mark = r.paRuns > 1 ? '*' : ' ';
    const runs = r.paRuns > 1 ? `; PA in ${r.paRuns} runs` : '';
    return `${span}  ${this.pa(r.pfn, 16)}${mark} ${size}  ${this.flags(r.attrs)}  ${this.memoryType(r.attrs).padEnd(4)}  ${this.pageCounts(r)}${runs}`;
  }

  leafLine(l: LeafRecord, splitPa: boolean): string {
    const head = `${this.va(l.vpn, 0, this.vaDigits)}  ${this.pa(l.pfn, 16)}  ${pageTag(l.pages).padStart(4)}  ${this.flags(l.attrs)}`;
    const entry = `${entryName(this.mode, l.level)} ${this.entry(l.lo, l.hi, 16)}`;
    return splitPa ? `${head}  ${entry}` : `${head}  ${this.memoryType(l.attrs).padEnd(4)}  ${entry}`;
  }

  /** "2 x 1G + 3 x 2M + 5 x 4K": the pages of a range by size, largest first. */
  pageCounts(r: RangeRecord): string {
    const parts: string[] = [];
    if (r.leaves3) parts.push(`${r.leaves3} x ${pageTag(this.levelPages[3])}`);
    if (r.leaves2) parts.push(`${r.leaves2} x ${pageTag(this.levelPages[2])}`);
    if (r.leaves1) parts.push(`${r.leaves1} x 4K`);
    return parts.join(' + ');
  }

  // ---- JSON (docs/cli-json.md) ----

  /**
   * A leaf as an element of the walk JSON's `leaves`, laid out as JSON.stringify(…, null, 2) lays
   * out an array element at the top-level object's second level (indent 4): the same text as the
   * object of leafJson, without building the object.
   */
  leafJsonText(l: LeafRecord, splitPa: boolean): string {
    const type = splitPa ? '' : `,\n      "memoryType": "${this.memoryType(l.attrs)}"`;
    return `    {\n      "va": "${this.va(l.vpn, 0, 0)}",\n      "pa": "${this.pa(l.pfn, 0)}",\n      "size": ${l.pages * 4096},\n      "entry": "${this.entry(l.lo, l.hi, 0)}",\n      "level": ${l.level},\n      "flags": "${this.flags(l.attrs)}"${type}\n    }`;
  }

  /** A range as an element of `ranges`, as rangeJson would be printed (see leafJsonText). */
  rangeJsonText(r: RangeRecord, splitPa: boolean): string {
    const head = `    {\n      "va": "${this.va(r.vpn, 0, 0)}",\n      "pa": "${this.pa(r.pfn, 0)}",\n      "size": ${r.pages * 4096},\n      "pageSize": ${r.firstPages * 4096},\n      "pages": ${r.leaves},\n      "flags": "${this.flags(r.attrs)}"`;
    if (splitPa) return `${head}\n    }`;
    const sizes = this.pageSizes(r);
    const mixed = sizes.length > 1 ? `,\n      "pageSizes": [\n${sizes.map(([pages, n]) => `        {\n          "pageSize": ${pages * 4096},\n          "pages": ${n}\n        }`).join(',\n')}\n      ]` : '';
    return `${head},\n      "memoryType": "${this.memoryType(r.attrs)}",\n      "paRuns": ${r.paRuns}${mixed}\n    }`;
  }

  /** [pages per page, count] for each page size in a range, largest first. */
  private pageSizes(r: RangeRecord): [number, number][] {
    const all: [number, number][] = [
      [this.levelPages[3], r.leaves3],
      [this.levelPages[2], r.leaves2],
      [1, r.leaves1],
    ];
    return all.filter(([, n]) => n > 0);
  }

  leafJson(l: LeafRecord, splitPa: boolean): Record<string, unknown> {
    const o: Record<string, unknown> = {
      va: this.va(l.vpn, 0, 0),
      pa: this.pa(l.pfn, 0),
      size: l.pages * 4096,
      entry: this.entry(l.lo, l.hi, 0),
      level: l.level,
      flags: this.flags(l.attrs),
    };
    if (!splitPa) o.memoryType = this.memoryType(l.attrs);
    return o;
  }

  rangeJson(r: RangeRecord, splitPa: boolean): Record<string, unknown> {
    const o: Record<string, unknown> = {
      va: this.va(r.vpn, 0, 0),
      pa: this.pa(r.pfn, 0),
      size: r.pages * 4096,
      pageSize: r.firstPages * 4096,
      pages: r.leaves,
      flags: this.flags(r.attrs),
    };
    if (splitPa) return o;
    o.memoryType = this.memoryType(r.attrs);
    o.paRuns = r.paRuns;
    const bySize = this.pageSizes(r);
    if (bySize.length > 1) o.pageSizes = bySize.map(([pages, n]) => ({ pageSize: pages * 4096, pages: n }));
    return o;
  }
}

