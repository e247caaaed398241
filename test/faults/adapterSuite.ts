/**
 * The debug adapter over DAP against a real QEMU through a proxy that spoils one packet
 * (faultProxy.ts: the one part that is not real). CI runs a sample; `npm run faults` all of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, type BootedGuest } from '../guests/harness';
import { T } from '../guests/long4.expected';
import { cleanDapRun, dapTrial } from './adapterSweep';
import { FAULT_KINDS, type Fault, type FaultKind } from './faultProxy';
import { saveTrials } from './results';
import { tabulate, type Trial } from './sweep';

const FULL = process.env.FAULT_SWEEP === 'full';
const STRIDE = 17;

/**
 * The DAP sweep for some fault kinds, as one test file's suite: the kinds are split over two files
 * so that `npm run faults` runs them side by side, each on its own guest.
 */
export function dapSweepSuite(kinds: readonly FaultKind[]): void {
  describe(`the adapter when the stub misbehaves: ${kinds.join(', ')} (attach, threads, stackTrace, pageTable, readMemory, disconnect of long4)`, () => {
    let g: BootedGuest;
    let clean: Awaited<ReturnType<typeof cleanDapRun>>;

    beforeAll(async () => {
      g = await bootGuest('long4');
      clean = await cleanDapRun(g, T.PML4);
    }, 120_000);

    afterAll(async () => {
      await g?.stop();
    });

    it('answers every request or ends the session, never with a wrong answer; QEMU runs in virtual mode afterwards', async () => {
      const faults: Fault[] = [];
      for (const kind of kinds) {
        const k = FAULT_KINDS.indexOf(kind);
        for (let index = 0; index < clean.packets; index++) if (FULL || index % STRIDE === k % STRIDE) faults.push({ kind, index });
      }
      const trials: Trial[] = [];
      for (const f of faults) trials.push(await dapTrial(g, T.PML4, clean.answers, f));
      saveTrials(`DAP ${kinds.join(' ')}`, trials);
      const { table, summary } = tabulate(trials);
      console.log(`[faults] DAP: ${clean.packets} packets from QEMU in a clean session\n${table}\n${summary}`);
      for (const t of trials) if (t.error) console.log(`[faults] ${t.fault.kind}@${t.fault.index}: ${t.outcome}: ${t.error}`);
      const bad = trials.filter((t) => t.outcome === 'hang' || t.outcome === 'WRONG RESULT' || t.outcome === 'crash' || t.unhandledRejections || t.leftPaused || t.leftPhysical);
      expect(bad.map((t) => `${t.fault.kind}@${t.fault.index}: ${t.outcome}${t.leftPaused ? ', left paused' : ''}${t.leftPhysical ? ', left in physical mode' : ''}${t.error ? `: ${t.error}` : ''}`)).toEqual([]);
    }, FULL ? 1_800_000 : 400_000);
  });
}
