/**
 * The fault sweep over DAP: the real debug adapter (in-process) attaches through the fault proxy to
 * a real QEMU and is asked what VS Code asks first — threads, a stack, a page table, memory — then
 * disconnected. Every request must be answered (with an error body where it must fail), no answer
 * may differ from the clean run's, and afterwards QEMU must run in virtual-address mode.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { connectClient } from '../debugAdapter/session.harness';
import type { BootedGuest } from '../guests/harness';
import { type Fault, FaultProxy } from './faultProxy';
import { captureRejections, type Outcome, TIMEOUT_MS, type Trial, vmState } from './sweep';

/** A request that has not been answered by then hangs. */
const ANSWER_MS = 10_000;

/** The answers that count: each request's success and the parts of its body a user sees. */
type Answers = Record<string, string>;

async function answered<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`HANG: ${what}`)), ANSWER_MS)));
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** attach, threads, stackTrace, hyperframe/pageTable, readMemory, disconnect: what each answered. */
export async function dapSession(port: number, pml4: bigint): Promise<{ answers: Answers; hang?: string }> {
  const c = await connectClient();
  const answers: Answers = {};
  // A session the adapter ended (it says so with 'terminated') takes no more requests, as in VS Code.
  let ended = false;
  c.dc.on('terminated', () => (ended = true));
  const step = async (name: string, run: () => Promise<DebugProtocol.Response | unknown>, show: (r: DebugProtocol.Response) => unknown): Promise<void> => {
    if (ended) {
      answers[name] = 'ended';
      return;
    }
    try {
      const r = (await answered(name, Promise.resolve(run()))) as DebugProtocol.Response;
      answers[name] = r.success ? `ok ${JSON.stringify(show(r))}` : `error ${r.message}`;
    } catch (e) {
      const m = (e as Error).message;
      if (m.startsWith('HANG')) throw e;
      answers[name] = `error ${m}`;
    }
  };
  try {
    await step('attach', () => answered('attach', c.start('attach', { port, timeout: TIMEOUT_MS, physicalMemory: 'qemu' }, false)).then(() => ({ success: true }) as DebugProtocol.Response), () => 'attached');
    // A failed attach ends the session: VS Code sends nothing more.
    if (!answers.attach.startsWith('ok ')) return { answers };
    await step('threads', () => c.rawResponse('threads'), (r) => (r.body as DebugProtocol.ThreadsResponse['body']).threads.map((t) => t.name));
    await step('stackTrace', () => c.rawResponse('stackTrace', { threadId: 1 }), (r) => (r.body as DebugProtocol.StackTraceResponse['body']).stackFrames.map((f) => f.instructionPointerReference));
    await step('pageTable', () => c.rawResponse('hyperframe/pageTable', { mode: 'long4', table: `0x${pml4.toString(16)}` }), (r) => r.body);
    await step('readMemory', () => c.rawResponse('readMemory', { memoryReference: `p:0x${pml4.toString(16)}`, count: 64 }), (r) => (r.body as DebugProtocol.ReadMemoryResponse['body'])?.data);
    await step('disconnect', () => c.rawResponse('disconnect', {}), () => 'disconnected');
    return { answers };
  } catch (e) {
    return { answers, hang: (e as Error).message };
  } finally {
    await c.close();
  }
}

/** One trial over DAP with `fault`; `clean` is the clean run's answers. */
export async function dapTrial(g: BootedGuest, pml4: bigint, clean: Answers, fault: Fault): Promise<Trial & { answers: Answers }> {
  const proxy = await FaultProxy.start(g.gdbPort, { ...fault, delayMs: TIMEOUT_MS + 400 });
  const rejections = captureRejections();
  const start = Date.now();
  let result: Awaited<ReturnType<typeof dapSession>>;
  try {
    result = await dapSession(proxy.port, pml4);
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    rejections.stop();
  }
  await Promise.race([proxy.whenIdle(), new Promise((resolve) => setTimeout(resolve, 3_000))]);
  await proxy.close();
  const { answers, hang } = result;
  // Success must be the clean answer; a failure must say something.
  const wrong = Object.entries(answers).filter(([k, v]) => v.startsWith('ok ') && v !== clean[k]);
  const mute = Object.entries(answers).filter(([, v]) => v === 'error ' || v === 'error undefined');
  let outcome: Outcome;
  if (hang) outcome = 'hang';
  else if (wrong.length) outcome = 'WRONG RESULT';
  else if (mute.length) outcome = 'crash';
  else outcome = Object.keys(clean).every((k) => answers[k] === clean[k]) ? 'same result' : 'clear error';
  const firstError = Object.entries(answers).find(([, v]) => !v.startsWith('ok '));
  const reasons = rejections.reasons;
  const error = reasons.length ? `unhandled rejection: ${reasons.join(' | ').slice(0, 600)}` : hang ?? (wrong.length ? `${wrong[0][0]}: ${wrong[0][1].slice(0, 200)}` : firstError ? `${firstError[0]}: ${firstError[1]}` : undefined);
  const { leftPaused, leftPhysical } = await vmState(g);
  return { fault, outcome, ...(error ? { error } : {}), unhandledRejections: rejections.reasons.length, leftPaused, leftPhysical, ms: Date.now() - start, answers };
}

/** The clean run: its answers, and how many packets QEMU sends in it. */
export async function cleanDapRun(g: BootedGuest, pml4: bigint): Promise<{ answers: Answers; packets: number }> {
  const proxy = await FaultProxy.start(g.gdbPort);
  try {
    const { answers, hang } = await dapSession(proxy.port, pml4);
    const failed = Object.entries(answers).filter(([, v]) => !v.startsWith('ok '));
    if (hang || failed.length) throw new Error(`the clean DAP run failed: ${hang ?? JSON.stringify(failed)}`);
    await proxy.whenIdle();
    return { answers, packets: proxy.packets };
  } finally {
    await proxy.close();
  }
}
