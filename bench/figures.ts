/**
 * What the benchmarks measured, gathered in one JSON file (out/bench-figures.json) that the
 * summary reporter prints at the end of `npm run bench`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIGURES_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'bench-figures.json');

export interface GuestFigures {
  guest: string;
  leaves: number;
  /** Table pages the walk read. */
  tables: number;
  /** A whole CLI walk over the stub (`--physical qemu`, through a counting relay): packets and bytes both ways. */
  packets: number;
  bytesUp: number;
  bytesDown: number;
  /** Whole CLI process (`walk --target … --cpu 0 --json`), wall ms and peak RSS MiB: through the host path and over the stub. */
  cliHostMs: number;
  cliStubMs: number;
  cliHostRssMiB: number;
  cliStubRssMiB: number;
  /** `walk --leaves --json` through the host path: peak RSS MiB. */
  leavesJsonRssMiB: number;
  /** The walk alone, in process, after attach: over the stub, and the raw client reading the same table pages. */
  walkStubMs: number;
  rawStubMs: number;
}

export interface SyntheticFigures {
  gib: number;
  leaves: number;
  ranges: number;
  tables: number;
  ms: number;
  nsPerLeaf: number;
  /** Most heap the walk added while it ran, MiB (flat from 1 to 16 GiB when memory stays bounded). */
  heapGrowthMiB: number;
}

export interface BulkFigures {
  bytes: number;
  rawMiBs: number;
  stubMiBs: number;
  hostMiBs: number;
}

export interface Figures {
  when: string;
  loadAverage: number[];
  guests: GuestFigures[];
  synthetic: SyntheticFigures[];
  bulk?: BulkFigures;
}

export function readFigures(): Figures {
  if (!existsSync(FIGURES_FILE)) return { when: new Date().toISOString(), loadAverage: [], guests: [], synthetic: [] };
  return JSON.parse(readFileSync(FIGURES_FILE, 'utf8')) as Figures;
}

/** Adds to the figures file (each bench file writes its own part). */
export function recordFigures(update: (f: Figures) => void): void {
  const f = readFigures();
  update(f);
  mkdirSync(dirname(FIGURES_FILE), { recursive: true });
  writeFileSync(FIGURES_FILE, `${JSON.stringify(f, null, 2)}\n`);
}
