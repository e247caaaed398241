import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disassemble, type Bitness, type Instruction } from '../../src/disasm';
import { loadElfSymbols } from '../../src/symbols';
import { makeWorkshop, type Workshop } from '../symbols/toolchain';
import { parseObjdump, type ObjdumpLine } from './objdump';

let ws: Workshop;
beforeAll(async () => {
  ws = await makeWorkshop('disasm');
  for (const name of ['hv64', 'hv32']) {
    await ws.write(`${name}.s`, await readFile(new URL(`./fixtures/${name}.s`, import.meta.url)));
  }
  ws.run('as', ['--64', '-o', 'hv64.o', 'hv64.s']);
  ws.run('ld', ['-o', 'hv64', '-e', 'f', '-Ttext=0xffff82d040200000', 'hv64.o']);
  ws.run('as', ['--32', '-o', 'hv32.o', 'hv32.s']);
  ws.run('ld', ['-m', 'elf_i386', '-o', 'hv32', '-e', 'start32', '-Ttext=0x100000', 'hv32.o']);
  for (const name of ['hv64', 'hv32']) ws.run('objcopy', ['-O', 'binary', '--only-section=.text', name, `${name}.text`]);
});
afterAll(() => ws.cleanup());

/**
 * Where iced's Intel syntax and objdump's knowingly part ways, as (ours → objdump's). Everything
 * else must match exactly. iced names implicit operands (VMRUN rAX, as in the AMD manual) and
 * string-instruction forms, sizes pseudo-descriptors as fword and 128-bit memory as xmmword.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'mov rax,0x123456789abcdef0': 'movabs rax,0x123456789abcdef0',
  'rep movsb byte ptr [rdi],byte ptr [rsi]': 'rep movs byte ptr es:[rdi],byte ptr ds:[rsi]',
  'rep stosq qword ptr [rdi]': 'rep stos qword ptr es:[rdi],rax',
  'rep movsd dword ptr [edi],dword ptr [esi]': 'rep movs dword ptr es:[edi],dword ptr ds:[esi]',
  'nop word ptr cs:[rax+rax*1]': 'cs nop word ptr [rax+rax*1]',
  'invept rcx,xmmword ptr [rax]': 'invept rcx,oword ptr [rax]',
  'invvpid rcx,xmmword ptr [rax]': 'invvpid rcx,oword ptr [rax]',
  'cmpxchg16b xmmword ptr [rsi]': 'cmpxchg16b oword ptr [rsi]',
  'invpcid rax,xmmword ptr [rbx]': 'invpcid rax,[rbx]',
  'vmrun rax': 'vmrun',
  'vmload rax': 'vmload',
  'vmsave rax': 'vmsave',
  'lgdt fword ptr [rax]': 'lgdt [rax]',
  'sidt fword ptr [rbx]': 'sidt [rbx]',
  'sgdt fword ptr [rsp]': 'sgdt [rsp]',
  'invlpg [rdi]': 'invlpg byte ptr [rdi]',
  'mov ds,ax': 'mov ds,eax',
  'mov ss,ax': 'mov ss,eax',
  'lgdt fword ptr [0x101004]': 'lgdtd [0x101004]',
  'pushfd': 'pushf',
  'popfd': 'popf',
  'iretd': 'iret',
};

const usedDifferences = new Set<string>();

/** objdump writes a bare absolute operand as `ds:0x1234` (`gs:0x28`) where iced writes `[0x1234]` (`gs:[0x28]`). */
function objdumpAbsolute(body: string): string {
  return body.replace(/\b([c-gs]s):(0x[0-9a-f]+)\b/g, (_m, seg: string, va: string) => (seg === 'ds' ? `[${va}]` : `${seg}:[${va}]`));
}

async function compare(name: string, bitness: Bitness): Promise<{ ours: Instruction[]; theirs: ObjdumpLine[]; mismatches: string[] }> {
  const theirs = parseObjdump(ws.run('objdump', ['-d', '-M', 'intel', name]));
  const table = await loadElfSymbols(ws.path(name));
  const text = new Uint8Array(await readFile(ws.path(`${name}.text`)));
  const ours = disassemble(text, theirs[0].address, bitness, { symbolize: (a) => table.label(a) });
  const mismatches: string[] = [];
  expect(ours.length).toBe(theirs.length);
  ours.forEach((o, i) => {
    const t = theirs[i];
    expect(o.address).toBe(t.address);
    expect([...o.bytes]).toEqual(t.bytes);
    expect(o.invalid).toBe(false);
    const m = /^(.*?)(?: <([^>]+)>)?(?: {2}# (0x[0-9a-f]+)(?: <([^>]+)>)?)?$/.exec(o.text);
    const body = m?.[1] ?? o.text;
    const expected = objdumpAbsolute(t.body);
    if (body !== expected) {
      if (KNOWN_DIFFERENCES[body] === expected) usedDifferences.add(body);
      else mismatches.push(`${body}  ≠  ${expected}`);
    }
    // Labels: objdump names branch targets and RIP-relative operands; so do we.
    if (t.label !== undefined) expect(m?.[2] ?? m?.[4], body).toBe(t.label);
    if (t.commentVa !== undefined) expect(m?.[3], body).toBe(`0x${t.commentVa.toString(16)}`);
  });
  return { ours, theirs, mismatches };
}

describe('disassemble agrees with objdump -M intel on assembled hypervisor code', () => {
  it('64-bit: VMX/SVM, control registers, system and ordinary instructions', async () => {
    const { ours, mismatches } = await compare('hv64', 64);
    expect(mismatches).toEqual([]);
    expect(ours.length).toBeGreaterThan(100);
    expect(ours[0].symbol).toBe('f');
    expect(ours.filter((i) => i.symbol).map((i) => i.symbol)).toEqual(['f', 'g']);
  });

  it('32-bit: paging switch-on, far jump, absolute operands', async () => {
    const { ours, mismatches } = await compare('hv32', 32);
    expect(mismatches).toEqual([]);
    expect(ours.find((i) => i.text.startsWith('call'))?.text).toBe('call 0x100050 <helper32>');
    expect(ours.find((i) => i.bytes[0] === 0xea)?.text).toBe('jmp 0x8:0x100020');
    expect(ours.find((i) => i.text.startsWith('mov dword ptr [0x'))?.text).toMatch(/# 0x[0-9a-f]+ <counter32>$/);
  });

  it('every listed difference still occurs (the table stays honest)', () => {
    expect([...usedDifferences].sort()).toEqual(Object.keys(KNOWN_DIFFERENCES).sort());
  });
});
