/**
 * The client facade against FAKE stubs shaped like the ones QEMU is not: Xen's and gdbsx's
 * (no qSupported, no target description, no Z), one with a small `m` cap, one with binary X and
 * no-ack mode, plus QEMU-like physical-mode batching under concurrency. Real QEMU behaviour is
 * covered by qemu.integration.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GdbClient, GdbClientOptions } from '../../src/gdbstub/client';
import { DEAF_STUB_HINT } from '../../src/gdbstub/runControl';
import { fakeClients, FakeHandler, FakeStub, le } from './fakeStub';

const fake = fakeClients();
afterEach(fake.cleanup);
const open = (handler: FakeHandler, options: GdbClientOptions = {}): Promise<[FakeStub, GdbClient]> => fake.open(handler, options);

/** Memory contents of the fakes: byte at a = low byte of a (virtual) or of a ^ 0x5a (physical). */
const byteAt = (addr: number, physical = false): number => (physical ? addr ^ 0x5a : addr) & 0xff;
const memHex = (addr: number, len: number, physical = false): string =>
  Array.from({ length: len }, (_, i) => byteAt(addr + i, physical).toString(16).padStart(2, '0')).join('');

function parseM(p: string): [number, number] {
  const [a, l] = p.slice(1).split(',');
  return [parseInt(a, 16), parseInt(l, 16)];
}

const XEN_REGS = le(0xaaaan, 8) + '00'.repeat(8 * 15) + le(0xffff82d040200000n, 8) + le(0x246n, 4) + le(0xe008n, 4) + '00'.repeat(20);

/** Like Xen's own stub: no qSupported, no p, no Z, one byte per memory read. */
const xenLike: FakeHandler = (p) => {
  if (p === '?') return 'S05';
  if (p === 'g') return XEN_REGS;
  if (p === 'D') return 'OK';
  if (p === 'c') return 'S05';
  if (p.startsWith('m')) return memHex(parseM(p)[0], 1);
  return '';
};

describe('a stub without target description (Xen-like)', () => {
  it('falls back to the amd64 layout by g length and reads registers by name', async () => {
    const [s, c] = await open(xenLike);
    expect(c.features).toMatchObject({ multiprocess: false, targetDescription: false, phyMemMode: false });
    expect(c.registerLayout.source).toBe('fallback amd64 (164-byte g)');
    expect(c.lastStop).toMatchObject({ kind: 'signal', signal: 5 });
    expect(await c.readRegister('rip')).toBe(0xffff82d040200000n); // p is empty: taken from g
    expect(await c.readRegister('RAX')).toBe(0xaaaan);
    const all = await c.readRegisters();
    expect(all.get('eflags')).toBe(0x246n);
    expect(all.get('cs')).toBe(0xe008n);
    expect(s.received.filter((p) => p.startsWith('p'))).toEqual(['p10']); // asked once, then remembered
  });

  it('reads memory from a stub that returns one byte per m', async () => {
    const [s, c] = await open(xenLike);
    const before = s.received.length;
    expect(await c.readMemory(0x1000n, 4)).toEqual(new Uint8Array([0, 1, 2, 3]));
    expect(s.received.length - before).toBe(4);
  });

  it('says which breakpoint kind the stub lacks', async () => {
    const [, c] = await open(xenLike);
    await expect(c.insertBreakpoint('hardware', 0x1000n)).rejects.toMatchObject({
      code: 'TARGET',
      message: 'this stub does not support hardware breakpoints (Z1)',
    });
    await expect(c.insertBreakpoint('write', 0x1000n, 8)).rejects.toThrow('this stub does not support write watchpoints (Z2)');
    expect(c.breakpoints()).toEqual([]);
  });

  it('resumes with c when vCont? is empty, and detaches with plain D', async () => {
    const [s, c] = await open(xenLike);
    expect(await c.resume()).toMatchObject({ signal: 5 });
    expect(s.received.slice(-2)).toEqual(['vCont?', 'c']);
    await c.detach();
    expect(s.received.at(-1)).toBe('D');
    expect(c.connection.closed).toBe(true);
  });

  it('has no physical mode', async () => {
    const [, c] = await open(xenLike);
    await expect(c.readPhysical(0n, 8)).rejects.toMatchObject({ code: 'TARGET', message: expect.stringMatching(/PhyMemMode/) });
    expect(() => c.physMem()).toThrow(/physical-memory mode/);
  });

  it('takes a 64-byte g as i386 (gdbsx with a 32-bit guest)', async () => {
    const [, c] = await open((p, st) => (p === 'g' ? le(0x11n, 4) + '00'.repeat(28) + le(0xc0100000n, 4) + '00'.repeat(28) : xenLike(p, st)));
    expect(c.registerLayout.architecture).toBe('i386');
    expect(await c.readRegister('eip')).toBe(0xc0100000n);
    expect(await c.readRegister('eax')).toBe(0x11n);
  });
});

describe('run control (faults QEMU does not produce: a refused resume, a lost or ignored interrupt)', () => {
  it('rejects a resume the stub refuses, and counts as stopped again', async () => {
    const [, c] = await open((p, st) => (p === 'vCont?' ? 'vCont;c;s' : p === 'vCont;c' ? 'E22' : xenLike(p, st)));
    await expect(c.resume()).rejects.toMatchObject({ code: 'TARGET', errno: 0x22, message: expect.stringMatching(/resuming \(vCont;c\): E22/) });
    expect(c.running).toBe(false);
    expect(await c.readRegister('rip')).toBe(0xffff82d040200000n);
  });

  it('sends the interrupt again until the target stops', async () => {
    let ignored = 0;
    const [s, c] = await open((p, st) => {
      if (p === 'c') return null;
      if (p === '\x03') return ignored++ < 2 ? null : 'S02';
      return xenLike(p, st);
    });
    const resumed = c.resume();
    expect(c.running).toBe(true);
    expect(await c.interruptAndWait(5000)).toMatchObject({ kind: 'signal', signal: 2 });
    expect(await resumed).toMatchObject({ signal: 2 });
    expect(s.interrupts).toBeGreaterThanOrEqual(3);
    expect(c.running).toBe(false);
  });

  it('gives up waiting after its time, the resume still pending; detach is bounded the same way', async () => {
    const [, c] = await open((p, st) => (p === 'c' || p === '\x03' ? null : xenLike(p, st)), { timeoutMs: 300 });
    const resumed = c.resume();
    resumed.catch(() => undefined);
    const started = Date.now();
    await expect(c.interruptAndWait(300)).rejects.toMatchObject({ code: 'TIMEOUT', message: `the target did not stop within 300 ms of an interrupt — ${DEAF_STUB_HINT}` });
    expect(c.running).toBe(true);
    await expect(c.detach()).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(c.connection.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(resumed).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('a stub that announced features and still did not stop: the plain timeout, no word about deaf stubs', async () => {
    const [, c] = await open((p, st) => (p.startsWith('qSupported') ? 'PacketSize=1000;vContSupported+' : p === 'c' || p === '\x03' ? null : xenLike(p, st)), { timeoutMs: 300 });
    const resumed = c.resume();
    resumed.catch(() => undefined);
    await expect(c.interruptAndWait(300)).rejects.toMatchObject({ code: 'TIMEOUT', message: 'the target did not stop within 300 ms of an interrupt' });
    await expect(c.detach()).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('memory chunking', () => {
  /** PacketSize 0x1000 (so the first guess is 0x800) but m capped at 0x100; unmapped from 1 MiB. */
  const capped: FakeHandler = (p) => {
    if (p.startsWith('qSupported')) return 'PacketSize=1000';
    if (p === '?') return 'S05';
    if (p === 'g') return XEN_REGS;
    if (p.startsWith('m')) {
      const [a, l] = parseM(p);
      if (l > 0x100) return 'E22';
      if (a + l > 0x100000) return 'E14';
      return memHex(a, l);
    }
    return '';
  };

  it('learns the cap from refusals and keeps the data right', async () => {
    const [s, c] = await open(capped);
    expect(c.memoryChunking).toEqual({ readChunkBytes: 0x800, learnedCap: undefined });
    const data = await c.readMemory(0x2000n, 0x1000);
    expect(Buffer.from(data).toString('hex')).toBe(memHex(0x2000, 0x1000));
    expect(c.memoryChunking).toEqual({ readChunkBytes: 0x100, learnedCap: 0x100 });
    const before = s.received.length;
    await c.readMemory(0x4000n, 0x1000);
    expect(s.received.length - before).toBe(16);
  });

  it('fails an unreadable address fast: two packets before the cap is known, one after', async () => {
    const [s, c] = await open(capped);
    let before = s.received.length;
    await expect(c.readMemory(0x200000n, 0x800)).rejects.toMatchObject({ code: 'TARGET', errno: 0x14 });
    expect(s.received.slice(before)).toEqual(['m200000,800', 'm200000,1']);
    await c.readMemory(0n, 0x100);
    before = s.received.length;
    await expect(c.readMemory(0x200000n, 0x10)).rejects.toMatchObject({ code: 'TARGET', errno: 0x14 });
    expect(s.received.length - before).toBe(1);
  });

  it('uses binary X when the stub takes it, escaping # $ } *', async () => {
    const written: string[] = [];
    const [s, c] = await open((p, st) => {
      if (p.startsWith('X')) {
        written.push(p.slice(p.indexOf(':') + 1));
        return 'OK';
      }
      return capped(p, st);
    });
    const data = new Uint8Array([0x23, 0x24, 0x7d, 0x2a, 0x00, 0x03, 0xff]);
    await c.writeMemory(0x1000n, data);
    expect(s.received.filter((p) => p.startsWith('X')).map((p) => p.slice(0, p.indexOf(':')))).toEqual(['X1000,0', 'X1000,7']);
    expect(written[1]).toBe(Buffer.from(data).toString('latin1'));
  });

  it('falls back to M when a zero-length X is not understood, splitting by PacketSize', async () => {
    const [s, c] = await open((p, st) => (p.startsWith('M') ? 'OK' : capped(p, st)));
    await c.writeMemory(0x1000n, new Uint8Array(3000).fill(0xab));
    const m = s.received.filter((p) => p.startsWith('M') || p.startsWith('X')).map((p) => p.slice(0, p.indexOf(':')));
    expect(m).toEqual(['X1000,0', 'M1000,7f0', 'M17f0,3c8']); // (0x1000 - 32) / 2 = 0x7f0 bytes
  });
});

describe('negotiation', () => {
  const XML_ROOT = '<target><architecture>i386:x86-64</architecture><xi:include href="regs.xml"/></target>';
  const XML_REGS = `<feature name="core">${['rax', 'rbx', 'rip'].map((n) => `<reg name="${n}" bitsize="64"/>`).join('')}<reg name="cr3" bitsize="64" group="system"/></feature>`;
  const files: Record<string, string> = { 'target.xml': XML_ROOT, 'regs.xml': XML_REGS };

  it('reads the target description in chunks, enters no-ack mode, and reads registers with p', async () => {
    const [s, c] = await open((p, st) => {
      if (p.startsWith('qSupported')) return 'PacketSize=40;qXfer:features:read+;QStartNoAckMode+;multiprocess+';
      if (p === 'QStartNoAckMode') {
        setTimeout(() => (st.ackMode = false), 5);
        return 'OK';
      }
      const x = /^qXfer:features:read:([^:]+):([0-9a-f]+),([0-9a-f]+)$/.exec(p);
      if (x) {
        const text = files[x[1]];
        const off = parseInt(x[2], 16);
        const piece = text.slice(off, off + parseInt(x[3], 16));
        return (off + piece.length >= text.length ? 'l' : 'm') + piece;
      }
      if (p === '?') return 'T05thread:p01.01;';
      if (p === 'p3') return le(0x1000n, 8);
      return '';
    });
    expect(c.features).toMatchObject({ packetSize: 0x40, noAckMode: true, multiprocess: true, targetDescription: true });
    expect(c.registerLayout.registers.map((r) => r.name)).toEqual(['rax', 'rbx', 'rip', 'cr3']);
    expect(s.received.filter((p) => p.startsWith('qXfer')).length).toBeGreaterThan(4);
    expect(await c.readRegister('cr3')).toBe(0x1000n);
    expect(c.lastStop).toMatchObject({ thread: { pid: 1, tid: 1 } });
  });
});

describe('QEMU-like physical mode batching', () => {
  function qemuLike(): { handler: FakeHandler; modeLog: string[]; mode: () => number } {
    let mode = 0;
    const modeLog: string[] = [];
    const handler: FakeHandler = async (p) => {
      if (p.startsWith('qSupported')) return 'PacketSize=1000;multiprocess+;vContSupported+';
      if (p === 'qqemu.Supported') return 'sstepbits;sstep;PhyMemMode';
      if (p.startsWith('Qqemu.PhyMemMode:')) {
        mode = Number(p.slice(-1));
        modeLog.push(p.slice(-1));
        return 'OK';
      }
      if (p === '?') return 'T05thread:p01.01;';
      if (p === 'g') return XEN_REGS;
      if (p.startsWith('m')) {
        const [a, l] = parseM(p);
        await new Promise((r) => setTimeout(r, 1)); // let concurrent callers interleave
        return memHex(a, l, mode === 1);
      }
      if (p.startsWith('Z') || p.startsWith('z') || p === 'D;1') return 'OK';
      return '';
    };
    return { handler, modeLog, mode: () => mode };
  }

  it('switches once per batch, shared by concurrent and nested batches', async () => {
    const q = qemuLike();
    const [s, c] = await open(q.handler);
    const before = s.received.length;
    const [a, b] = await c.withPhysical(async () => {
      const inner = c.withPhysical(() => c.readPhysical(0x100n, 4));
      return Promise.all([c.readPhysical(0x1000n, 4), inner]);
    });
    expect(Buffer.from(a).toString('hex')).toBe(memHex(0x1000, 4, true));
    expect(Buffer.from(b).toString('hex')).toBe(memHex(0x100, 4, true));
    expect(s.received.slice(before).filter((p) => p.startsWith('Q'))).toEqual(['Qqemu.PhyMemMode:1', 'Qqemu.PhyMemMode:0']);
    expect(s.received.length - before).toBe(4);
    // Two batches started together share one switch too.
    q.modeLog.length = 0;
    await Promise.all([c.readPhysical(0n, 4), c.readPhysical(8n, 4), c.physMem().read(16n, 4)]);
    expect(q.modeLog).toEqual(['1', '0']);
  });

  it('makes virtual reads wait for a physical batch, and vice versa', async () => {
    const q = qemuLike();
    const [, c] = await open(q.handler);
    const results = await Promise.all([
      c.readMemory(0x40n, 2),
      c.readPhysical(0x40n, 2),
      c.readMemory(0x42n, 2),
      c.readPhysical(0x42n, 2),
    ]);
    expect(results.map((r) => Buffer.from(r).toString('hex'))).toEqual([
      memHex(0x40, 2), memHex(0x40, 2, true), memHex(0x42, 2), memHex(0x42, 2, true),
    ]);
    expect(q.mode()).toBe(0);
  });

  it('restores virtual mode when a batch throws, and refuses a virtual read inside a batch', async () => {
    const q = qemuLike();
    const [, c] = await open(q.handler);
    await expect(
      c.withPhysical(async () => {
        await c.readPhysical(0n, 1);
        throw new Error('walker failed');
      }),
    ).rejects.toThrow('walker failed');
    expect(q.mode()).toBe(0);
    await expect(c.withPhysical(() => c.readMemory(0n, 1))).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(q.mode()).toBe(0);
  });

  it('resets a mode left on by a previous client before the first virtual read', async () => {
    const q = qemuLike();
    const [s, c] = await open(q.handler);
    await c.readMemory(0n, 1);
    expect(s.received.slice(-2)).toEqual(['Qqemu.PhyMemMode:0', 'm0,1']);
    await c.readMemory(0n, 1);
    expect(s.received.at(-1)).toBe('m0,1');
  });

  it('detaches with mode 0, breakpoints removed, then D;pid', async () => {
    const q = qemuLike();
    const [s, c] = await open(q.handler);
    await c.insertBreakpoint('software', 0x7c00n);
    await c.insertBreakpoint('hardware', 0xfff0n);
    await c.readPhysical(0n, 1);
    const before = s.received.length;
    await c.detach();
    expect(s.received.slice(before)).toEqual(['z0,7c00,1', 'z1,fff0,1', 'D;1']);
    expect(q.mode()).toBe(0);
    expect(c.connection.closed).toBe(true);
  });
});

describe('monitor commands', () => {
  it('collects O output until OK, and says when the stub has none', async () => {
    const [, c] = await open((p, st) => {
      if (p === 'qRcmd,' + Buffer.from('info status').toString('hex')) return ['O' + Buffer.from('VM status: ').toString('hex'), 'O' + Buffer.from('paused\n').toString('hex'), 'OK'];
      return xenLike(p, st);
    });
    const seen: string[] = [];
    expect(await c.monitor('info status', { onOutput: (t) => seen.push(t) })).toBe('VM status: paused\n');
    expect(seen).toHaveLength(2);
    await expect(c.monitor('info tlb')).rejects.toThrow(/no monitor commands/);
  });
});
