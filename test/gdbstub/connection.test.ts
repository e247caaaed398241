/** Connection behaviour under faults, against the fake stub (see fakeStub.ts for why a fake). */
import { afterEach, describe, expect, it } from 'vitest';
import { GdbConnection } from '../../src/gdbstub/connection';
import { StopReply } from '../../src/gdbstub/replies';
import { HyperFrameError } from '../../src/util/errors';
import { FakeHandler, FakeStub, frame } from './fakeStub';

let stub: FakeStub | undefined;
let conn: GdbConnection | undefined;

afterEach(async () => {
  conn?.close();
  await stub?.close();
  stub = conn = undefined;
});

async function setup(handler: FakeHandler, options = {}, onConnect?: (s: FakeStub) => void): Promise<[FakeStub, GdbConnection]> {
  stub = await FakeStub.start(handler, onConnect);
  conn = await GdbConnection.connect('127.0.0.1', stub.port, options);
  await stub.whenConnected();
  return [stub, conn];
}

const echo: FakeHandler = (p) => `re:${p}`;

describe('GdbConnection', () => {
  it('answers requests in order with one in flight, acking every reply', async () => {
    const [s, c] = await setup(echo);
    const answers = await Promise.all(['a', 'b', 'c'].map((p) => c.request(p)));
    expect(answers).toEqual(['re:a', 're:b', 're:c']);
    expect(s.received).toEqual(['a', 'b', 'c']);
    expect(c.counters).toMatchObject({ packetsSent: 3, packetsReceived: 3 });
    await new Promise((r) => setTimeout(r, 20));
    expect(s.acksFromClient).toBe(3);
  });

  it('retransmits after - and succeeds', async () => {
    const [s, c] = await setup(echo);
    s.nakNext = 2;
    expect(await c.request('qC')).toBe('re:qC');
    expect(s.received).toEqual(['qC', 'qC', 'qC']);
    expect(c.counters.retransmits).toBe(2);
  });

  it('gives up with a PROTOCOL error after bounded retries, and stays usable', async () => {
    const [s, c] = await setup(echo, { maxRetries: 2 });
    s.nakNext = 10;
    await expect(c.request('m0,4')).rejects.toMatchObject({ code: 'PROTOCOL', message: expect.stringMatching(/rejected 'm0,4' 3 times/) });
    s.nakNext = 0;
    expect(await c.request('g')).toBe('re:g');
  });

  it('NAKs a corrupt reply and takes the resent one', async () => {
    const [s, c] = await setup(echo);
    s.corruptNext = 2;
    expect(await c.request('qC')).toBe('re:qC');
    expect(s.naksFromClient).toBe(2);
    expect(c.counters.badPackets).toBe(2);
  });

  it('closes the connection when replies stay corrupt', async () => {
    const [s, c] = await setup(echo, { maxRetries: 2 });
    s.corruptNext = 100;
    const first = c.request('qC');
    const queued = c.request('g');
    await expect(first).rejects.toMatchObject({ code: 'PROTOCOL', message: expect.stringMatching(/'qC'.*corrupt/) });
    await expect(queued).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('ignores garbage around packets', async () => {
    const [, c] = await setup((p) => ({ raw: '\r\nnoise\x00' + frame(`re:${p}`) + 'more' }));
    expect(await c.request('x')).toBe('re:x');
    expect(await c.request('y')).toBe('re:y');
    expect(c.counters.garbageBytes).toBeGreaterThan(0);
  });

  it('reassembles replies that arrive one byte at a time', async () => {
    const [s, c] = await setup((p) => {
      const bytes = frame(`re:${p}`);
      bytes.split('').forEach((ch, i) => setTimeout(() => s.sendRaw(ch), i));
      return null;
    });
    expect(await c.request('qSupported')).toBe('re:qSupported');
  });

  it('times out naming the packet, then fails the queued requests as disconnected', async () => {
    const [, c] = await setup((p) => (p === 'm0,4' ? null : `re:${p}`), { timeoutMs: 100 });
    const slow = c.request('m0,4');
    const queued = c.request('g');
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining("'m0,4'") });
    await expect(queued).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(c.closed).toBe(true);
  });

  it('fails every waiter with one DISCONNECTED error when the stub drops mid-request', async () => {
    const [s, c] = await setup((p) => {
      if (p === 'g') s.dropClient();
      return p === 'g' ? null : `re:${p}`;
    });
    const closes: (HyperFrameError | undefined)[] = [];
    c.on('close', (e) => closes.push(e));
    const results = await Promise.allSettled([c.request('g'), c.request('m0,1'), c.request('?')]);
    const errors = results.map((r) => (r.status === 'rejected' ? (r.reason as HyperFrameError) : undefined));
    expect(errors.every((e) => e?.code === 'DISCONNECTED')).toBe(true);
    expect(new Set(errors).size).toBe(1);
    expect(closes).toHaveLength(1);
    await expect(c.request('g')).rejects.toBe(errors[0]);
  });

  it('takes an unsolicited stop (QEMU on connect) as the initial stop, not as an answer', async () => {
    const [, c] = await setup(echo, {}, (s) => s.send('T02thread:01;'));
    const stops: StopReply[] = [];
    c.on('stop', (st) => stops.push(st));
    expect(await c.request('qSupported')).toBe('re:qSupported');
    expect(c.initialStop).toMatchObject({ kind: 'signal', signal: 2, thread: { tid: 1 } });
  });

  it('does not take a stop racing with a request for its answer', async () => {
    const [, c] = await setup((p) => ['T02thread:01;', `re:${p}`]);
    const stops: StopReply[] = [];
    c.on('stop', (st) => stops.push(st));
    expect(await c.request('qSupported')).toBe('re:qSupported');
    expect(stops).toHaveLength(1);
  });

  it('does not take a stop reply that fails to parse for the answer to a request: a PROTOCOL event says so', async () => {
    const [, c] = await setup((p) => (p === 'g' ? ['T05thread:zz;', 're:g'] : `re:${p}`));
    const stops: StopReply[] = [];
    const errors: HyperFrameError[] = [];
    c.on('stop', (st) => stops.push(st));
    c.on('protocolError', (e) => errors.push(e));
    expect(await c.request('g')).toBe('re:g');
    expect(await c.request('m0,1')).toBe('re:m0,1'); // still in step
    expect(stops).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'PROTOCOL', message: expect.stringMatching(/stop reply that cannot be parsed: 'T05thread:zz;'/) });
  });

  it('fails a resume whose stop reply does not parse, with a PROTOCOL error naming it', async () => {
    const [, c] = await setup((p) => (p === 'vCont;c' ? 'T05thread:zz;' : `re:${p}`));
    await expect(c.request('vCont;c', { kind: 'resume' })).rejects.toMatchObject({
      code: 'PROTOCOL',
      message: expect.stringMatching(/the stop reply to 'vCont;c' .* cannot be parsed: 'T05thread:zz;'/),
    });
    expect(c.running).toBe(false);
    expect(await c.request('g')).toBe('re:g');
  });

  it('passes console output to the request and as events', async () => {
    const [, c] = await setup(() => ['O48656c6c6f2c20', 'O776f726c640a', 'OK']);
    const seen: string[] = [];
    c.on('console', (t) => seen.push(t));
    const chunks: string[] = [];
    expect(await c.request('qRcmd,00', { onConsole: (t) => chunks.push(t) })).toBe('OK');
    expect(chunks.join('')).toBe('Hello, world\n');
    expect(seen).toEqual(chunks);
  });

  it('resumes until a stop, refuses other requests meanwhile, and interrupts with 0x03', async () => {
    const [s, c] = await setup((p) => (p === '\x03' ? 'T02thread:p01.01;' : p === 'vCont;c' ? null : `re:${p}`));
    const stops: StopReply[] = [];
    c.on('stop', (st) => stops.push(st));
    const resumed = c.request('vCont;c', { kind: 'resume' });
    expect(c.running).toBe(true);
    await expect(c.request('g')).rejects.toMatchObject({ code: 'TARGET', message: expect.stringMatching(/running/) });
    await new Promise((r) => setTimeout(r, 20));
    expect(c.interrupt()).toBe(true);
    expect(await resumed).toBe('T02thread:p01.01;');
    expect(s.interrupts).toBe(1);
    expect(stops).toHaveLength(1);
    expect(c.running).toBe(false);
    expect(c.interrupt()).toBe(false);
  });

  it('delivers an interrupt for a resume still waiting in the queue right after it', async () => {
    const [s, c] = await setup((p) => (p === '\x03' ? 'T02thread:01;' : p === 'c' ? null : `re:${p}`));
    const first = c.request('g');
    const resumed = c.request('c', { kind: 'resume' });
    expect(c.interrupt()).toBe(true);
    expect(await first).toBe('re:g');
    expect(await resumed).toBe('T02thread:01;');
    expect(s.received).toEqual(['g', 'c']);
    expect(s.interrupts).toBe(1);
  });

  it('stops acking in no-ack mode', async () => {
    const [s, c] = await setup(echo);
    await c.request('QStartNoAckMode');
    c.disableAcks();
    s.ackMode = false;
    await new Promise((r) => setTimeout(r, 20));
    const before = s.acksFromClient;
    expect(await c.request('g')).toBe('re:g');
    await new Promise((r) => setTimeout(r, 20));
    expect(s.acksFromClient).toBe(before);
  });
});
