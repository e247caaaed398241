/**
 * Run control when the stub misbehaves: a resume or step refused (E22), a stop reply that does not
 * parse, an interrupt the target never answers. QEMU does none of these on demand, so a FAKE stub
 * (QEMU-like: vCont, threads, no target description) plays them; the session must end up stopped
 * with the error shown, never waiting forever, and a disconnect must stay bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeStub, le, type FakeHandler } from '../gdbstub/fakeStub';
import { connectClient, type Client } from './session.harness';

const RIP = 0x100c40n;
const REGS = le(0x1n, 8) + '00'.repeat(8 * 15) + le(RIP, 8) + le(0x246n, 4) + le(0x10n, 4) + '00'.repeat(20);

/** A QEMU-shaped stub; `resume` answers vCont;c / vCont;s:… (null: keep running) and `interrupt` 0x03. */
function stubWith(resume: (packet: string) => string | null, interrupt: string | null = 'T02thread:01;'): FakeHandler {
  return (p) => {
    if (p.startsWith('qSupported')) return 'PacketSize=1000;vContSupported+';
    if (p === '?') return 'T05thread:01;';
    if (p === 'g') return REGS;
    if (p === 'qfThreadInfo') return 'm1,2';
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('vCont;')) return resume(p);
    if (p === '\x03') return interrupt;
    if (p.startsWith('H') || p === 'D' || p.startsWith('Z') || p.startsWith('z')) return 'OK';
    if (p.startsWith('m')) return '90'.repeat(parseInt(p.split(',')[1] ?? '1', 16));
    return ''; // qqemu.Supported, qThreadExtraInfo, qRcmd, p, …
  };
}

let stub: FakeStub | undefined;
let c: Client | undefined;

afterEach(async () => {
  await c?.close();
  await stub?.close();
  stub = c = undefined;
});

async function attach(handler: FakeHandler): Promise<Client> {
  stub = await FakeStub.start(handler);
  c = await connectClient();
  await c.start('attach', { port: stub.port, physicalMemory: 'identity', timeout: 500 });
  return c;
}

describe('a run that fails', () => {
  it.each([
    ['a continue the stub refuses', () => c!.dc.continueRequest({ threadId: 1 }), /the stub refused resuming \(vCont;c\): E22/],
    ['a step the stub refuses', () => c!.dc.stepInRequest({ threadId: 2 }), /the stub refused resuming \(vCont;s:2\): E22/],
  ])('%s: stops with the error and the session goes on', async (_what, send, text) => {
    const client = await attach(stubWith(() => 'E22'));
    const stop = await client.runTo(send, 5000);
    expect(stop.body).toMatchObject({ reason: 'exception', description: 'run control failed', text: expect.stringMatching(text) });
    expect(await client.threads()).toHaveLength(2);
    expect(await client.pc(1)).toBe(RIP); // stopped: registers can be read
    await client.disconnect();
    expect(stub!.received).toContain('D');
  });

  it('a stop for a signal other than a trap or an interrupt (SIGSEGV, T0b): an exception naming the signal on the vCPU that stopped', async () => {
    // The target names the cause; the adapter shows the stub's words only in the text.
    const client = await attach(stubWith(() => 'T0bthread:02;'));
    const stop = await client.runTo(() => client.dc.continueRequest({ threadId: 1 }), 5000);
    expect(stop.body).toMatchObject({ reason: 'exception', threadId: 2, description: 'signal 11', text: 'CPU 1 stopped with signal 11 (T0bthread:02;)' });
  });

  it('a stop reply that does not parse: stops with a PROTOCOL error naming it', async () => {
    const client = await attach(stubWith(() => 'T05thread:zz;'));
    const stop = await client.runTo(() => client.dc.continueRequest({ threadId: 1 }), 5000);
    expect(stop.body).toMatchObject({ reason: 'exception', text: expect.stringMatching(/stop reply to 'vCont;c' .* cannot be parsed: 'T05thread:zz;'/) });
    const again = await client.runTo(() => client.dc.continueRequest({ threadId: 1 }), 5000);
    expect(again.body.reason).toBe('exception');
  });

  it('a target that ignores the interrupt: the pause says so, and a disconnect leaving it paused is bounded', async () => {
    const client = await attach(stubWith(() => null, null));
    await client.dc.continueRequest({ threadId: 1 });
    await client.dc.pauseRequest({ threadId: 1 });
    const end = Date.now() + 5000;
    while (!/the target did not stop: the target did not stop within 500 ms of an interrupt/.test(client.consoleText()) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(client.consoleText()).toMatch(/the target did not stop: the target did not stop within 500 ms of an interrupt/);
    const started = Date.now();
    await client.disconnect({ suspendDebuggee: true });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(client.consoleText()).toMatch(/while detaching: the target did not stop within 500 ms of an interrupt\ndetached, not cleanly/);
    expect(stub!.interrupts).toBeGreaterThan(1); // asked again, in vain
  });
});
