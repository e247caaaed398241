import { describe, expect, it } from 'vitest';
import {
  classifyReply,
  describeStop,
  formatThreadId,
  isConsoleOutput,
  parseStopReply,
  parseThreadId,
} from '../../src/gdbstub/replies';

describe('reply classes', () => {
  it('tells OK, errors, empty and data apart', () => {
    expect(classifyReply('OK')).toEqual({ kind: 'ok' });
    expect(classifyReply('E22')).toEqual({ kind: 'error', errno: 0x22, text: 'E22' });
    expect(classifyReply('E.no such page')).toEqual({ kind: 'error', errno: undefined, text: 'E.no such page' });
    expect(classifyReply('')).toEqual({ kind: 'empty' });
    expect(classifyReply('e22a')).toEqual({ kind: 'data', payload: 'e22a' });
  });

  it('recognises console output but not OK', () => {
    expect(isConsoleOutput('O48690a')).toBe(true);
    expect(isConsoleOutput('OK')).toBe(false);
    expect(isConsoleOutput('O')).toBe(false);
  });
});

describe('thread ids', () => {
  it('parses and formats plain and multiprocess forms', () => {
    expect(parseThreadId('01')).toEqual({ tid: 1 });
    expect(parseThreadId('p01.02')).toEqual({ pid: 1, tid: 2 });
    expect(parseThreadId('p1.-1')).toEqual({ pid: 1, tid: -1 });
    expect(parseThreadId('p2')).toEqual({ pid: 2, tid: -1 });
    expect(parseThreadId('-1')).toEqual({ tid: -1 });
    expect(formatThreadId({ pid: 1, tid: 2 }, true)).toBe('p1.2');
    expect(formatThreadId({ tid: 0x1a }, true)).toBe('p1.1a');
    expect(formatThreadId({ pid: 1, tid: 2 }, false)).toBe('2');
    expect(formatThreadId({ tid: -1 }, false)).toBe('-1');
  });
});

describe('stop replies', () => {
  it('parses QEMU stop replies', () => {
    expect(parseStopReply('T02thread:01;')).toMatchObject({ kind: 'signal', signal: 2, thread: { tid: 1 } });
    expect(parseStopReply('T05thread:p01.02;')).toMatchObject({ kind: 'signal', signal: 5, thread: { pid: 1, tid: 2 } });
    expect(parseStopReply('S05')).toMatchObject({ kind: 'signal', signal: 5 });
    expect(parseStopReply('T05thread:02')).toMatchObject({ signal: 5, thread: { tid: 2 } }); // no final ';'
    expect(parseStopReply('T05')).toEqual({ kind: 'signal', signal: 5, registers: new Map(), raw: 'T05' });
  });

  it('parses breakpoint and watchpoint reasons, registers and core', () => {
    const hw = parseStopReply('T05hwbreak:;thread:p1.1;core:1;');
    expect(hw).toMatchObject({ reason: { kind: 'hwbreak', address: undefined }, core: 1 });
    const sw = parseStopReply('T05swbreak:fff0;thread:p1.1;');
    expect(sw).toMatchObject({ reason: { kind: 'swbreak', address: 0xfff0n } });
    const w = parseStopReply('T05watch:ffff800000001000;10:e0ff0f00;thread:p1.2;');
    expect(w).toMatchObject({ reason: { kind: 'watch', address: 0xffff800000001000n }, thread: { tid: 2 } });
    expect(w?.kind === 'signal' && w.registers.get(0x10)).toBe('e0ff0f00');
    expect(parseStopReply('T05rwatch:10;')).toMatchObject({ reason: { kind: 'rwatch', address: 0x10n } });
    expect(parseStopReply('T05awatch:20;')).toMatchObject({ reason: { kind: 'awatch', address: 0x20n } });
    expect(describeStop(w!)).toBe('signal 5 (SIGTRAP) on p1.2, watch at 0xffff800000001000');
  });

  it('parses process exit and termination', () => {
    expect(parseStopReply('W00')).toEqual({ kind: 'exited', exitCode: 0, pid: undefined, raw: 'W00' });
    expect(parseStopReply('W01;process:1a')).toMatchObject({ kind: 'exited', exitCode: 1, pid: 0x1a });
    expect(parseStopReply('X09')).toMatchObject({ kind: 'terminated', signal: 9 });
  });

  it('does not mistake other replies for stops', () => {
    for (const payload of ['OK', 'E22', '', 'Text=0;Data=0', 'T0', 'Sxx', 'T05garbage', 'W0', 'QCp01.01', '0000']) {
      expect(parseStopReply(payload), payload).toBeUndefined();
    }
  });
});
