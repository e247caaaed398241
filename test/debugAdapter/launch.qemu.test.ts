/**
 * `launch` with QEMU: the adapter starts qemu-system-x86_64 itself (no shell, a gdbstub on a port
 * it picks), streams QEMU's output to the Debug Console, and ends QEMU with the session (leaving it
 * running is tested with the built adapter, session.built.test.ts: only a separate adapter process
 * shows whether QEMU outlives it). QEMU that exits at once is reported with its own words; a CPU
 * at its reset vector shows real mode's linear pc.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGuest } from '../guests/harness';
import { connectClient } from './session.harness';
import { alive, gone } from '../helpers/processes';

const QEMU = process.env.HF_QEMU ?? 'qemu-system-x86_64';

const guestArgs = (elf: string): string[] => [
  '-accel', 'tcg', '-display', 'none', '-nodefaults', '-no-reboot', '-serial', 'stdio',
  '-m', '64', '-cpu', 'qemu64,+pdpe1gb', '-kernel', elf,
];

/** The local addresses of the TCP sockets listening on `port` (from /proc/net/tcp and tcp6). */
function listeningAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A: LISTEN
      const [addr, p] = local.split(':');
      if (parseInt(p, 16) !== port) continue;
      // IPv4 is written as a little-endian 32-bit hex word.
      out.push(addr.length === 8 ? [3, 2, 1, 0].map((i) => parseInt(addr.slice(i * 2, i * 2 + 2), 16)).join('.') : `ipv6 ${addr}`);
    }
  }
  return out;
}

describe('launch QEMU', () => {
  let elf: string;
  let dir: string;
  beforeAll(async () => {
    elf = await buildGuest('long4');
    dir = await mkdtemp(join(tmpdir(), 'hf-launch-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('boots a guest ELF, streams its serial output to the console, and ends QEMU at disconnect', async () => {
    const c = await connectClient();
    try {
      const processEvent = c.event<DebugProtocol.ProcessEvent>('process', 15_000);
      await c.start('launch', { qemuPath: QEMU, args: guestArgs(elf), stopOnAttach: false }, false);
      const pid = (await processEvent).body.systemProcessId ?? -1;
      expect(alive(pid)).toBe(true);
      const gdbPort = Number(/started .*qemu-system-x86_64 \(pid \d+\), gdbstub on 127\.0\.0\.1:(\d+)/.exec(c.consoleText())?.[1]);
      // Nothing listens beyond loopback: the kernel's own table of listening sockets says so.
      expect(listeningAddresses(gdbPort)).toEqual(['127.0.0.1']);
      expect(c.consoleText()).not.toMatch(/every network interface/);
      // Guest RAM in a shared file the adapter reads directly; its name is gone once both have it open.
      // The size is what QEMU's flat memory map gives RAM at attach: 64 MiB, or less while the
      // firmware still shadows its ROM below 1 MiB (an attach early in boot on a loaded machine).
      const ramFile = /physical memory: QEMU guest RAM via shared file (\S+) \(hyperframe-ram (64|63\.\d) MiB\)/.exec(c.consoleText());
      expect(ramFile, c.consoleText()).not.toBeNull();
      expect(existsSync(ramFile![1])).toBe(false);
      const end = Date.now() + 15_000;
      while (!c.output.some((o) => o.category === 'stdout' && o.text.includes('HF-GUEST-READY long4')) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(c.output.filter((o) => o.category === 'stdout').map((o) => o.text).join('')).toContain('HF-GUEST-READY long4\n');
      const stop = await c.runTo(() => c.dc.pauseRequest({ threadId: 1 }));
      expect(stop.body.reason).toBe('pause');
      expect(await c.pc(1)).toBe(0xffff_ffff_8000_0012n);
      await c.disconnect();
      expect(await gone(pid)).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('at the reset vector (-S, real mode): pc is CS.base + IP, and a step follows the far jump', async () => {
    const c = await connectClient();
    try {
      const stop = await c.start('launch', { qemuPath: QEMU, args: ['-accel', 'tcg', '-display', 'none', '-nodefaults', '-S', '-m', '64'] });
      expect(stop?.body).toMatchObject({ reason: 'entry', threadId: 1 });
      // CS = f000 with its reset base 0xffff0000 (not f000 × 16), IP = 0xfff0.
      const [frame] = await c.frames(1);
      expect(frame.instructionPointerReference).toBe('v0:0xfffffff0');
      const dis = (await c.dc.customRequest('disassemble', { memoryReference: frame.instructionPointerReference, instructionCount: 1 })) as DebugProtocol.DisassembleResponse;
      expect(dis.body?.instructions[0].instruction).toMatch(/jmp/i);
      // `next` decodes the far jump at the linear pc (not a call: one step), which lands at f000:e05b.
      const stepped = await c.runTo(() => c.dc.nextRequest({ threadId: 1 }));
      expect(stepped.body).toMatchObject({ reason: 'step', threadId: 1 });
      expect(await c.pc(1)).toBe(0xfe05bn);
      await c.disconnect();
    } finally {
      await c.close();
    }
  });

  it('reports QEMU exiting at once with its stderr', async () => {
    const c = await connectClient();
    try {
      await c.dc.initializeRequest({ adapterID: 'hyperframe', pathFormat: 'path' });
      const started = Date.now();
      await expect(c.dc.launchRequest({ qemuPath: QEMU, args: ['-machine', 'no-such-machine', '-display', 'none'] } as never)).rejects.toThrow(
        /QEMU ended \(exit code 1\) before its gdbstub at 127\.0\.0\.1:\d+ accepted a connection: qemu-system-x86_64: unsupported machine type/,
      );
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await c.close();
    }
  });

  it('refuses a QEMU that is not there, and a -gdb it cannot reach', async () => {
    const c = await connectClient();
    try {
      await c.dc.initializeRequest({ adapterID: 'hyperframe', pathFormat: 'path' });
      const missing = join(dir, 'no-qemu-here');
      expect(existsSync(missing)).toBe(false);
      await expect(c.dc.launchRequest({ qemuPath: missing, args: [] } as never)).rejects.toThrow(/'.*no-qemu-here' not found: install QEMU/);
      await expect(c.dc.launchRequest({ args: ['-gdb', 'unix:/tmp/gdb.sock'] } as never)).rejects.toThrow(/'-gdb unix:\/tmp\/gdb\.sock' is not tcp:HOST:PORT/);
      await expect(c.dc.launchRequest({} as never)).rejects.toThrow(/launch needs 'core' \(an ELF core\), 'raw' \(a memory image\) or 'args' for QEMU/);
      await expect(c.dc.launchRequest({ core: '/x.core', args: [] } as never)).rejects.toThrow(/launch takes one of 'core', 'raw' or 'qemuPath'\/'args', not core and qemuPath\/args/);
    } finally {
      await c.close();
    }
  });
});

