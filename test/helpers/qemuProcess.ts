/**
 * A minimal QEMU launcher for gdbstub integration tests: no kernel (the BIOS is enough), a gdb
 * port on 127.0.0.1 picked by binding port 0 first (retried if QEMU loses the race for it), and an
 * HMP monitor on a unix socket so tests can ask QEMU things a gdb client cannot (VM status after
 * detach; QEMU allows only one gdb client at a time).
 */
import { freePort } from '../../src/util/net';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface QemuOptions {
  smp?: number;
  memoryMiB?: number;
  /** Start with the CPUs stopped (-S). Default true. */
  paused?: boolean;
  extraArgs?: string[];
}

export interface QemuInstance {
  gdbPort: number;
  process: ChildProcess;
  /** Runs an HMP command and returns its output (prompt and echo removed). */
  hmp(command: string): Promise<string>;
  stop(): Promise<void>;
}

export { freePort };

export async function startQemu(options: QemuOptions = {}): Promise<QemuInstance> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await launch(options, await freePort());
    } catch (e) {
      lastError = e; // most likely another process took the port between bind and spawn
    }
  }
  throw lastError;
}

async function launch(options: QemuOptions, gdbPort: number): Promise<QemuInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'hf-qemu-'));
  const monitorPath = join(dir, 'monitor.sock');
  const args = [
    '-accel', 'tcg', '-display', 'none', '-nodefaults',
    '-m', String(options.memoryMiB ?? 64), '-smp', String(options.smp ?? 2),
    '-gdb', `tcp:127.0.0.1:${gdbPort}`,
    '-monitor', `unix:${monitorPath},server=on,wait=off`,
    ...(options.paused === false ? [] : ['-S']),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`qemu exited (${code}) before it was ready: ${stderr.trim()}`))),
  );
  exited.catch(() => undefined);
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    // The HMP banner comes from QEMU's main loop, which starts after the gdb port is listening.
    const monitor = await Promise.race([openMonitor(monitorPath), exited]);
    const stop = async (): Promise<void> => {
      monitor.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await gone;
        clearTimeout(timer);
      }
      cleanup();
    };
    return { gdbPort, process: child, hmp: (command) => hmpCommand(monitor, command), stop };
  } catch (e) {
    child.kill('SIGKILL');
    cleanup();
    throw e;
  }
}

const PROMPT = '(qemu) ';

async function openMonitor(path: string): Promise<net.Socket> {
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
      await readUntilPrompt(socket);
      return socket;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function readUntilPrompt(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error('no HMP prompt within 10 s')), 10_000);
    const onData = (d: Buffer): void => {
      text += d.toString('utf8');
      if (text.endsWith(PROMPT)) done();
    };
    const done = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (err) reject(err);
      else resolve(text.slice(0, -PROMPT.length));
    };
    socket.on('data', onData);
  });
}

async function hmpCommand(monitor: net.Socket, command: string): Promise<string> {
  const reply = readUntilPrompt(monitor);
  monitor.write(command + '\n');
  // HMP echoes the line with cursor-movement escapes; the output follows the first CR LF.
  // eslint-disable-next-line no-control-regex -- the escapes start with ESC
  const text = (await reply).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  const start = text.indexOf('\r\n');
  return (start >= 0 ? text.slice(start + 2) : text).replace(/\r\n/g, '\n').trim();
}
