/**
 * Starts QEMU for a `launch` configuration: no shell, a gdbstub on a free local port unless the
 * arguments name one, its output streamed to the caller, and a way to end it that never leaves a
 * stray process behind (SIGTERM, then SIGKILL; and SIGKILL if the adapter itself exits).
 *
 * QEMU writes its stdout and stderr into files that the adapter follows, never into a pipe to the
 * adapter: so it can be let go (`release`) at the end of a session and outlive the adapter, in
 * its own session, its output still going somewhere the user can read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { SharedRamFile } from '../target/hostPhysical';
import { HyperFrameError } from '../util/errors';
import { freePort } from '../util/net';
import { planRamFile } from './ramFile';

export interface GdbEndpoint {
  host: string;
  port: number;
  /**
   * Set when the arguments make QEMU's gdbstub listen beyond this host (`-s`, `tcp::PORT`,
   * `tcp:0.0.0.0:PORT`): anyone who can reach the port can read and write the guest. Says what to write instead.
   */
  exposed?: string;
}

export interface LaunchedQemu {
  readonly pid: number;
  readonly gdb: GdbEndpoint;
  /** Guest RAM as a shared file, when the launch put it there (see ramFile.ts). */
  readonly ramFile?: SharedRamFile;
  /** Why guest RAM is not in a shared file, when one was asked for and could not be. */
  readonly ramFileNote?: string;
  /** Removes the RAM file's name once QEMU and the reader have it open. */
  forgetRamFile(): void;
  /** The full argument list QEMU was started with. */
  readonly args: readonly string[];
  alive(): boolean;
  /** How it ended, once it has ("exit code 1", "signal SIGKILL"). */
  exitDescription(): string | undefined;
  /** The last lines QEMU wrote to stderr. */
  stderrTail(): string;
  /** Resolves when the process has exited and its last output has been passed on. */
  readonly exited: Promise<void>;
  /** Ends QEMU: SIGTERM (QEMU shuts down cleanly on it), SIGKILL if it lingers. */
  terminate(graceMs?: number): Promise<void>;
  /**
   * Lets QEMU outlive the adapter: no longer killed when the adapter exits, no longer followed.
   * Returns where its output goes from now on.
   */
  release(): string;
}

const STDERR_KEEP = 4000;
/** How often the output files are read for new text. */
const FOLLOW_MS = 50;

/** Passes on what is appended to a file, as text, from a timer and once more on demand. */
class FileFollower {
  private handle: Promise<FileHandle>;
  private position = 0;
  private readonly decoder = new StringDecoder('utf8');
  private readonly timer: NodeJS.Timeout;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    path: string,
    private readonly emit: (text: string) => void,
  ) {
    this.handle = open(path, 'r');
    this.handle.catch(() => undefined);
    this.timer = setInterval(() => void this.drain(), FOLLOW_MS);
    this.timer.unref();
  }

  /** Reads whatever has been appended since the last read. */
  drain(): Promise<void> {
    this.reading = this.reading.then(async () => {
      if (this.stopped) return;
      const h = await this.handle;
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await h.read(buf, 0, buf.length, this.position);
        if (bytesRead === 0) break;
        this.position += bytesRead;
        const text = this.decoder.write(buf.subarray(0, bytesRead));
        if (text) this.emit(text);
      }
    }).catch(() => undefined);
    return this.reading;
  }

  /** A last read, then no more. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
    this.stopped = true;
    await (await this.handle.catch(() => undefined))?.close().catch(() => undefined);
  }
}

export { freePort };

/**
 * The gdbstub QEMU's arguments already ask for (`-s`, `-gdb tcp:HOST:PORT`), or undefined.
 * A non-TCP `-gdb` (unix socket, stdio) cannot be reached by the adapter: an error says so.
 */
export function gdbEndpointInArgs(args: readonly string[]): GdbEndpoint | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-s' || a === '--s') return { host: '127.0.0.1', port: 1234, exposed: exposure(a, 1234) };
    if (a === '-gdb' || a === '--gdb') {
      const spec = args[i + 1] ?? '';
      const m = /^tcp:([^:,]*):(\d+)(?:,.*)?$/.exec(spec);
      if (!m) {
        throw new HyperFrameError('BAD_ARGUMENT', `'-gdb ${spec}' is not tcp:HOST:PORT, which the adapter needs to connect; leave -gdb out and the adapter picks a port`);
      }
      const port = Number(m[2]);
      const everywhere = m[1] === '' || m[1] === '0.0.0.0' || m[1] === '::';
      const host = everywhere || m[1] === 'localhost' ? '127.0.0.1' : m[1];
      return { host, port, ...(everywhere ? { exposed: exposure(`${a} ${spec}`, port) } : {}) };
    }
  }
  return undefined;
}

function exposure(given: string, port: number): string {
  return `'${given}' makes QEMU's gdbstub listen on every network interface: whoever reaches port ${port} can read and write the guest; '-gdb tcp:127.0.0.1:${port}' keeps it to this host (or leave -gdb out: the adapter then picks a local port)`;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/** QEMUs the adapter still owns, and output directories not yet removed. */
const owned = new Set<ChildProcess>();
const outputDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The adapter dying must not leave QEMU behind: its debuggee ends with it (unless released).
  process.once('exit', () => {
    for (const c of owned) c.kill('SIGKILL');
    for (const d of outputDirs) rmSync(d, { recursive: true, force: true });
  });
}

function removeDir(dir: string): void {
  outputDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Spawns QEMU and resolves once the process has started (the gdbstub may not listen yet: see
 * `connectWhenReady`). `output` receives its stdout (the guest's serial console with
 * `-serial stdio`) and stderr as they arrive, until QEMU exits or is released.
 */
export async function spawnQemu(
  qemuPath: string,
  userArgs: readonly string[],
  output: (text: string, category: 'stdout' | 'stderr') => void,
  opts: { ramFile?: boolean } = {},
): Promise<LaunchedQemu> {
  const named = gdbEndpointInArgs(userArgs);
  const gdb = named ?? { host: '127.0.0.1', port: await freePort() };
  const plan = opts.ramFile ? planRamFile(userArgs) : undefined;
  const withRam = plan && 'file' in plan ? plan.args : [...userArgs];
  const args = named ? withRam : [...withRam, '-gdb', `tcp:${gdb.host}:${gdb.port}`];
  const forgetRamFile = (): void => {
    if (plan && 'file' in plan) plan.unlink();
  };

  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'hyperframe-qemu-'));
  outputDirs.add(dir);
  const outPath = join(dir, 'stdout.log');
  const errPath = join(dir, 'stderr.log');
  const outFd = openSync(outPath, 'w');
  const errFd = openSync(errPath, 'w');
  let child: ChildProcess;
  try {
    // Its own session: nothing aimed at the adapter's process group reaches it.
    child = spawn(qemuPath, args, { stdio: ['ignore', outFd, errFd], shell: false, detached: true });
  } finally {
    closeSync(outFd); // the child has its own copies
    closeSync(errFd);
  }
  let stderr = '';
  let exit: string | undefined;
  let released = false;
  const followers = [
    new FileFollower(outPath, (d) => output(d, 'stdout')),
    new FileFollower(errPath, (d) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
      output(d, 'stderr');
    }),
  ];
  const stopFollowing = (): Promise<unknown> => Promise.all(followers.map((f) => f.stop()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      owned.delete(child);
      forgetRamFile();
      // Its last words (an error at start-up) are in before anyone hears that it ended.
      void stopFollowing().then(() => {
        exit = describeExit(code, signal);
        if (!released) removeDir(dir);
        resolve();
      });
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e: NodeJS.ErrnoException) => {
        exit = 'not started';
        reject(
          new HyperFrameError(
            'BAD_ARGUMENT',
            e.code === 'ENOENT'
              ? `'${qemuPath}' not found: install QEMU (Debian: qemu-system-x86) or set 'qemuPath'`
              : `cannot start '${qemuPath}': ${e.message}`,
          ),
        );
      });
    });
  } catch (e) {
    await stopFollowing();
    removeDir(dir);
    forgetRamFile();
    throw e;
  }
  owned.add(child);

  const alive = (): boolean => exit === undefined;
  const terminate = async (graceMs = 3000): Promise<void> => {
    if (!alive()) return exited;
    const wait = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    child.kill('SIGTERM');
    if (await wait(graceMs)) return;
    child.kill('SIGKILL');
    await wait(graceMs);
  };
  const release = (): string => {
    released = true;
    owned.delete(child);
    outputDirs.delete(dir); // QEMU still writes there
    child.unref();
    void stopFollowing();
    return `${outPath} and ${errPath}`;
  };

  return {
    pid: child.pid ?? -1,
    gdb,
    ...(plan && 'file' in plan ? { ramFile: plan.file } : {}),
    ...(plan && 'why' in plan ? { ramFileNote: plan.why } : {}),
    forgetRamFile,
    args,
    alive,
    exitDescription: () => exit,
    stderrTail: () => stderr.trim().split('\n').slice(-8).join('\n'),
    exited,
    terminate,
    release,
  };
}

/**
 * Calls `connect` until the gdbstub accepts (QEMU opens it a moment after starting), failing
 * with QEMU's own words if it exits first, or after `timeoutMs`.
 */
export async function connectWhenReady<T>(qemu: LaunchedQemu, connect: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const died = (): HyperFrameError =>
    new HyperFrameError(
      'TARGET',
      `QEMU ended (${qemu.exitDescription()}) before its gdbstub at ${qemu.gdb.host}:${qemu.gdb.port} accepted a connection` +
        (qemu.stderrTail() ? `: ${qemu.stderrTail()}` : ' (nothing on stderr)'),
    );
  for (;;) {
    if (!qemu.alive()) throw died();
    try {
      return await connect();
    } catch (e) {
      // Refused: not listening yet. Anything else (a stub that answers wrongly) is final.
      const refused = e instanceof HyperFrameError && e.code === 'DISCONNECTED' && /ECONNREFUSED|cannot connect/.test(e.message);
      if (!refused) throw e;
      if (!qemu.alive()) throw died();
      if (Date.now() > deadline) {
        throw new HyperFrameError('TIMEOUT', `QEMU's gdbstub at ${qemu.gdb.host}:${qemu.gdb.port} did not accept a connection within ${timeoutMs} ms`);
      }
    }
    await Promise.race([qemu.exited, new Promise((r) => setTimeout(r, 50))]);
  }
}
