import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadElfSymbols, loadSymbolFile, loadSymbolFiles, parseSystemMap } from '../../src/symbols';
import { makeWorkshop, type Workshop } from './toolchain';

// A System.map is what `nm -n vmlinux` prints (Linux's scripts/mksysmap); /proc/kallsyms has the
// same lines plus a `[module]` column. The truth here is binutils' own nm on an image it linked.
const SOURCE = `
	.text
	.globl entry
	.type entry,@function
entry:	call helper
	ret
	.size entry,.-entry
	.type helper,@function
helper:	ret
	.size helper,.-helper
	.weak weakfn
	.type weakfn,@function
weakfn:	ret
	.data
	.globl counter
	.type counter,@object
counter: .quad 0
	.section .bss
	.type scratch,@object
scratch: .zero 64
`;

let ws: Workshop;
beforeAll(async () => {
  ws = await makeWorkshop('sysmap');
  await ws.write('k.s', SOURCE);
  ws.run('as', ['--64', '-o', 'k.o', 'k.s']);
  ws.run('ld', ['-o', 'vmlinux', '-e', 'entry', '-Ttext=0xffffffff81000000', 'k.o']);
  await ws.write('System.map', ws.run('nm', ['-n', 'vmlinux']));
});
afterAll(() => ws.cleanup());

describe('System.map files', () => {
  it('names the same addresses as the ELF image nm read it from', async () => {
    const elf = await loadElfSymbols(ws.path('vmlinux'));
    const map = await loadSymbolFile(ws.path('System.map'));
    for (const name of ['entry', 'helper', 'weakfn', 'counter', 'scratch']) {
      expect(map.lookup(name)?.va, name).toBe(elf.lookup(name)?.va);
    }
    expect(map.lookup('entry')).toMatchObject({ type: 'func', binding: 'global', module: 'System.map', sizeBytes: 0n });
    expect(map.lookup('helper')).toMatchObject({ type: 'func', binding: 'local' });
    expect(map.lookup('weakfn')).toMatchObject({ binding: 'weak' });
    expect(map.lookup('counter')).toMatchObject({ type: 'object', binding: 'global' });
    expect(map.lookup('scratch')).toMatchObject({ type: 'object', binding: 'local' });
    // Without sizes, an address inside a function is named after the symbol below it.
    expect(map.formatAddress(elf.lookup('entry')!.va + 1n)).toBe('entry+0x1');
  });

  it('merges with ELF files: xen-syms and a dom0 System.map in one table', async () => {
    const merged = await loadSymbolFiles([ws.path('vmlinux'), ws.path('System.map')]);
    expect(merged.lookupAll('entry').map((s) => s.module).sort()).toEqual(['System.map', 'vmlinux']);
    expect(merged.lookup('System.map:counter')?.module).toBe('System.map');
  });

  it("reads /proc/kallsyms lines, module column included", () => {
    const t = parseSystemMap('ffffffff82c38d70 D xen_p2m_addr\nffffffffc0a01000 t ext4_fill_super\t[ext4]\n0000000000000000 A fixed_percpu_data\n', 'kallsyms');
    expect(t.lookup('xen_p2m_addr')).toMatchObject({ va: 0xffffffff82c38d70n, module: 'kallsyms', type: 'object' });
    expect(t.lookup('ext4_fill_super')).toMatchObject({ module: 'ext4', binding: 'local' });
    expect(t.lookup('fixed_percpu_data')).toBeUndefined();
  });

  it("refuses Debian's placeholder file and text that is not a symbol map, with one clear line", async () => {
    expect(() => parseSystemMap('ffffffffffffffff B The real System.map is in the linux-image-6.1.0-57-amd64-dbg package\n', 'System.map-6.1.0-57-amd64')).toThrow(
      "System.map-6.1.0-57-amd64 is Debian's placeholder, not a symbol map: the real System.map is in the linux-image-6.1.0-57-amd64-dbg package (or read /proc/kallsyms of the running kernel, which has the same format)",
    );
    await ws.write('config', 'CONFIG_X86_64=y\n');
    await expect(loadSymbolFile(ws.path('config'))).rejects.toThrow(`config line 1 is not 'ADDRESS TYPE NAME' as System.map writes it: "CONFIG_X86_64=y"`);
    await ws.write('empty.map', '0000000000000000 A nothing\n');
    await expect(loadSymbolFile(ws.path('empty.map'))).rejects.toThrow('empty.map holds no symbols with an address');
    await expect(loadSymbolFile(ws.path('missing.map'))).rejects.toThrow("cannot open symbol file");
  });
});
