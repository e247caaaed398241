/**
 * Threads are vCPUs (DAP thread id = vCPU + 1) and each one's call stack is pc plus whatever the
 * frame-pointer chain proves. Frame ids encode the vCPU so that scopes and evaluate know whose
 * registers a frame means; instruction pointer references name the vCPU's address space
 * (`v1:0x…`), so that disassembling a frame reads through that vCPU's CR3 whichever is in focus.
 * Each frame's source is a disassembly listing around its pc (listings.ts).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Target } from '../../target/target';
import { HyperFrameError } from '../../util/errors';
import { cpuView } from '../cpuView';
import type { StackWalker } from './stackWalker';
import type { ListedFrame, Listings } from './listings';
import { virtualRef } from '../memoryRefs';
import { rawImageFrame } from '../rawImage';
import type { StopState } from '../registersCache';

const FRAMES_PER_VCPU = 1024;

export const threadIdOf = (vcpu: number): number => vcpu + 1;

export function vcpuOfThread(threadId: number | undefined, fallback: number): number {
  return threadId === undefined || threadId < 1 ? fallback : threadId - 1;
}

export const frameIdOf = (vcpu: number, index: number): number => vcpu * FRAMES_PER_VCPU + index + 1;

export function vcpuOfFrame(frameId: number | undefined, fallback: number): number {
  return frameId === undefined || frameId < 1 ? fallback : Math.floor((frameId - 1) / FRAMES_PER_VCPU);
}

export async function threads(target: Target): Promise<DebugProtocol.Thread[]> {
  const list = await target.vcpus();
  // An image without registers still needs one thread for a client to show anything.
  if (list.length === 0) return [{ id: threadIdOf(0), name: 'memory image (no vCPU registers)' }];
  return list.map((v) => ({ id: threadIdOf(v.id), name: v.name }));
}

export async function stackTrace(
  target: Target,
  state: StopState,
  walker: StackWalker,
  sources: Listings,
  args: DebugProtocol.StackTraceArguments,
): Promise<DebugProtocol.StackTraceResponse['body']> {
  const vcpu = vcpuOfThread(args.threadId, 0);
  // A raw image: one frame that says why there is no stack (the Variables view says more).
  if ((await target.vcpuCount()) === 0) return { stackFrames: (args.startFrame ?? 0) === 0 ? [rawImageFrame(frameIdOf(0, 0))] : [], totalFrames: 1 };
  if (vcpu >= FRAMES_PER_VCPU) throw new HyperFrameError('BAD_ARGUMENT', `no vCPU ${vcpu}`);
  const cpu = await cpuView(state, vcpu);
  const sites = await walker.walk(vcpu, cpu);
  const start = args.startFrame ?? 0;
  const end = args.levels ? start + args.levels : sites.length;
  const view = { vcpu, bitness: cpu.bitness, paging: (await state.paging(vcpu)).reason };
  const stackFrames: DebugProtocol.StackFrame[] = [];
  for (const [i, s] of sites.slice(start, end).entries()) {
    // A frame whose code cannot be listed still shows, as it did before it had a source.
    const listed: ListedFrame | undefined = await sources.sourceFor(view, s.pc).catch(() => undefined);
    stackFrames.push({
      id: frameIdOf(vcpu, start + i),
      name: s.name,
      ...(listed ? { source: listed.source, line: listed.line, column: 1 } : { line: 0, column: 0 }),
      instructionPointerReference: virtualRef(vcpu, s.pc),
      presentationHint: 'normal',
    });
  }
  return { stackFrames, totalFrames: sites.length };
}
