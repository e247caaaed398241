/**
 * The fault sweep: a whole CLI session (attach, walk, detach) against a real QEMU, through a
 * proxy that spoils one of QEMU's packets, for every fault kind at every packet index; after each
 * trial, QEMU itself is asked whether the VM runs (the monitor's `info status`) and whether its stub
 * was left in physical-memory mode. Each trial is classed by what the user would see.
 */
import net from 'node:net';
import { runCli } from '../../src/cli/run';
import type { BootedGuest } from '../guests/harness';
import { type Fault, type FaultKind, FaultProxy } from './faultProxy';

/** The per-request timeout the trials use, and the stall that outlasts it. */
export const TIMEOUT_MS = 400;
const DELAY_MS = 700;
/** A trial that has not ended by then hangs (the longest legitimate one: a few timeouts). */
const HANG_MS = 15_000;

export type Outcome = 'same result' | 'clear error' | 'WRONG RESULT' | 'crash' | 'hang';

export interface Trial {
  fault: Fault;
  outcome: Outcome;
  /** The error line, when there is one. */
  error?: string;
  unhandledRejections: number;
  leftPaused: boolean;
  leftPhysical: boolean;
  ms: number;
}

interface CliRun {
  code: number;
  out: string;
  err: string;
}

async function cliRun(argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export function walkArgs(port: number): string[] {
  return ['walk', '--target', `127.0.0.1:${port}`, '--cpu', '0', '--physical', 'qemu', '--timeout', String(TIMEOUT_MS)];
}

/** Asks QEMU's stub directly whether physical-memory mode is on (connecting stops the VM; `D` resumes it). */
export async function phyMemMode(port: number): Promise<string> {
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.on('error', () => undefined);
  let got = '';
  let wake = (): void => undefined;
  // Ack everything from the first byte on (QEMU greets with a stop reply and wants its '+').
  sock.on('data', (b: Buffer) => {
    got += b.toString('latin1');
    sock.write('+');
    wake();
  });
  const reply = async (re: RegExp, ms = 5_000): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(got);
      if (m) {
        got = got.slice(m.index + m[0].length);
        return m[1];
      }
      if (Date.now() > deadline) throw new Error(`no reply matching ${re} from the stub (got ${JSON.stringify(got)})`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  const send = (payload: string): void => {
    let sum = 0;
    for (const c of payload) sum = (sum + c.charCodeAt(0)) & 0xff;
    sock.write(`$${payload}#${sum.toString(16).padStart(2, '0')}`);
  };
  try {
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    // QEMU stops the VM on connect from its main loop and says so: a D before that would be undone.
    await reply(/\$(T[0-9a-f]{2})[^#]*#[0-9a-f]{2}/, 500).catch(() => undefined);
    // Multiprocess on, so that `D;1` means what it says: QEMU keeps the last client's setting,
    // refusing a plain `D` after a multiprocess client and ignoring the pid of `D;1` otherwise.
    send('qSupported:multiprocess+');
    await reply(/\$([^#]*multiprocess\+[^#]*)#[0-9a-f]{2}/);
    send('qqemu.PhyMemMode');
    const mode = await reply(/\$([01])#[0-9a-f]{2}/);
    send('D;1');
    await reply(/\$(OK)#[0-9a-f]{2}/);
    return mode;
  } finally {
    sock.destroy();
  }
}

/** Counts the unhandled promise rejections of a trial (with their stacks) until stop(). */
export function captureRejections(): { reasons: string[]; stop(): void } {
  const reasons: string[] = [];
  const on = (reason: unknown): void => void reasons.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  process.on('unhandledRejection', on);
  return { reasons, stop: () => void process.off('unhandledRejection', on) };
}

/** QEMU's own word after a trial: does the VM run (the monitor, before any gdb connection), is its stub in physical mode. */
export async function vmState(g: BootedGuest): Promise<{ leftPaused: boolean; leftPhysical: boolean }> {
  const leftPaused = !/VM status: running/.test(await g.hmp('info status'));
  if (leftPaused) await g.hmp('cont'); // for the next trial
  return { leftPaused, leftPhysical: (await phyMemMode(g.gdbPort)) === '1' };
}

/** The clean run through the proxy: the output every trial must equal to count as success, and how many packets QEMU sends. */
export async function cleanRun(g: BootedGuest): Promise<{ out: string; packets: number }> {
  const proxy = await FaultProxy.start(g.gdbPort);
  try {
    const r = await cliRun(walkArgs(proxy.port));
    if (r.code !== 0) throw new Error(`the clean run failed: ${r.err}`);
    await proxy.whenIdle();
    return { out: r.out, packets: proxy.packets };
  } finally {
    await proxy.close();
  }
}

/** One trial: the CLI session with `fault`, then QEMU's own word on the VM. */
export async function trial(g: BootedGuest, clean: string, fault: Fault): Promise<Trial> {
  const proxy = await FaultProxy.start(g.gdbPort, { ...fault, delayMs: DELAY_MS });
  const rejections = captureRejections();
  const start = Date.now();
  let outcome: Outcome;
  let error: string | undefined;
  try {
    const run = cliRun(walkArgs(proxy.port)).then(
      (r) => r,
      (e: unknown) => e as Error,
    );
    const r = await Promise.race([run, new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), HANG_MS))]);
    if (r === 'hang') outcome = 'hang';
    else if (r instanceof Error) {
      outcome = 'crash';
      error = r.message;
    } else if (r.code === 0) outcome = r.out === clean ? 'same result' : 'WRONG RESULT';
    else {
      outcome = r.code === 2 && r.err.split('\n').length === 1 && r.err.startsWith('hyperframe walk: ') ? 'clear error' : 'crash';
      error = r.err;
    }
    // Let a late rejection surface before the trial is closed.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    rejections.stop();
  }
  // A hung client still holds the connection: close it, as a user would kill the process.
  if (outcome === 'hang') await proxy.close();
  else await Promise.race([proxy.whenIdle(), new Promise((resolve) => setTimeout(resolve, 3_000))]).then(() => proxy.close());
  const { leftPaused, leftPhysical } = await vmState(g);
  if (rejections.reasons.length) error = `unhandled rejection: ${rejections.reasons.join(' | ').slice(0, 600)}`;
  return { fault, outcome, ...(error ? { error } : {}), unhandledRejections: rejections.reasons.length, leftPaused, leftPhysical, ms: Date.now() - start };
}

export interface SweepReport {
  trials: Trial[];
  table: string;
  summary: string;
}

/** Runs `faults` one after another and tabulates them (fault kinds × outcomes). */
export async function sweep(g: BootedGuest, clean: string, faults: Fault[], onTrial?: (t: Trial) => void): Promise<SweepReport> {
  const trials: Trial[] = [];
  for (const f of faults) {
    const t = await trial(g, clean, f);
    trials.push(t);
    onTrial?.(t);
  }
  return { trials, ...tabulate(trials) };
}

const OUTCOMES: Outcome[] = ['same result', 'clear error', 'WRONG RESULT', 'crash', 'hang'];

export function tabulate(trials: Trial[]): { table: string; summary: string } {
  const kinds = [...new Set(trials.map((t) => t.fault.kind))] as FaultKind[];
  const cols = [...OUTCOMES, 'rejections', 'paused', 'physical', 'mean ms'];
  const lines = [`${'fault'.padEnd(10)}${cols.map((c) => c.padStart(14)).join('')}`];
  for (const k of kinds) {
    const ts = trials.filter((t) => t.fault.kind === k);
    const cells = [
      ...OUTCOMES.map((o) => ts.filter((t) => t.outcome === o).length),
      ts.reduce((n, t) => n + t.unhandledRejections, 0),
      ts.filter((t) => t.leftPaused).length,
      ts.filter((t) => t.leftPhysical).length,
      Math.round(ts.reduce((n, t) => n + t.ms, 0) / ts.length),
    ];
    lines.push(`${k.padEnd(10)}${cells.map((c) => String(c).padStart(14)).join('')}`);
  }
  const count = (o: Outcome): number => trials.filter((t) => t.outcome === o).length;
  const summary =
    `${trials.length} trials: ${count('hang')} hangs, ${trials.reduce((n, t) => n + t.unhandledRejections, 0)} unhandled rejections, ` +
    `${trials.filter((t) => t.leftPaused).length} VMs left paused, ${trials.filter((t) => t.leftPhysical).length} left in physical mode, ` +
    `${count('WRONG RESULT')} wrong results, ${count('crash')} crashes`;
  return { table: lines.join('\n'), summary };
}
