/**
 * Starts QEMU for a `launch` configuration: no shell, a gdbstub on a free local port unless the
 * arguments name one, its output streamed to the caller, and a way to end it that never leaves a
 * stray process behind (quit, then SIGTERM, then SIGKILL; and SIGKILL if the adapter itself exits).
 */
import { freePort } from '../util/net';
import { spawn, type ChildProcess } from 'node:child_process';
import { HyperFrameError } from '../util/errors';

export interface GdbEndpoint {
  host: string;
  port: number;
}

export interface LaunchedQemu {
  readonly pid: number;
  readonly gdb: GdbEndpoint;
  /** The full argument list QEMU was started with. */
  readonly args: readonly string[];
  alive(): boolean;
  /** How it ended, once it has ("exit code 1", "signal SIGKILL"). */
  exitDescription(): string | undefined;
  /** The last lines QEMU wrote to stderr. */
  stderrTail(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** Ends QEMU: SIGTERM (QEMU shuts down cleanly on it), SIGKILL if it lingers. */
  terminate(graceMs?: number): Promise<void>;
}

const STDERR_KEEP = 4000;

export { freePort };

/**
 * The gdbstub QEMU's arguments already ask for (`-s`, `-gdb tcp:HOST:PORT`), or undefined.
 * A non-TCP `-gdb` (unix socket, stdio) cannot be reached by the adapter: an error says so.
 */
export function gdbEndpointInArgs(args: readonly string[]): GdbEndpoint | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-s' || a === '--s') return { host: '127.0.0.1', port: 1234 };
    if (a === '-gdb' || a === '--gdb') {
      const spec = args[i + 1] ?? '';
      const m = /^tcp:([^:,]*):(\d+)(?:,.*)?$/.exec(spec);
      if (!m) {
        throw new HyperFrameError('BAD_ARGUMENT', `'-gdb ${spec}' is not tcp:HOST:PORT, which the adapter needs to connect; leave -gdb out and the adapter picks a port`);
      }
      const host = m[1] === '' || m[1] === '0.0.0.0' || m[1] === 'localhost' ? '127.0.0.1' : m[1];
      return { host, port: Number(m[2]) };
    }
  }
  return undefined;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The adapter dying must not leave QEMU behind: its debuggee ends with it.
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

/**
 * Spawns QEMU and resolves once the process has started (the gdbstub may not listen yet: see
 * `connectWhenReady`). `output` receives its stdout (the guest's serial console with
 * `-serial stdio`) and stderr as they arrive.
 */
export async function spawnQemu(
  qemuPath: string,
  userArgs: readonly string[],
  output: (text: string, category: 'stdout' | 'stderr') => void,
): Promise<LaunchedQemu> {
  const named = gdbEndpointInArgs(userArgs);
  const gdb = named ?? { host: '127.0.0.1', port: await freePort() };
  const args = named ? [...userArgs] : [...userArgs, '-gdb', `tcp:${gdb.host}:${gdb.port}`];

  const child = spawn(qemuPath, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  let stderr = '';
  let exit: string | undefined;
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => output(d, 'stdout'));
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-STDERR_KEEP);
    output(d, 'stderr');
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = describeExit(code, signal);
      resolve();
    });
  });

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) => {
      exit ??= 'not started';
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
  track(child);

  const alive = (): boolean => exit === undefined;
  const terminate = async (graceMs = 3000): Promise<void> => {
    if (!alive()) return;
    const wait = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    child.kill('SIGTERM');
    if (await wait(graceMs)) return;
    child.kill('SIGKILL');
    await wait(graceMs);
  };

  return {
    pid: child.pid ?? -1,
    gdb,
    args,
    alive,
    exitDescription: () => exit,
    stderrTail: () => stderr.trim().split('\n').slice(-8).join('\n'),
    exited,
    terminate,
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
