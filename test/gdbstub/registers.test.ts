import { describe, expect, it } from 'vitest';
import { RegisterLayout, fallbackLayout } from '../../src/gdbstub/registers';
import { parseTargetDescription, scanXml } from '../../src/gdbstub/targetXml';
import { le } from './fakeStub';

const ROOT = `<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>i386:x86-64</architecture><xi:include href="core.xml"/><xi:include href="sys.xml"/></target>`;
const CORE = `<?xml version="1.0"?>
<!-- a comment with <reg name="fake"/> inside -->
<feature name="org.gnu.gdb.i386.core">
  <flags id="i386_eflags" size="4"><field name="CF" start="0" end="0"/></flags>
  <reg name="rax" bitsize="64" type="int64"/>
  <reg name='rip' bitsize="64" type="code_ptr" group="general"/>
  <reg name="st0" bitsize="80" type="i387_ext"/>
</feature>`;
const SYS = `<feature name="org.gnu.gdb.i386.sys"><reg name="cr3" bitsize="64" type="int" regnum="10" group="system"/><reg name="efer" bitsize="64" type="int"/><reg name="x&amp;y" bitsize="8"/></feature>`;

describe('target description', () => {
  it('scans tags, attributes in either quotes, entities and text', () => {
    const tags = scanXml(`<a x="1" y='2'>hi &lt;there&gt;</a><b/>`);
    expect(tags.map((t) => [t.name, t.kind])).toEqual([['a', 'open'], ['a', 'close'], ['b', 'empty']]);
    expect(tags[0].attrs).toEqual({ x: '1', y: '2' });
    expect(tags[0].textAfter).toBe('hi <there>');
  });

  it('follows includes and numbers registers like gdb', async () => {
    const files: Record<string, string> = { 'target.xml': ROOT, 'core.xml': CORE, 'sys.xml': SYS };
    const desc = await parseTargetDescription('target.xml', async (a) => files[a]);
    expect(desc.architecture).toBe('i386:x86-64');
    expect(desc.annexes).toEqual(['target.xml', 'core.xml', 'sys.xml']);
    expect(desc.registers.map((r) => [r.name, r.regnum, r.bitsize])).toEqual([
      ['rax', 0, 64], ['rip', 1, 64], ['st0', 2, 80], ['cr3', 10, 64], ['efer', 11, 64], ['x&y', 12, 8],
    ]);
    expect(desc.registers[3]).toMatchObject({ group: 'system', feature: 'org.gnu.gdb.i386.sys' });
    const layout = new RegisterLayout(desc.registers, 'test');
    expect(layout.gBytes).toBe(8 + 8 + 10 + 8 + 8 + 1);
    expect(layout.get('CR3').gOffset).toBe(26);
  });

  it('refuses include cycles', async () => {
    const loop = `<target><xi:include href="target.xml"/></target>`;
    await expect(parseTargetDescription('target.xml', async () => loop)).rejects.toThrow(/recursively/);
  });
});

describe('fallback layouts', () => {
  it('takes a 164-byte g for amd64 core registers (Xen, gdbsx)', () => {
    const layout = fallbackLayout(164);
    expect(layout.source).toBe('fallback amd64 (164-byte g)');
    expect(layout.registers.map((r) => r.name)).toEqual([
      'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
      'rip', 'eflags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs',
    ]);
    const g = le(0x1122334455667788n, 8) + '00'.repeat(8 * 15) + le(0xffff82d040200000n, 8) + le(0x246n, 4) + le(0xe008n, 4) + '00'.repeat(20);
    const values = layout.decodeG(g);
    expect(values.get('rax')).toBe(0x1122334455667788n);
    expect(values.get('rip')).toBe(0xffff82d040200000n);
    expect(values.get('eflags')).toBe(0x246n);
    expect(values.get('cs')).toBe(0xe008n);
  });

  it('takes 64 and 308 bytes for i386, 536 for amd64 with SSE', () => {
    expect(fallbackLayout(64).registers.map((r) => r.name).slice(0, 10)).toEqual(['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags']);
    expect(fallbackLayout(308).registers.at(-1)?.name).toBe('mxcsr');
    expect(fallbackLayout(308).architecture).toBe('i386');
    const amd = fallbackLayout(536);
    expect(amd.registers.at(-1)?.name).toBe('mxcsr');
    expect(amd.get('xmm15').bitsize).toBe(128);
    expect(() => fallbackLayout(40)).toThrow(/no known x86 layout/);
  });

  it('leaves out registers sent as xx (unavailable)', () => {
    const values = fallbackLayout(64).decodeG('xxxxxxxx' + '01000000' + '00'.repeat(56));
    expect(values.has('eax')).toBe(false);
    expect(values.get('ecx')).toBe(1n);
  });
});
