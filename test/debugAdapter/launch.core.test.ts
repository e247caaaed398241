/**
 * `launch` with a dump: the sample Xen ELF core opened offline. Threads and the call stack come
 * from its vCPU notes; anything that would run the machine is refused in one sentence.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xenSampleCore } from '../fixtures/sampleDumps';
import { connectClient, type Client } from './session.harness';

const SNAPSHOT = /a dump is a snapshot: it cannot run, step or pause/;

describe('launch with an ELF core', () => {
  let dir: string;
  let core: string;
  let c: Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hf-core-'));
    core = join(dir, 'xen.core');
    await writeFile(core, xenSampleCore());
    c = await connectClient();
  });
  afterAll(async () => {
    await c?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops at entry with the core vCPUs as threads and frame 0 at the saved rip', async () => {
    const stop = await c.start('launch', { core, stopOnAttach: false });
    expect(stop?.body).toMatchObject({ reason: 'entry', threadId: 1 });
    expect(await c.threads()).toEqual([{ id: 1, name: 'CPU 0' }]);
    const frames = await c.frames(1);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ name: '0xffff82d040000000', instructionPointerReference: 'v0:0xffff82d040000000', presentationHint: 'normal' });
    expect(c.consoleText()).toMatch(/xen\.core/);
  });

  it('refuses to continue, step or pause: a dump is a snapshot', async () => {
    await expect(c.dc.continueRequest({ threadId: 1 })).rejects.toThrow(SNAPSHOT);
    await expect(c.dc.nextRequest({ threadId: 1 })).rejects.toThrow(SNAPSHOT);
    await expect(c.dc.stepInRequest({ threadId: 1 })).rejects.toThrow(SNAPSHOT);
    await expect(c.dc.stepOutRequest({ threadId: 1 })).rejects.toThrow(SNAPSHOT);
    await expect(c.dc.pauseRequest({ threadId: 1 })).rejects.toThrow(SNAPSHOT);
  });

  it('answers breakpoints as unverified, with the reason', async () => {
    const [bp] = await c.setInstructionBreakpoints([{ instructionReference: '0xffff82d040000000' }]);
    expect(bp).toMatchObject({ verified: false, message: 'a dump is a snapshot: it cannot stop at breakpoints' });
    const info = await c.dc.dataBreakpointInfoRequest({ name: '0xffff830000001000', asAddress: true });
    expect(info.body.dataId).toBeNull();
  });

  it('disconnects without complaint', async () => {
    await c.disconnect();
    expect(c.consoleText()).not.toMatch(/while detaching/);
  });
});

describe('launch with a raw image: it says why there are no registers and no call stack', () => {
  let dir: string;
  let raw: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hf-raw-'));
    raw = join(dir, 'mem.raw');
    // A 32-bit page directory at 0x1000, a page table at 0x2000 mapping VA 0x5000 to 0x345000.
    const img = new Uint8Array(0x3000);
    const dv = new DataView(img.buffer);
    dv.setUint32(0x1000, 0x2007, true);
    dv.setUint32(0x2000 + 5 * 4, 0x345001, true);
    await writeFile(raw, img);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  /** The only frame and the Variables view it opens onto, as names and values. */
  async function stackAndVariables(c: Client): Promise<{ frames: DebugProtocol.StackFrame[]; vars: Map<string, string> }> {
    const frames = await c.frames(1);
    const { scopes } = (await c.dc.scopesRequest({ frameId: frames[0].id })).body;
    expect(scopes.map((s) => s.name)).toEqual(['Raw image']);
    const { variables } = (await c.dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body;
    return { frames, vars: new Map(variables.map((v) => [v.name, v.value])) };
  }

  it('without pagingMode and root: the console, the frame and the Variables view say what to give', async () => {
    const c = await connectClient();
    try {
      await c.start('launch', { raw });
      const note = 'a raw image has no registers: give pagingMode and root in the launch configuration to translate virtual addresses';
      expect(c.consoleText()).toContain(note);
      expect(await c.threads()).toEqual([{ id: 1, name: 'memory image (no vCPU registers)' }]);
      const { frames, vars } = await stackAndVariables(c);
      expect(frames).toHaveLength(1);
      expect(frames[0].name).toBe('no registers: a raw image holds memory only (see Variables)');
      expect(vars.get('registers')).toContain(note);
      expect(vars.get('image')).toMatch(/^raw image mem\.raw/);
      // The console's translate says the same; physical memory reads.
      const t = await c.dc.evaluateRequest({ expression: 'translate 0x5000', context: 'repl', frameId: frames[0].id });
      expect(t.body.result).toBe(`${note}; physical memory reads as it is (phys PA in the Debug Console)`);
      const p = await c.dc.evaluateRequest({ expression: 'phys 0x2014 4', context: 'repl', frameId: frames[0].id });
      expect(p.body.result).toMatch(/^0x0000000000002014 {2}01 50 34 00/);
    } finally {
      await c.disconnect().catch(() => undefined);
      await c.close();
    }
  });

  it('with pagingMode and root: the note names the address space, and translate walks the image\'s tables', async () => {
    const c = await connectClient();
    try {
      await c.start('launch', { raw, pagingMode: 'legacy32', root: '0x1000' });
      expect(c.consoleText()).toContain('a raw image has no registers: virtual addresses translate through legacy32, root 0x1000');
      const { frames, vars } = await stackAndVariables(c);
      expect([vars.get('pagingMode'), vars.get('root')]).toEqual(['legacy32', '0x0000000000001000']);
      const t = await c.dc.evaluateRequest({ expression: 'translate 0x5abc', context: 'repl', frameId: frames[0].id });
      expect(t.body.result).toContain('PA 0x345abc');
    } finally {
      await c.disconnect().catch(() => undefined);
      await c.close();
    }
  });
});

describe('launch with a dump: configuration errors', () => {
  let c: Client;
  beforeAll(async () => {
    c = await connectClient();
    await c.dc.initializeRequest({ adapterID: 'hyperframe', pathFormat: 'path' });
  });
  afterAll(async () => c?.close());

  it('names the missing file', async () => {
    await expect(c.dc.launchRequest({ core: '/nonexistent/dir/guest.core' } as never)).rejects.toThrow(/guest\.core/);
  });

  it('refuses base without raw, and physicalMemory for a dump', async () => {
    await expect(c.dc.launchRequest({ core: '/x.core', base: '0x1000' } as never)).rejects.toThrow(/'base' applies to a 'raw' image only/);
    await expect(c.dc.launchRequest({ core: '/x.core', physicalMemory: 'qemu' } as never)).rejects.toThrow(/'physicalMemory' applies to live targets/);
  });

  it('needs a root for pagingMode on an image without registers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hf-raw-'));
    try {
      const raw = join(dir, 'mem.raw');
      await writeFile(raw, new Uint8Array(0x4000));
      await expect(c.dc.launchRequest({ raw, pagingMode: 'long4' } as never)).rejects.toThrow(/'pagingMode' long4 on an image without registers needs a 'root'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
