/**
 * `launch` with a dump: the sample Xen ELF core opened offline. Threads and the call stack come
 * from its vCPU notes; anything that would run the machine is refused in one sentence.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
