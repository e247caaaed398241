/**
 * readMemory / writeMemory on the long4smp guest, whose two vCPUs map VA 0x40000000 to different
 * frames (0x800000 on CPU 0, 0x900000 on CPU 1). Truth: QEMU's own `xp` through the monitor.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXp } from '../guests/harness';
import { SPLIT_VA } from '../guests/long4smp.expected';
import { b64, liveInspection, type LiveInspection } from './inspect.helpers';

const enc = (bytes: number[]) => Buffer.from(bytes).toString('base64');

describe('memory on long4smp', () => {
  let li: LiveInspection;
  beforeAll(async () => {
    li = await liveInspection('long4smp');
  });
  afterAll(async () => {
    await li?.close();
  });

  const read = async (args: DebugProtocol.ReadMemoryArguments) => (await li.inspection.readMemory(args))!;
  const write = async (args: DebugProtocol.WriteMemoryArguments) => (await li.inspection.writeMemory(args))!;
  const xpBytes = async (pa: bigint, n: number) => {
    const words = parseXp(await li.guest.hmp(`xp /${n}bx 0x${pa.toString(16)}`));
    return words.map(Number);
  };

  it('one VA, two vCPUs, two frames: v0: and v1: read what each CPU maps', async () => {
    const a = [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7];
    const b = [0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7];
    const w0 = await write({ memoryReference: 'p:0x800000', data: enc(a) });
    expect(w0.bytesWritten).toBe(8);
    await write({ memoryReference: 'p:0x900000', data: enc(b) });
    expect(await xpBytes(0x80_0000n, 8)).toEqual(a);
    expect(await xpBytes(0x90_0000n, 8)).toEqual(b);

    const r0 = await read({ memoryReference: `v0:0x${SPLIT_VA.toString(16)}`, count: 8 });
    const r1 = await read({ memoryReference: `v1:0x${SPLIT_VA.toString(16)}`, count: 8 });
    expect([...b64(r0.data!)]).toEqual(a);
    expect([...b64(r1.data!)]).toEqual(b);
    expect(r0.address).toBe('0x40000000');
    expect(r0.unreadableBytes).toBeUndefined();
    // A bare address is virtual under the vCPU in focus.
    li.focus(1);
    expect([...b64((await read({ memoryReference: '0x40000000', count: 8 })).data!)]).toEqual(b);
    li.focus(0);
    expect([...b64((await read({ memoryReference: '0x40000000', count: 8 })).data!)]).toEqual(a);
  });

  it('offset moves the start; the reply names the real first address', async () => {
    const r = await read({ memoryReference: 'p:0x800000', offset: 4, count: 4 });
    expect(r.address).toBe('0x800004');
    expect([...b64(r.data!)]).toEqual([0xa4, 0xa5, 0xa6, 0xa7]);
    const back = await read({ memoryReference: 'v1:0x40000010', offset: -16, count: 2 });
    expect([...b64(back.data!)]).toEqual([0xb0, 0xb1]);
  });

  it('a write through v1: lands in CPU 1 frame only, and reads back', async () => {
    await write({ memoryReference: 'v1:0x40000010', data: enc([0xde, 0xad, 0xbe, 0xef]) });
    expect(await xpBytes(0x90_0010n, 4)).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(await xpBytes(0x80_0010n, 4)).not.toEqual([0xde, 0xad, 0xbe, 0xef]);
    const r = await read({ memoryReference: 'p:0x900010', count: 4 });
    expect([...b64(r.data!)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('an unmapped tail: the readable prefix plus unreadableBytes, never a failure', async () => {
    // The identity run ends at 0x12ffff; 0x130000 is not mapped.
    const r = await read({ memoryReference: 'v0:0x12fff0', count: 0x30 });
    expect(b64(r.data!).length).toBe(0x10);
    expect(r.unreadableBytes).toBe(0x20);
    expect([...b64(r.data!)]).toEqual(await xpBytes(0x12_fff0n, 16));
    // The top of the lower half: 0x800000000000 is not canonical.
    const top = await read({ memoryReference: 'v0:0x7ffffffffff8', count: 16 });
    expect(b64(top.data!).length).toBe(8);
    expect(top.unreadableBytes).toBe(8);
  });

  it('an unmapped start gives no data and the whole count unreadable', async () => {
    const r = await read({ memoryReference: 'v0:0x7fffffffd000', count: 64 });
    expect(r.data).toBe('');
    expect(r.unreadableBytes).toBe(64);
  });

  it('physical reads past RAM read as zeros on QEMU', async () => {
    const r = await read({ memoryReference: 'p:0x10000000', count: 16 });
    expect([...b64(r.data!)]).toEqual(new Array(16).fill(0));
  });

  it('a large read crosses pages and matches xp', async () => {
    const r = await read({ memoryReference: 'v0:0xffffffff80000000', count: 0x2000 });
    expect(b64(r.data!).length).toBe(0x2000);
    expect([...b64(r.data!).subarray(0x1ff8, 0x2008)]).toEqual(await xpBytes(0x10_1ff8n, 8));
    expect([...b64(r.data!).subarray(0, 4)]).toEqual([0x02, 0xb0, 0xad, 0x1b]); // the multiboot magic 0x1badb002
  });

  it('bad references are refused clearly', async () => {
    await expect(read({ memoryReference: 'q:0x10', count: 1 })).rejects.toThrow(/bad memory reference/);
    await expect(read({ memoryReference: 'v7:0x10', count: 1 })).rejects.toThrow(/no vCPU 7/);
  });
});

describe('writes across the end of a mapping on long4', () => {
  // VA 0x1f1000 maps PA 0x301000 (4 KiB); VA 0x1f2000 is not mapped (long4.expected.ts).
  const LAST_PAGE_VA = 0x1f_1000n;
  const LAST_PAGE_PA = 0x30_1000n;
  let li: LiveInspection;
  beforeAll(async () => {
    li = await liveInspection('long4');
  });
  afterAll(async () => {
    await li?.close();
  });

  const xpBytes = async (pa: bigint, n: number) => parseXp(await li.guest.hmp(`xp /${n}bx 0x${pa.toString(16)}`)).map(Number);
  const ramp = (n: number, from: number) => Array.from({ length: n }, (_, i) => (from + i) & 0xff);

  it('allowPartial: the mapped prefix is written and counted, the console says why it stopped', async () => {
    const data = ramp(16, 0x40);
    const w = await li.inspection.writeMemory({ memoryReference: `v0:0x${(LAST_PAGE_VA + 0xff8n).toString(16)}`, data: enc(data), allowPartial: true });
    expect(w).toEqual({ offset: 0, bytesWritten: 8 });
    expect(await xpBytes(LAST_PAGE_PA + 0xff8n, 8)).toEqual(data.slice(0, 8));
    expect(li.logs.at(-1)).toMatch(/^writeMemory v0:0x1f1ff8: 8 of 16 bytes written: .*E14.*\(the first 8 of 16 bytes from 0x1f1ff8 were written\)\n$/);
  });

  it('allowPartial: a write of several packets stops at the page, not at a packet', async () => {
    // 0x1800 bytes from the middle of the page: 0x800 land, in more than one packet.
    const data = ramp(0x1800, 0x11);
    const w = await li.inspection.writeMemory({ memoryReference: `v0:0x${(LAST_PAGE_VA + 0x800n).toString(16)}`, data: enc(data), allowPartial: true });
    expect(w?.bytesWritten).toBe(0x800);
    expect(await xpBytes(LAST_PAGE_PA + 0x800n, 8)).toEqual(data.slice(0, 8));
    expect(await xpBytes(LAST_PAGE_PA + 0xff8n, 8)).toEqual(data.slice(0x7f8, 0x800));
  });

  it('without allowPartial: refused before any byte is written', async () => {
    const before = await xpBytes(LAST_PAGE_PA + 0xff8n, 8);
    const write = li.inspection.writeMemory({ memoryReference: `v0:0x${(LAST_PAGE_VA + 0xff8n).toString(16)}`, data: enc(ramp(16, 0xa0)) });
    await expect(write).rejects.toThrow(/^nothing written: 0x1f2000 in the 16-byte range at 0x1f1ff8 cannot be reached on vCPU 0/);
    expect(await xpBytes(LAST_PAGE_PA + 0xff8n, 8)).toEqual(before);
  });
});
