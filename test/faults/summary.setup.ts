/**
 * `npm run faults`: the sweeps run side by side in their own files; this prints one table of
 * fault kinds × outcomes over all of them, and as its last line the counts the issue asks for.
 */
import { clearTrials, takeTrials } from './results';
import { tabulate } from './sweep';

export function setup(): void {
  clearTrials();
}

export function teardown(): void {
  const trials = takeTrials();
  if (!trials.length) return;
  const { table, summary } = tabulate(trials);
  console.log(`\n[faults] every sweep (CLI and DAP)\n${table}\n${summary}`);
}
