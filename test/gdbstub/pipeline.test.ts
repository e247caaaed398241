/**
 * Pipelined memory reads under transmission faults QEMU itself never makes on a TCP socket (a
 * NAK, a corrupt answer, stray bytes between answers), against the FAKE stub (fakeStub.ts): the
 * bytes must stay right whatever happens, or the read must fail; never wrong bytes. Real QEMU
 * answering pipelined reads is covered in qemu.integration.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GdbClient, type GdbClientOptions } from '../../src/gdbstub/client';
import { fakeClients, type FakeHandler, type FakeStub, frame } from './fakeStub';

const fake = fakeClients();
afterEach(fake.cleanup);

/** Byte at physical address a: a hash of it, so that a shifted or swapped answer shows. */
const byteAt = (a: number): number => (Math.imul(a, 0x9e3779b1) >>> 24) & 0xff;
const memHex = (a: number, n: number): string => Array.from({ length: n }, (_, i) => byteAt(a + i).toString(16).padStart(2, '0')).join('');

/** Shaped like QEMU: qqemu.Supported has PhyMemMode, m up to 0x800, qC answers QC. */
function qemuLike(onRead?: OnRead): FakeHandler {
  return (p, s) => {
    if (p.startsWith('qSupported')) return 'PacketSize=1000;multiprocess+';
    if (p === 'qqemu.Supported') return 'sstepbits;sstep;PhyMemMode';
    if (p.startsWith('Qqemu.PhyMemMode:') || p === 'D;1') return 'OK';
    if (p === '?') return 'T05thread:p01.01;';
    if (p === 'qC') return 'QCp01.01';
    if (p === 'g') return '00'.repeat(608);
    if (p.startsWith('m')) {
      const [a, l] = p.slice(1).split(',').map((x) => parseInt(x, 16));
      if (l > 0x800) return 'E22';
      return onRead?.(a, s) || memHex(a, l);
    }
    return '';
  };
}

async function open(handler: FakeHandler, options: GdbClientOptions = {}): Promise<[FakeStub, GdbClient]> {
  const [s, c] = await fake.open(handler, options);
  await c.readPhysical(0n, 0x800); // the chunk size is confirmed: later reads pipeline
  return [s, c];
}

const BASE = 0x10000;
const BYTES = 0x10000; // 32 reads of 0x800

type OnRead = (addr: number, stub: FakeStub) => string | { raw: string } | undefined | void;

/** Does `action` (a fault) once, at the `chunk`-th read of the test's range. */
function once(chunk: number, action: OnRead): OnRead {
  let armed = true;
  return (a, s) => {
    if (!armed || a !== BASE + chunk * 0x800) return undefined;
    armed = false;
    return action(a, s);
  };
}

async function readAndCheck(c: GdbClient): Promise<void> {
  const data = await c.readPhysical(BigInt(BASE), BYTES);
  expect(Buffer.from(data).toString('hex')).toBe(memHex(BASE, BYTES));
}

describe('pipelined reads (QEMU-like stub)', () => {
  it('sends up to the depth back to back and gets every byte right', async () => {
    const [s, c] = await open(qemuLike());
    await readAndCheck(c);
    expect(c.counters.maxInFlight).toBe(16);
    expect(s.received.filter((p) => p.startsWith('m')).length).toBe(1 + 32);
    expect(c.counters.resyncs).toBe(0);
  });

  it('a stub without physical mode (not QEMU) gets one request at a time', async () => {
    const [s, c] = await open(qemuLike(), {});
    const plain = await GdbClient.connect('127.0.0.1', s.port, { pipelineDepth: 1 });
    try {
      await plain.readPhysical(BigInt(BASE), BYTES);
      expect(plain.counters.maxInFlight).toBe(1);
    } finally {
      plain.connection.close();
    }
    expect(c.connection.pipelineDepth).toBe(16);
  });

  it('a NAKed read is sent again and answered after the reads the stub took meanwhile', async () => {
    // The packet after the fifth read is refused.
    const [s, c] = await open(qemuLike(once(4, (_, st) => void (st.nakNext = 1))));
    await readAndCheck(c);
    expect(c.counters.retransmits).toBe(1);
    expect(s.received.filter((p) => p === `m${(BASE + 5 * 0x800).toString(16)},800`)).toHaveLength(2);
    expect(c.counters.resyncs).toBe(0);
  });

  it('a corrupt answer among several: taken, then every outstanding read again after a qC barrier', async () => {
    const [s, c] = await open(qemuLike(once(3, (_, st) => void (st.corruptNext = 1))));
    await readAndCheck(c);
    expect(c.counters.badPackets).toBe(1);
    expect(c.counters.resyncs).toBe(1);
    expect(s.received.filter((p) => p === 'qC')).toHaveLength(1);
    expect(s.naksFromClient).toBe(0); // a NAK would have the stub resend its latest answer, not that one
    expect(c.connection.pipelineDepth).toBe(1);
    await readAndCheck(c); // and on, one at a time
  });

  it('stray bytes between answers: the same resync', async () => {
    const [, c] = await open(qemuLike(once(6, (a) => ({ raw: `junk${frame(memHex(a, 0x800))}` }))));
    await readAndCheck(c);
    expect(c.counters.garbageBytes).toBeGreaterThan(0);
    expect(c.counters.resyncs).toBe(1);
  });

  it('an answer of the wrong shape (mixed-up answers) is never taken for data', async () => {
    // Longer than asked: not an answer to this read.
    const [, c] = await open(qemuLike(once(2, (a) => memHex(a, 0x900))));
    await readAndCheck(c);
    expect(c.counters.resyncs).toBe(1);
  });
});
