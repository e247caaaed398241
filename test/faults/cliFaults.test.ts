/**
 * The CLI against a real QEMU through a proxy that spoils one packet (faultProxy.ts: the one part
 * that is not real). CI runs a sample of the indices; `npm run faults` the whole sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, type BootedGuest } from '../guests/harness';
import { FAULT_KINDS, type Fault } from './faultProxy';
import { saveTrials } from './results';
import { cleanRun, sweep } from './sweep';

/** Every index with FAULT_SWEEP=full; else every STRIDE-th, offset per kind so that the sample covers each index over the kinds. */
const FULL = process.env.FAULT_SWEEP === 'full';
const STRIDE = 9;

describe('the CLI when the stub misbehaves (attach, walk, detach of long4 through a faulty link)', () => {
  let g: BootedGuest;
  let clean: { out: string; packets: number };

  beforeAll(async () => {
    g = await bootGuest('long4');
    clean = await cleanRun(g);
  }, 120_000);

  afterAll(async () => {
    await g?.stop();
  });

  it('never hangs, never prints a wrong result as success, never leaves the VM paused or in physical mode', async () => {
    const faults: Fault[] = [];
    FAULT_KINDS.forEach((kind, k) => {
      for (let index = 0; index < clean.packets; index++) if (FULL || index % STRIDE === k % STRIDE) faults.push({ kind, index });
    });
    const report = await sweep(g, clean.out, faults);
    saveTrials('CLI', report.trials);
    console.log(`[faults] CLI: ${clean.packets} packets from QEMU in a clean run\n${report.table}\n${report.summary}`);
    for (const t of report.trials) if (t.error) console.log(`[faults] ${t.fault.kind}@${t.fault.index}: ${t.outcome}: ${t.error}`);
    const bad = report.trials.filter((t) => t.outcome === 'hang' || t.outcome === 'WRONG RESULT' || t.outcome === 'crash' || t.unhandledRejections || t.leftPaused || t.leftPhysical);
    expect(bad.map((t) => `${t.fault.kind}@${t.fault.index}: ${t.outcome}${t.leftPaused ? ', left paused' : ''}${t.leftPhysical ? ', left in physical mode' : ''}${t.error ? `: ${t.error}` : ''}`)).toEqual([]);
  }, FULL ? 1_200_000 : 300_000);
});
