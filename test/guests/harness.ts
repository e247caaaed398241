/**
 * Boots the test guests under QEMU (TCG) for integration tests.
 *
 *   const g = await bootGuest('long4');   // built on demand, waits for the ready marker
 *   await g.hmp('info tlb');              // QEMU's human monitor, over a unix socket
 *   // connect a gdb-remote client to 127.0.0.1:g.gdbPort
 *   await g.stop();
 *
 * The guest is not started with -S: it boots, prints its marker on COM1 and halts every vCPU
 * (`cli; hlt`), so a debugger that attaches later finds a fixed, known state.
 * Set HF_QEMU to use another qemu-system-x86_64 binary.
 */
import { freePort } from '../../src/util/net';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuest } from './build';
import { EXPECTED } from './expected';
import type { GuestName } from './expected-types';

export { buildGuest, buildGuests, guestElfPath, GuestBuildError } from './build';
export { EXPECTED } from './expected';
export { GUEST_NAMES, RUNNING_GUEST_NAMES, type GuestName } from './expected-types';

export interface BootOptions {
  /** vCPUs (default: what the guest needs, 2 for long4smp, else 1). */
  smp?: number;
  /** QEMU -cpu model (default: what the guest needs, e.g. 'qemu64,+la57' for long5). */
  cpu?: string;
  /** Guest RAM in MiB (default 64). */
  memMiB?: number;
  /** Wait for the ready marker on COM1 and for every vCPU to halt (default true; the marker only for guests that never halt). */
  waitMarker?: boolean;
  /** Give up booting after this long (default 30 s). */
  timeoutMs?: number;
  /** Extra QEMU arguments, appended last. */
  extraArgs?: string[];
}

export interface BootedGuest {
  readonly name: GuestName;
  readonly elfPath: string;
  readonly pid: number;
  /** TCP port of QEMU's gdbstub on 127.0.0.1. */
  readonly gdbPort: number;
  /** Path of the HMP monitor's unix socket. */
  readonly monitorPath: string;
  /** Milliseconds from spawning QEMU to the marker (to the monitor being up if waitMarker is false). */
  readonly bootMs: number;
  /** Run one HMP command; resolves to its output without the echo, the prompt or escape sequences. */
  hmp(cmd: string, timeoutMs?: number): Promise<string>;
  /** Everything the guest wrote to COM1 so far. */
  serial(): string;
  /** Everything QEMU wrote to stderr so far. */
  stderr(): string;
  /** Quit QEMU through the monitor (SIGKILL if it lingers) and remove the temporary files. */
  stop(): Promise<void>;
}

export class GuestBootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestBootError';
  }
}

const QEMU = process.env.HF_QEMU ?? 'qemu-system-x86_64';
const PROMPT = '(qemu) ';
const MAX_PORT_TRIES = 5;

// ---------------------------------------------------------------- process bookkeeping

const live = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;

function track(child: ChildProcessWithoutNullStreams): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export { freePort };

// ---------------------------------------------------------------- HMP client

/** Remove terminal escape sequences and carriage returns from monitor output. */
export function cleanMonitorText(text: string): string {
  return text
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '') // eslint-disable-line no-control-regex
    .replace(/\x1b[@-_]/g, '') // eslint-disable-line no-control-regex
    .replace(/\r/g, '');
}

export class HmpClient {
  private buf = '';
  private closed = false;
  private waiter: ((closed: boolean) => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.waiter?.(false);
    });
    sock.on('close', () => {
      this.closed = true;
      this.waiter?.(true);
    });
    sock.on('error', () => {
      /* reported through 'close' */
    });
  }

  /** Connect, retrying until QEMU has created the socket, and read the banner up to the prompt. */
  static async connect(path: string, deadline: number, alive: () => boolean): Promise<HmpClient> {
    let lastErr = '';
    while (Date.now() < deadline && alive()) {
      const sock = await new Promise<Socket | undefined>((resolve) => {
        const s = createConnection(path);
        s.once('connect', () => resolve(s));
        s.once('error', (e) => {
          lastErr = e.message;
          s.destroy();
          resolve(undefined);
        });
      });
      if (sock) {
        const client = new HmpClient(sock);
        await client.readUntilPrompt(deadline - Date.now());
        client.buf = '';
        return client;
      }
      await sleep(20);
    }
    throw new GuestBootError(`cannot connect to the QEMU monitor at ${path}${lastErr ? `: ${lastErr}` : ''}`);
  }

  private readUntilPrompt(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (closed: boolean): void => {
        const text = cleanMonitorText(this.buf);
        if (text.endsWith(PROMPT)) {
          finish();
          resolve(text);
        } else if (closed || this.closed) {
          finish();
          reject(new GuestBootError(`QEMU monitor closed; output so far: ${JSON.stringify(text)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new GuestBootError(`QEMU monitor did not answer within ${timeoutMs} ms; output so far: ${JSON.stringify(cleanMonitorText(this.buf))}`));
      }, Math.max(0, timeoutMs));
      const finish = (): void => {
        clearTimeout(timer);
        this.waiter = undefined;
      };
      this.waiter = check;
      check(false);
    });
  }

  command(cmd: string, timeoutMs: number): Promise<string> {
    if (/[\r\n]/.test(cmd)) return Promise.reject(new Error('an HMP command must be a single line'));
    const next = this.chain.then(async () => {
      if (this.closed) throw new GuestBootError(`QEMU monitor is closed (command '${cmd}')`);
      this.buf = '';
      this.sock.write(`${cmd}\n`);
      const text = await this.readUntilPrompt(timeoutMs);
      this.buf = '';
      const body = text.slice(0, text.length - PROMPT.length);
      // The first line is readline's echo of the command.
      const nl = body.indexOf('\n');
      return (nl < 0 ? '' : body.slice(nl + 1)).replace(/\n+$/, '');
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Send a command without waiting for an answer (used for `quit`). */
  send(cmd: string): void {
    if (!this.closed) this.sock.write(`${cmd}\n`);
  }

  close(): void {
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------- boot

function waitExit(child: ChildProcessWithoutNullStreams, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function portInUse(stderr: string): boolean {
  return /address already in use|failed to bind/i.test(stderr);
}

/** Boot a guest and wait until it is ready (see BootOptions.waitMarker). */
export async function bootGuest(name: GuestName, opts: BootOptions = {}): Promise<BootedGuest> {
  const expected = EXPECTED[name];
  if (!expected) throw new GuestBootError(`unknown guest '${String(name)}'`);
  const elfPath = await buildGuest(name);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const waitMarker = opts.waitMarker ?? true;
  const dir = await mkdtemp(join(tmpdir(), 'hf-guest-'));
  const monitorPath = join(dir, 'monitor.sock');

  try {
    for (let attempt = 1; ; attempt++) {
      const gdbPort = await freePort();
      const args = [
        '-accel', 'tcg',
        '-display', 'none',
        '-nodefaults',
        '-no-reboot',
        '-serial', 'stdio',
        '-m', String(opts.memMiB ?? 64),
        '-smp', String(opts.smp ?? expected.smp),
        '-cpu', opts.cpu ?? expected.cpu,
        '-kernel', elfPath,
        '-gdb', `tcp:127.0.0.1:${gdbPort}`,
        '-monitor', `unix:${monitorPath},server=on,wait=off`,
        ...(opts.extraArgs ?? []),
      ];
      const started = Date.now();
      const child = spawn(QEMU, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let serialText = '';
      let stderrText = '';
      let spawnError: Error | undefined;
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (d: string) => (serialText += d));
      child.stderr.on('data', (d: string) => (stderrText += d));
      child.on('error', (e) => (spawnError = e));
      track(child);
      const alive = (): boolean => child.exitCode === null && child.signalCode === null && !spawnError;

      const report = (what: string): string =>
        `${name}: ${what}\n  command: ${QEMU} ${args.join(' ')}\n  qemu stderr: ${stderrText.trim() || '(empty)'}\n  serial: ${JSON.stringify(serialText)}`;

      // Give QEMU a moment to fail on an argument or a busy port.
      await sleep(30);
      if (spawnError) {
        const code = (spawnError as NodeJS.ErrnoException).code;
        throw new GuestBootError(
          code === 'ENOENT'
            ? `'${QEMU}' not found: install QEMU (Debian: qemu-system-x86) or set HF_QEMU`
            : `cannot start '${QEMU}': ${spawnError.message}`,
        );
      }

      const deadline = started + timeoutMs;
      let hmpClient: HmpClient;
      try {
        hmpClient = await HmpClient.connect(monitorPath, deadline, alive);
      } catch (e) {
        await waitExit(child, 500);
        if (!alive() && portInUse(stderrText) && attempt < MAX_PORT_TRIES) {
          await rm(monitorPath, { force: true });
          continue;
        }
        child.kill('SIGKILL');
        throw new GuestBootError(report(alive() ? (e as Error).message : `QEMU exited (code ${child.exitCode ?? child.signalCode})`));
      }
      const hmpTimeout = 15_000;
      const hmp = (cmd: string, t = hmpTimeout): Promise<string> => hmpClient.command(cmd, t);

      let stopping: Promise<void> | undefined;
      const stop = (): Promise<void> => {
        stopping ??= (async () => {
          if (alive()) {
            hmpClient.send('quit');
            if (!(await waitExit(child, 3000))) {
              child.kill('SIGKILL');
              await waitExit(child, 3000);
            }
          }
          hmpClient.close();
          await rm(dir, { recursive: true, force: true });
        })();
        return stopping;
      };

      let bootMs = Date.now() - started;
      if (waitMarker) {
        try {
          while (!serialText.includes(`${expected.marker}\n`)) {
            if (!alive()) throw new GuestBootError(report(`QEMU exited (code ${child.exitCode ?? child.signalCode}) before the marker`));
            if (Date.now() > deadline) {
              const state = await hmp('info registers -a', 2000).catch(() => '');
              const cpuLines = state.split('\n').filter((l) => /^(CPU#|RIP=|EIP=|CR0=)/.test(l.trim()));
              throw new GuestBootError(
                report(`no marker '${expected.marker}' within ${timeoutMs} ms`) +
                  (cpuLines.length ? `\n  cpu state: ${cpuLines.join(' | ')}` : ''),
              );
            }
            await sleep(5);
          }
          bootMs = Date.now() - started;
          // The marker is the guest's last output before `cli; hlt`: wait for every vCPU to halt.
          const cpus = opts.smp ?? expected.smp;
          for (; expected.halts !== false; ) {
            const regs = await hmp('info registers -a');
            const halted = (regs.match(/\bHLT=1\b/g) ?? []).length;
            if (halted >= cpus) break;
            if (Date.now() > deadline) throw new GuestBootError(report(`only ${halted} of ${cpus} vCPUs halted within ${timeoutMs} ms`));
            await sleep(10);
          }
        } catch (e) {
          if (!alive() && portInUse(stderrText) && attempt < MAX_PORT_TRIES) {
            hmpClient.close();
            await rm(monitorPath, { force: true });
            continue;
          }
          await stop();
          throw e;
        }
      }

      return {
        name,
        elfPath,
        pid: child.pid ?? -1,
        gdbPort,
        monitorPath,
        bootMs,
        hmp,
        serial: () => serialText,
        stderr: () => stderrText,
        stop,
      };
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

// ---------------------------------------------------------------- monitor output parsers

export interface TlbLine {
  va: bigint;
  /** The address column exactly as printed (QEMU leaves some high entry bits in it; see the tests). */
  pa: bigint;
  /** `XGPDACTUW`, '-' for a clear bit. */
  flags: string;
  text: string;
}

/** Parse `info tlb`: lines `VA: PA XGPDACTUW`. */
export function parseInfoTlb(text: string): TlbLine[] {
  const out: TlbLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+): ([0-9a-f]+) ([X-][G-][P-][D-][A-][C-][T-][U-][W-])$/.exec(line.trim());
    if (m) out.push({ va: BigInt(`0x${m[1]}`), pa: BigInt(`0x${m[2]}`), flags: m[3] ?? '', text: line.trim() });
  }
  return out;
}

/**
 * Parse `info registers` (or `info registers -a`): per CPU index, register name (lower case,
 * e.g. rax, r8, rip, eflags as 'rfl'/'efl', cr0, cr3, efer, hlt) -> value. The first
 * occurrence of a name wins.
 */
export function parseInfoRegisters(text: string): Map<number, Map<string, bigint>> {
  const out = new Map<number, Map<string, bigint>>();
  let current: Map<string, bigint> | undefined;
  for (const line of text.split('\n')) {
    const cpu = /^CPU#(\d+)/.exec(line.trim());
    if (cpu) {
      current = new Map();
      out.set(Number(cpu[1]), current);
      continue;
    }
    if (!current) {
      current = new Map();
      out.set(0, current);
    }
    for (const m of line.matchAll(/\b([A-Z][A-Z0-9]*)\s*=\s*([0-9a-f]+)\b/g)) {
      const name = (m[1] ?? '').toLowerCase();
      if (!current.has(name)) current.set(name, BigInt(`0x${m[2] ?? '0'}`));
    }
  }
  return out;
}

/** Parse `xp /Nwx` or `/Ngx` output into the values in address order. */
export function parseXp(text: string): bigint[] {
  const out: bigint[] = [];
  for (const line of text.split('\n')) {
    const m = /^[0-9a-f]+:((?:\s+0x[0-9a-f]+)+)\s*$/.exec(line.trim());
    if (!m) continue;
    for (const v of (m[1] ?? '').trim().split(/\s+/)) out.push(BigInt(v));
  }
  return out;
}
