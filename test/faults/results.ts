import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Trial } from './sweep';

/** Where each sweep leaves its trials for the one table `npm run faults` ends with. */
const DIR = join(__dirname, '.results');

/** Keeps one sweep's trials (`name`: CLI, DAP stalls, …). */
export function saveTrials(name: string, trials: readonly Trial[]): void {
  if (!process.env.FAULT_SUMMARY) return; // only npm run faults gathers them
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, `${name.replace(/\W+/g, '-')}.json`), JSON.stringify(trials, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** Every sweep's trials since `clearTrials`; forgets them. */
export function takeTrials(): Trial[] {
  let files: string[];
  try {
    files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return []; // no sweep ran
  }
  const all = files.flatMap((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Trial[]);
  clearTrials();
  return all;
}

export function clearTrials(): void {
  rmSync(DIR, { recursive: true, force: true });
}
