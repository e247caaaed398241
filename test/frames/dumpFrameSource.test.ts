import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DumpFrameSource } from '../../src/frames/dumpFrameSource';
import { XEN_SAMPLE, xenSampleCore } from '../fixtures/sampleDumps';

describe('dump files in the frame editor', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hf-frames-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('a 4 GiB sparse raw image: reading a screenful costs that screenful, not the file', async () => {
    const path = join(dir, 'sparse.raw');
    const f = await open(path, 'w');
    await f.truncate(4 * 2 ** 30); // a hole: no block is allocated
    await f.write(Buffer.from('HyperFrame'), 0, 10, 0xc000_0000);
    await f.close();
    const src = await DumpFrameSource.open(path);
    expect(src.length).toBe(4 * 2 ** 30);
    const r = await src.read(0xc000_0000n, 1024);
    expect(new TextDecoder().decode(r.data.subarray(0, 10))).toBe('HyperFrame');
    expect(src.bytesRead).toBe(1024);
    await src.read(0xffff_f000n, 8192); // the last page and past the end
    expect(src.bytesRead).toBe(1024 + 4096);
    await src.close();
  });

  it('an ELF core by its magic: its physical addresses, and holes between segments unreadable', async () => {
    const path = join(dir, 'xen.core');
    await writeFile(path, xenSampleCore());
    const src = await DumpFrameSource.open(path);
    expect([src.start, src.length]).toEqual([0n, XEN_SAMPLE.ramBytes]);
    const r = await src.read(0x200000n, 32);
    expect(new TextDecoder().decode(r.data)).toBe('HyperFrame sample: Xen text page');
    const tail = await src.read(BigInt(XEN_SAMPLE.ramBytes) - 16n, 64);
    expect([tail.data.length, tail.unreadable]).toEqual([16, 48]);
    expect(src.readOnlyReason()).toMatch(/read-only/);
    await src.close();
  });
});
