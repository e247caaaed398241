import { describe, expect, it } from 'vitest';
import { disassemble, type Bitness } from '../../src/disasm';

const bytes = (hexBytes: string): Uint8Array => Uint8Array.from(hexBytes.split(/\s+/).map((b) => parseInt(b, 16)));
const one = (hexBytes: string, bitness: Bitness = 64, address = 0x1000n, syntax: 'intel' | 'att' = 'intel') =>
  disassemble(bytes(hexBytes), address, bitness, { syntax })[0];

describe('disassemble: encodings with known text (SDM / AMD APM / objdump -M intel)', () => {
  it.each([
    ['48 89 e5', 64, 'mov rbp,rsp'],
    ['0f 01 d8', 64, 'vmrun rax'], // APM: VMRUN rAX (objdump leaves the implicit operand out)
    ['0f 01 c1', 64, 'vmcall'],
    ['0f 01 c2', 64, 'vmlaunch'],
    ['0f 01 c3', 64, 'vmresume'],
    ['0f 22 d8', 64, 'mov cr3,rax'],
    ['0f 20 e0', 64, 'mov rax,cr4'],
    ['0f 20 c0', 32, 'mov eax,cr0'],
    ['0f 78 c3', 64, 'vmread rbx,rax'],
    ['66 0f 38 80 08', 64, 'invept rcx,xmmword ptr [rax]'],
    ['0f 01 f8', 64, 'swapgs'],
    ['0f 30', 64, 'wrmsr'],
    ['48 cf', 64, 'iretq'],
    ['48 89 7d f8', 64, 'mov qword ptr [rbp-0x8],rdi'],
    ['8b 54 d8 10', 64, 'mov edx,dword ptr [rax+rbx*8+0x10]'],
    ['0f 1f 44 00 00', 64, 'nop dword ptr [rax+rax*1+0x0]'],
    ['89 e5', 32, 'mov ebp,esp'],
    ['b8 34 12', 16, 'mov ax,0x1234'],
    ['cd 10', 16, 'int 0x10'],
    ['fa', 16, 'cli'],
  ] as const)('%s (%i-bit) → %s', (hexBytes, bitness, text) => {
    const insn = one(hexBytes, bitness);
    expect(insn).toMatchObject({ text, length: hexBytes.split(' ').length, invalid: false, address: 0x1000n });
    expect([...insn.bytes]).toEqual([...bytes(hexBytes)]);
  });

  it('AT&T syntax on request', () => {
    expect(one('48 89 e5', 64, 0x1000n, 'att').text).toBe('mov %rsp,%rbp');
    expect(one('0f 22 d8', 64, 0x1000n, 'att').text).toBe('mov %rax,%cr3');
    expect(one('48 8b 05 10 00 00 00', 64, 0x1000n, 'att').text).toBe('mov 0x10(%rip),%rax  # 0x1017');
    expect(one('e8 00 00 00 00', 64, 0x1000n, 'att')).toMatchObject({ text: 'call 0x1005', branchTarget: 0x1005n });
  });
});

describe('disassemble: branches, memory operands and symbols', () => {
  const symbolize = (addr: bigint): string | undefined =>
    addr >= 0xffff82d040200000n && addr < 0xffff82d040200100n
      ? addr === 0xffff82d040200000n
        ? 'vmx_asm_vmexit_handler'
        : `vmx_asm_vmexit_handler+0x${(addr - 0xffff82d040200000n).toString(16)}`
      : addr === 0xffff82d040400000n
        ? 'per_cpu__curr_vcpu'
        : undefined;

  it('computes near branch targets and labels them', () => {
    const code = bytes('e8 fb ff ff ff eb fc 75 f7 0f 84 f1 ff ff ff e2 ef');
    const out = disassemble(code, 0xffff82d040200000n, 64, { symbolize });
    expect(out.map((i) => [i.text, i.branchTarget])).toEqual([
      ['call 0xffff82d040200000 <vmx_asm_vmexit_handler>', 0xffff82d040200000n],
      ['jmp 0xffff82d040200003 <vmx_asm_vmexit_handler+0x3>', 0xffff82d040200003n],
      ['jne 0xffff82d040200000 <vmx_asm_vmexit_handler>', 0xffff82d040200000n],
      ['je 0xffff82d040200000 <vmx_asm_vmexit_handler>', 0xffff82d040200000n],
      ['loop 0xffff82d040200000 <vmx_asm_vmexit_handler>', 0xffff82d040200000n],
    ]);
    expect(out.map((i) => i.symbol)).toEqual(['vmx_asm_vmexit_handler', undefined, undefined, undefined, undefined]);
  });

  it('indirect and far branches have no target; unknown targets stay bare', () => {
    const out = disassemble(bytes('ff d0 ff e0 c3 e8 00 00 00 00'), 0x1000n, 64, { symbolize });
    expect(out.map((i) => [i.text, i.branchTarget])).toEqual([
      ['call rax', undefined],
      ['jmp rax', undefined],
      ['ret', undefined],
      ['call 0x100a', 0x100an],
    ]);
  });

  it('annotates RIP-relative and absolute memory operands', () => {
    // mov rax,[rip+disp] reaching per_cpu__curr_vcpu; mov eax,[abs32]; lea rcx,[rip+0x0]
    const at = 0xffff82d040200000n;
    const disp = 0xffff82d040400000n - (at + 7n);
    const d = [0, 8, 16, 24].map((s) => ((disp >> BigInt(s)) & 0xffn).toString(16)).join(' ');
    const out = disassemble(bytes(`48 8b 05 ${d} 8b 04 25 00 00 40 00 48 8d 0d 00 00 00 00`), at, 64, { symbolize });
    expect(out.map((i) => i.text)).toEqual([
      'mov rax,qword ptr [rip+0x1ffff9]  # 0xffff82d040400000 <per_cpu__curr_vcpu>',
      'mov eax,dword ptr [0x400000]',
      'lea rcx,[rip+0x0]  # 0xffff82d040200015 <vmx_asm_vmexit_handler+0x15>',
    ]);
    const abs32 = disassemble(bytes('a1 00 00 40 40'), 0x1000n, 32, { symbolize: (a) => (a === 0x40400000n ? 'jiffies' : undefined) });
    expect(abs32[0].text).toBe('mov eax,dword ptr [0x40400000]  # 0x40400000 <jiffies>');
  });

  it('marks undecodable and cut-off bytes invalid, accounting for every byte', () => {
    const out = disassemble(bytes('90 ff ff 90 0f'), 0x2000n, 64);
    expect(out.map((i) => [i.address, i.length, i.text, i.invalid])).toEqual([
      [0x2000n, 1, 'nop', false],
      [0x2001n, 2, '(bad)', true],
      [0x2003n, 1, 'nop', false],
      [0x2004n, 1, '(bad)', true],
    ]);
  });

  it('honours maxInstructions, empty input and refuses odd bitness', () => {
    expect(disassemble(bytes('90 90 90'), 0n, 64, { maxInstructions: 2 })).toHaveLength(2);
    expect(disassemble(new Uint8Array(0), 0n, 64)).toEqual([]);
    expect(() => disassemble(bytes('90'), 0n, 8 as Bitness)).toThrow(/bitness 8/);
  });

  it('16- and 32-bit branch targets wrap within their code size', () => {
    expect(one('eb fe', 16, 0x7c00n).branchTarget).toBe(0x7c00n);
    expect(one('e9 fb ff ff ff', 32, 0xc1000000n).branchTarget).toBe(0xc1000000n);
  });
});
