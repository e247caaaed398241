/**
 * Every frame has a source the adapter serves: a disassembly listing around its pc, so that VS Code
 * focuses the top frame at a stop and asks for hovers in it. On long4spin (with its ELF symbols)
 * each frame lists its function and its pc's line agrees with the disassemble request; a stop
 * makes new listings and the old ones go (their lines still take breakpoints: set, hit, removed); the halted long4 without symbols gets a window around pc.
 * A FAKE code reader (nop sleds) checks the two cases no guest has: a function too long to list
 * whole, and a pc that decoding from the function's start does not reach.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Listings, LISTING_MIME_TYPE, MAX_FUNCTION_INSTRUCTIONS, WINDOW_AFTER, WINDOW_BEFORE } from '../../src/debugAdapter/stack/listings';
import { SymbolTable } from '../../src/symbols';
import { bootGuest, type BootedGuest } from '../guests/harness';
import { SPIN } from '../guests/long4spin.expected';
import { connectClient, pcOf, ref, type Client } from './session.harness';

/** The address as listings and the disassembly view write it in 64-bit code. */
const addr64 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

async function listing(c: Client, frame: DebugProtocol.StackFrame): Promise<string[]> {
  const handle = frame.source?.sourceReference ?? 0;
  const r = await c.dc.sourceRequest({ source: frame.source, sourceReference: handle });
  return r.body.content.split('\n');
}

/** The disassemble request's row at `pc` of `vcpu`. */
async function disassembled(c: Client, vcpu: number, pc: bigint): Promise<DebugProtocol.DisassembledInstruction> {
  const r = (await c.dc.customRequest('disassemble', { memoryReference: `v${vcpu}:${ref(pc)}`, instructionCount: 1, resolveSymbols: true })) as DebugProtocol.DisassembleResponse;
  return r.body!.instructions[0];
}

/** The frame's line is its pc's, and says what the disassembly view says there. */
async function expectPcLine(c: Client, frame: DebugProtocol.StackFrame, threadId: number, label: string): Promise<string[]> {
  const lines = await listing(c, frame);
  const pc = pcOf(frame, threadId);
  const line = lines[frame.line - 1];
  expect(line.startsWith(`${addr64(pc)}  `)).toBe(true);
  expect(line).toContain(`<${label}>`);
  const row = await disassembled(c, threadId - 1, pc);
  expect(line.endsWith(`  ${row.instruction}`)).toBe(true);
  expect(line).toContain(`  ${row.instructionBytes}`);
  return lines;
}

/** The extension's manifest: what VS Code learns about the listings' language. */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  contributes: { languages: { id: string; extensions: string[]; mimetypes: string[] }[]; breakpoints: { language: string }[]; grammars: { language: string; scopeName: string; path: string }[] };
};

/** long4spin attached with its symbols, CPU 0 stopped inside spin_func called from spin_main: a two-frame chain. */
async function stoppedInSpinFunc(): Promise<{ guest: BootedGuest; c: Client }> {
  const guest = await bootGuest('long4spin');
  const c = await connectClient();
  await c.start('attach', { port: guest.gdbPort, symbols: [guest.elfPath], timeout: 3000 });
  const [bp] = await c.setInstructionBreakpoints([{ instructionReference: ref(SPIN.spin_func_body), condition: '$cr3 == 0x110000' }]);
  expect(bp.verified).toBe(true);
  const stop = await c.runTo(() => c.dc.continueRequest({ threadId: 1 }));
  expect(stop.body).toMatchObject({ reason: 'breakpoint', threadId: 1 });
  await c.setInstructionBreakpoints([]);
  return { guest, c };
}

describe('call-stack listings on long4spin (symbols)', () => {
  let guest: BootedGuest;
  let c: Client;

  beforeAll(async () => {
    ({ guest, c } = await stoppedInSpinFunc());
  });
  afterAll(async () => {
    await c?.disconnect().catch(() => undefined);
    await c?.close();
    await guest?.stop();
  });

  it('gives every frame a source listing its function, with pc on the frame line', async () => {
    const frames = await c.frames(1);
    expect(frames.map((f) => f.name)).toEqual(['spin_func+0x4', 'spin_main+0xa']);
    expect(frames.map((f) => f.source?.name)).toEqual(['spin_func (CPU 0).dis', 'spin_main (CPU 0).dis']);
    for (const f of frames) {
      expect(f.source).toMatchObject({ presentationHint: 'normal', origin: 'disassembly' });
      expect(f.source?.sourceReference).toBeGreaterThan(0);
      expect(f.line).toBeGreaterThan(1);
    }
    const func = await expectPcLine(c, frames[0], 1, 'spin_func+0x4');
    expect(func[frames[0].line - 1]).toMatch(/lock inc qword ptr \[0x100f08\]/);
    expect(func[0]).toMatch(/^; vCPU 0, 64-bit code; long4 /);
    // The whole function: push, mov, lock inc, pop, ret.
    const rows = func.filter((l) => l.startsWith('0x'));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatch(new RegExp(`^${addr64(SPIN.spin_func)}  <spin_func> +55 +push rbp$`));
    const main = await expectPcLine(c, frames[1], 1, 'spin_main+0xa');
    expect(main[frames[1].line - 2]).toMatch(/call 0x100c40 <spin_func>$/);
    expect(frames[0].instructionPointerReference).toBe(`v0:${ref(SPIN.spin_func_body)}`);
  });

  it('gives each vCPU its own listings', async () => {
    const [f1] = await c.frames(2);
    expect(f1.source?.name).toMatch(/ \(CPU 1\)\.dis$/);
    const [f0] = await c.frames(1);
    expect(f1.source?.sourceReference).not.toBe(f0.source?.sourceReference);
    const lines = await listing(c, f1);
    expect(lines[f1.line - 1].startsWith(addr64(pcOf(f1, 2)))).toBe(true);
  });

  it('is served as the contributed language, which takes breakpoints', async () => {
    const [f] = await c.frames(1);
    const r = await c.dc.sourceRequest({ source: f.source, sourceReference: f.source!.sourceReference! });
    expect(r.body.mimeType).toBe(LISTING_MIME_TYPE);
    const lang = pkg.contributes.languages.find((l) => l.mimetypes?.includes(LISTING_MIME_TYPE));
    expect(lang?.extensions).toContain(extname(f.source!.name!));
    expect(pkg.contributes.breakpoints).toContainEqual({ language: lang!.id });
    const grammar = pkg.contributes.grammars.find((g) => g.language === lang!.id)!;
    const tm = JSON.parse(readFileSync(new URL(`../../${grammar.path}`, import.meta.url), 'utf8')) as { scopeName: string; repository: { row: { match: string } } };
    expect(tm.scopeName).toBe(grammar.scopeName);
    // The grammar's row rule splits every instruction line into address, symbol, bytes, mnemonic and
    // operands, as the disassemble request gives them.
    const row = new RegExp(tm.repository.row.match);
    const lines = r.body.content.split('\n').filter((l) => l.startsWith('0x'));
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      const m = row.exec(line);
      expect(m, line).not.toBeNull();
      const d = await disassembled(c, 0, BigInt(m![1]));
      expect(`${m![6]}${m![7]}`, line).toBe(d.instruction);
      expect(m![4]?.trim(), line).toBe(d.instructionBytes);
      const offset = BigInt(m![1]) - SPIN.spin_func;
      expect(m![3], line).toBe(offset ? `<spin_func+0x${offset.toString(16)}>` : '<spin_func>');
    }
  });

  it('answers a gutter breakpoint with the listing\'s own source (VS Code keeps it under that URI) and names it by symbol+offset', async () => {
    const [f] = await c.frames(1);
    const lines = await listing(c, f);
    const line = lines.findIndex((l) => l.startsWith(`${addr64(SPIN.spin_func_body)}  `)) + 1;
    // VS Code sends back the source it was given (name, path, sourceReference).
    const [bp] = (await c.dc.setBreakpointsRequest({ source: f.source!, breakpoints: [{ line }] })).body.breakpoints;
    expect(f.source).toMatchObject({ name: 'spin_func (CPU 0).dis', path: 'disassembly/spin_func (CPU 0).dis' });
    // VS Code makes a breakpoint's URI from the answered source's path (not its name): without a
    // path the URI is empty, its Breakpoints-view name "" and its folder "."; with this one the
    // view reads the listing's name, "disassembly", the line.
    expect(bp).toMatchObject({ verified: true, line, source: { name: f.source!.name, path: f.source!.path, sourceReference: f.source!.sourceReference } });
    // spin_func_body is spin_func + 4 (long4spin.expected, checked against the ELF's symbols there).
    expect(SPIN.spin_func_body - SPIN.spin_func).toBe(4n);
    expect(bp.message).toBe(`spin_func+0x4 (${ref(SPIN.spin_func_body)})`);
    // A client that only has the name (the listing long gone) gets the same source back.
    const [again] = (await c.dc.setBreakpointsRequest({ source: { name: f.source!.name }, breakpoints: [{ line }] })).body.breakpoints;
    expect(again.source).toEqual(bp.source);
    await c.dc.setBreakpointsRequest({ source: f.source!, breakpoints: [] });
  });
  it('answers the same handle within a stop, and a new one after the next stop, where the old one is gone', async () => {
    const [before] = await c.frames(1);
    expect((await c.frames(1))[0].source?.sourceReference).toBe(before.source?.sourceReference);
    await c.runTo(() => c.dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    const [after] = await c.frames(1);
    expect(pcOf(after, 1)).toBe(SPIN.spin_func_after_inc);
    expect(after.source?.sourceReference).not.toBe(before.source?.sourceReference);
    await expect(listing(c, before)).rejects.toThrow(/the target has run since/);
    await expectPcLine(c, after, 1, 'spin_func+0xd');
    expect(after.line).toBe(before.line + 1);
  });

  it('takes breakpoints in a listing\'s gutter, also once its stop is over, and drops them', async () => {
    const [f] = await c.frames(1);
    const source = f.source!;
    const lines = await listing(c, f);
    const lineOf = (v: bigint): number => lines.findIndex((l) => l.startsWith(`${addr64(v)}  `)) + 1;
    const set = (src: DebugProtocol.Source, bps: DebugProtocol.SourceBreakpoint[]): Promise<DebugProtocol.Breakpoint[]> =>
      c.dc.setBreakpointsRequest({ source: src, breakpoints: bps }).then((r) => r.body.breakpoints);
    const onCpu0 = '$cr3 == 0x110000';
    const [header, body] = await set(source, [{ line: 1 }, { line: lineOf(SPIN.spin_func_body), condition: onCpu0 }]);
    expect(header).toMatchObject({ verified: false, message: expect.stringMatching(/line 1 of spin_func \(CPU 0\)\.dis is not an instruction/) });
    expect(body).toMatchObject({ verified: true, line: lineOf(SPIN.spin_func_body), instructionReference: ref(SPIN.spin_func_body) });
    const hit = await c.runTo(() => c.dc.continueRequest({ threadId: 1 }));
    expect(hit.body).toMatchObject({ reason: 'breakpoint', threadId: 1, hitBreakpointIds: [body.id] });
    expect(await c.pc(1)).toBe(SPIN.spin_func_body);
    // The listing's text is gone with that stop; its lines still name their instructions.
    await expect(listing(c, f)).rejects.toThrow(/the target has run since/);
    const [next] = await set(source, [{ line: lineOf(SPIN.spin_func_after_inc), condition: onCpu0 }]);
    expect(next).toMatchObject({ verified: true, line: lineOf(SPIN.spin_func_after_inc) });
    const again = await c.runTo(() => c.dc.continueRequest({ threadId: 1 }));
    expect(again.body).toMatchObject({ reason: 'breakpoint', threadId: 1, hitBreakpointIds: [next.id] });
    expect(await c.pc(1)).toBe(SPIN.spin_func_after_inc);
    // By name (a client without the handle): the newest listing of that name; its header is no instruction.
    const [named] = await set({ name: source.name }, [{ line: 2 }]);
    expect(named).toMatchObject({ verified: false, message: expect.stringMatching(/not an instruction/) });
    await set({ name: source.name }, []);
    expect(await set(source, [])).toEqual([]);
    await c.dc.continueRequest({ threadId: 1 });
    await c.noEvent('stopped', 300);
    await c.runTo(() => c.dc.pauseRequest({ threadId: 1 }));
  });
});

describe('call-stack listings on long4 (halted, no symbols)', () => {
  let guest: BootedGuest;
  let c: Client;

  beforeAll(async () => {
    guest = await bootGuest('long4');
    c = await connectClient();
    await c.start('attach', { port: guest.gdbPort, timeout: 3000 });
  });
  afterAll(async () => {
    await c?.disconnect().catch(() => undefined);
    await c?.close();
    await guest?.stop();
  });

  it('lists a window of instructions with the pc line in the middle', async () => {
    const [f] = await c.frames(1);
    const pc = pcOf(f, 1);
    expect(pc).toBe(0xffff_ffff_8000_0012n);
    expect(f.source?.name).toBe('0xffffffff80000012 (CPU 0).dis');
    const lines = await listing(c, f);
    const line = lines[f.line - 1];
    const row = await disassembled(c, 0, pc);
    expect(row.instruction).toBe('jmp 0xffffffff80000010');
    expect(line).toMatch(new RegExp(`^${addr64(pc)}  ${row.instructionBytes} +${row.instruction}$`));
    const rows = lines.filter((l) => l.startsWith('0x'));
    const at = rows.indexOf(line);
    expect(rows.length - at - 1).toBe(WINDOW_AFTER);
    // Before pc: the image's first bytes, and the unmapped pages below it as one line.
    expect(at).toBeGreaterThan(1);
    expect(rows.slice(0, at).some((l) => /^0x[0-9a-f]{16} +\?\? \d+ bytes unreadable, up to 0xffffffff80000000$/.test(l))).toBe(true);
  });
});

describe('call-stack listings of long functions and of code that does not decode to pc (FAKE reader)', () => {
  const base = 0xffff_ffff_8100_0000n;
  const symbols = SymbolTable.from([
    { name: 'long_fn', va: base, sizeBytes: 0x1000n, type: 'func', binding: 'global' },
    // `mov eax, imm32` (b8 + 4 bytes) from its start: pc one byte in is inside an instruction.
    { name: 'movs', va: base + 0x2000n, sizeBytes: 0x100n, type: 'func', binding: 'global' },
  ]);
  const code = async (_vcpu: number, address: bigint, bytes: number): Promise<Uint8Array> =>
    Uint8Array.from({ length: bytes }, (_, i) => (address + BigInt(i) >= base + 0x2000n ? ((address + BigInt(i) - base - 0x2000n) % 5n === 0n ? 0xb8 : 0) : 0x90));
  const view = { vcpu: 0, bitness: 64 as const, paging: 'long4, root 0x1000' };
  const rowsOf = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('0x'));

  it('lists the first instructions of a long function when pc is among them, and says it goes on', async () => {
    const fs = new Listings(symbols, code);
    const f = await fs.sourceFor(view, base + 10n);
    const text = fs.text(f.source.sourceReference);
    expect(f.source.name).toBe('long_fn (CPU 0).dis');
    expect(rowsOf(text)).toHaveLength(MAX_FUNCTION_INSTRUCTIONS);
    expect(text).toMatch(/; … long_fn goes on to 0xffffffff81001000: its first 400 instructions are shown\n$/);
    // Another frame in the same function shares the listing.
    expect((await fs.sourceFor(view, base + 11n)).source.sourceReference).toBe(f.source.sourceReference);
  });

  it('lists the part of a long function around a pc past its first instructions', async () => {
    const fs = new Listings(symbols, code);
    const pc = base + 0xf80n;
    const f = await fs.sourceFor(view, pc);
    const rows = rowsOf(fs.text(f.source.sourceReference));
    expect(f.source.name).toBe('long_fn+0xf80 (CPU 0).dis');
    // Half the cap before pc, the rest after it but not past the function's end.
    expect(rows[0]).toMatch(/^0xffffffff81000eb8 {2}<long_fn\+0xeb8>/);
    expect(rows).toHaveLength(MAX_FUNCTION_INSTRUCTIONS / 2 + 0x80);
    expect(rows.at(-1)).toMatch(/^0xffffffff81000fff {2}<long_fn\+0xfff>/);
    expect(fs.text(f.source.sourceReference).split('\n')[f.line - 1]).toMatch(/^0xffffffff81000f80 {2}<long_fn\+0xf80> {2}90 {2}nop$/);
  });

  it('falls back to a window around pc when the function does not decode to it', async () => {
    const fs = new Listings(symbols, code);
    const pc = base + 0x2001n;
    const f = await fs.sourceFor(view, pc);
    const lines = fs.text(f.source.sourceReference).split('\n');
    expect(lines[1]).toContain('decoding movs from its start does not reach an instruction at 0xffffffff81002001');
    expect(lines[f.line - 1].startsWith('0xffffffff81002001  <movs+0x1>')).toBe(true);
    const rows = rowsOf(lines.join('\n'));
    expect(rows.indexOf(lines[f.line - 1])).toBe(WINDOW_BEFORE);
    expect(rows).toHaveLength(WINDOW_BEFORE + 1 + WINDOW_AFTER);
    fs.invalidate();
    expect(() => fs.text(f.source.sourceReference)).toThrow(/the target has run since/);
  });
});
