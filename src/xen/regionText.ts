import { hex } from '../util/numbers';
import type { RegionHit } from './layout';
import type { XenLayout, XenRegion } from './layouts';

/**
 * What a region of Xen's layout is for, in words a reader of Xen's memory code needs: the text of
 * `hyperframe region`, the hover and the Xen Layout view. Seeds 002 and 004 are answered here.
 */

/**
 * Seed 002: why one machine has a "xenheap" and a "domheap". Xen 3.x x86_32 (and arm32) could not
 * map all RAM: only the xenheap sat in the always-mapped direct map, and a domheap page had to
 * be mapped on demand through map_domain_page()'s cache. x86_64 maps every frame once, so the
 * split is only logical (PGC_xen_heap marks xenheap pages).
 */
export const SPLIT_HEAP_32 =
  "Split heap: only the xenheap (Xen's own allocations) lives in this always-mapped area; domheap pages (guest memory, page tables) are not mapped until map_domain_page() puts them in the per-domain map cache for a while, as on arm32.";
export const SINGLE_HEAP_64 =
  "One heap: x86_64 maps every machine frame here all the time, so xenheap and domheap are one pool (xenheap pages carry PGC_xen_heap) and a release build's map_domain_page() returns the frame's direct-map address (debug builds still borrow a map-cache slot for PV vCPUs); the split-heap model (xenheap always mapped, domheap mapped on demand) belongs to x86_32 and arm32.";

/** Seed 004: what the values in a machine-to-phys table mean. */
export function m2pValuesNote(entryBytes: 4 | 8): string {
  const invalid = entryBytes === 8 ? '0xffffffffffffffff' : '0xffffffff';
  const pattern = entryBytes === 8 ? '0x5555555555555555' : '0x55555555';
  return `Each ${entryBytes}-byte entry holds the pfn its owner maps that frame at; ${invalid} (~0) is INVALID_M2P_ENTRY, a frame no guest owns; ${pattern} is the debug pattern Xen 3.x wrote into every entry at boot: a slot never written since, a frame never owned.`;
}

const SIZE_UNITS: ReadonlyArray<[bigint, string]> = [
  [1n << 40n, 'TiB'],
  [1n << 30n, 'GiB'],
  [1n << 20n, 'MiB'],
  [1n << 10n, 'KiB'],
];

/** 256 GiB, 12 MiB, 4 KiB; a byte count when no unit divides it. */
export function sizeText(bytes: bigint): string {
  for (const [unit, name] of SIZE_UNITS) if (bytes >= unit && bytes % unit === 0n) return `${bytes / unit} ${name}`;
  return `${bytes} bytes`;
}

function slotsText(r: XenRegion): string {
  if (!r.pml4) return '';
  return r.pml4[0] === r.pml4[1] ? `PML4 slot ${r.pml4[0]}` : `PML4 slots ${r.pml4[0]}-${r.pml4[1]}`;
}

/** Region-specific lines: what this address is inside its region. */
function detailLines(hit: RegionHit, layout: XenLayout): string[] {
  const out: string[] = [];
  const r = hit.region;
  if (hit.directMap) out.push(`machine address ${hex(hit.directMap.maddr)} (mfn ${hex(hit.directMap.maddr >> 12n)})`);
  if (hit.m2p) out.push(`machine_to_phys_mapping[${hex(hit.m2p.mfn)}]: the M2P entry of mfn ${hex(hit.m2p.mfn)}`);
  if (hit.frameTable) out.push(`frame_table[${hex(hit.frameTable.pdx)}]: struct page_info of mfn ${hex(hit.frameTable.mfn)}, byte ${hit.frameTable.byteInEntry}`);
  if (hit.linear) {
    const name = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E'][hit.linear.level] ?? `level-${hit.linear.level} entry`;
    out.push(`the ${name} mapping ${hex(hit.linear.mapsVa)} (${sizeText(hit.linear.covers)}), in the tables of the vCPU whose CR3 is loaded`);
  }
  if (r.kind === 'direct-map') out.push(layout.arch === 'x86_64' ? SINGLE_HEAP_64 : SPLIT_HEAP_32);
  if (r.kind === 'perdomain' && layout.arch !== 'x86_64') out.push('The map_domain_page() cache: domheap frames are mapped here on demand, one short-lived slot at a time (the split-heap model).');
  if (r.kind === 'perdomain' && layout.arch === 'x86_64') out.push('Per-domain: each domain maps its own frames here (GDT/LDT shadows, map cache, argument translation).');
  if (r.kind === 'm2p-ro' || r.kind === 'm2p-rw' || r.kind === 'm2p-compat') out.push(m2pValuesNote(r.kind === 'm2p-compat' ? 4 : layout.m2p.entryBytes));
  if (r.kind === 'guest' && layout.arch === 'x86_64' && hit.pml4Slot !== undefined && hit.pml4Slot >= 272) {
    out.push("A PV guest's kernel half: Linux puts its direct map at 0xffff888000000000 and its text at 0xffffffff80000000");
  }
  return out;
}

/** The lines `hyperframe region ADDR` prints, and the hover's body. */
export function regionLines(hit: RegionHit, layout: XenLayout): string[] {
  const r = hit.region;
  const where = [slotsText(r), `+${hex(hit.offset)} into ${hex(r.start)}-${hex(r.end - 1n)} (${sizeText(r.end - r.start)})`].filter(Boolean).join(', ');
  return [`${hex(hit.va)}  ${layout.name}: ${r.name}`, `  ${r.description}`, `  ${where}`, ...detailLines(hit, layout).map((l) => `  ${l}`), `  source: ${r.source}`];
}

/** One line per region, low to high: the Xen Layout view's rows and `hyperframe region --list`. */
export function layoutRows(layout: XenLayout): string[] {
  const w = layout.mode === 'long4' ? 18 : 10;
  return layout.regions.map((r) => {
    const range = `${hex(r.start, w - 2)}-${hex(r.end - 1n, w - 2)}`;
    const slots = slotsText(r);
    return `${range}  ${sizeText(r.end - r.start).padStart(9)}  ${r.name.padEnd(17)} ${slots ? `[${slots}] ` : ''}${r.description}`;
  });
}
