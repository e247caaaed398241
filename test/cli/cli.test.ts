import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freebsdPaeCore, XEN_SAMPLE, xenSampleCore } from '../fixtures/sampleDumps';
import { buildElfCore } from '../helpers/elfCoreWriter';
import { cli as run } from '../helpers/runCli';
import { flatElf, STB, STT } from '../symbols/elfWriter';

let dir: string;
let xen: string;
let pae: string;
let raw: string;
let paeSlab: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hf-cli-'));
  xen = join(dir, 'xen.elf');
  pae = join(dir, 'pae.elf');
  raw = join(dir, 'ram.bin');
  writeFileSync(xen, xenSampleCore());
  writeFileSync(pae, freebsdPaeCore());
  // A raw image holding a 32-bit page directory at 0x1000 and a page table at 0x2000.
  const img = new Uint8Array(0x3000);
  const dv = new DataView(img.buffer);
  dv.setUint32(0x1000, 0x2007, true);
  dv.setUint32(0x2000 + 5 * 4, 0x345001, true);
  dv.setUint32(0x1000 + 4, 0x00800083, true);
  writeFileSync(raw, img);
  paeSlab = join(dir, 'pae-slab.elf');
  writeFileSync(paeSlab, paeSlabCore());
});

/**
 * A PAE core whose CR3 points 32 bytes into a page holding two PDPTs, as Linux PAE allocates
 * them from a 32-byte slab. The other PDPT (at the page start) maps VA 0x400000 elsewhere.
 */
function paeSlabCore(): Uint8Array {
  const mem = new Uint8Array(0x5000);
  const dv = new DataView(mem.buffer);
  dv.setBigUint64(0x1000, 0x4001n, true); // the other PDPT: PD at 0x4000
  dv.setBigUint64(0x1020, 0x2001n, true); // ours: PD at 0x2000
  dv.setBigUint64(0x2000 + 2 * 8, 0x3003n, true); // PD[2], VA 0x400000: PT at 0x3000
  dv.setBigUint64(0x3000, 0x5003n, true); // PT[0]: page 0x5000
  dv.setBigUint64(0x4000 + 2 * 8, 0x600083n, true); // the other space: 2 MiB page at 0x600000
  return buildElfCore({ elfClass: 32, segments: [{ pa: 0n, data: mem }], vcpus: [{ regs: { eip: 0x400000n, cr0: 0x80000011n, cr3: 0x1020n, cr4: 0x20n } }] });
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hyperframe decode', () => {
  it('--json: fields under their SDM names', async () => {
    const r = await run('decode', '0x0001a001e3', '--mode', 'pae', '--level', '2', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ P: 1, RW: 1, US: 0, PWT: 0, PCD: 0, A: 1, D: 1, PS: 1, G: 1, PAT: 0, XD: 0, address: '0x1a00000', pageSize: 0x200000 });
  });

  it('without --mode: the 32-bit and the 64-bit readings', async () => {
    const r = await run('decode', '0x8000000012345067', '--json');
    const j = JSON.parse(r.out);
    expect(j.legacy32).toMatchObject({ raw: '0x12345067', address: '0x12345000', P: 1, RW: 1, US: 1 });
    expect(j.legacy32.XD).toBeUndefined();
    expect(j.long4).toMatchObject({ address: '0x12345000', XD: 1 });
    const text = await run('decode', '0x8000000012345067');
    expect(text.out).toMatch(/legacy32 PTE\s+long4 PTE/);
    expect(text.out).toMatch(/XD\s+-\s+1/);
  });

  it('accepts _ and backtick digit groups', async () => {
    const a = JSON.parse((await run('decode', '0xfb14_e067', '--mode', 'pae', '--level', '2', '--json')).out);
    const b = JSON.parse((await run('decode', '0xfb14`e067', '--mode', 'pae', '--level', '2', '--json')).out);
    expect(a.address).toBe('0xfb14e000');
    expect(b).toEqual(a);
  });

  it('--max-phys-bits at the ends of 32..52 narrows the address field', async () => {
    const r = JSON.parse((await run('decode', '0x0000001fff000003', '--mode', 'long4', '--max-phys-bits', '36', '--json')).out);
    // Bits 51:36 are reserved at MAXPHYADDR 36; the address keeps bits 35:12.
    expect([r.address, r.reserved]).toEqual(['0xfff000000', '0x1000000000']);
    expect(JSON.parse((await run('decode', '0x1003', '--mode', 'long4', '--max-phys-bits', '32', '--json')).out).address).toBe('0x1000');
  });

  it('decodes an EPTP', async () => {
    expect(JSON.parse((await run('decode', '0x3005e', '--mode', 'eptp', '--json')).out)).toMatchObject({ levels: 4, memoryTypeName: 'WB', accessedDirty: true, root: '0x30000' });
  });

  it.each([
    [['decode', '0xzz'], /bad entry value '0xzz'/],
    [['decode', '12', '--mode', 'pae64'], /unknown paging mode 'pae64'/],
    [['decode', '0x1', '--mode', 'pae', '--level', '4'], /level 4 does not exist in pae/],
    [['decode', '0x10000000000000000'], /does not fit in 64 bits/],
    [['decode', '0x1', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['decode', '0x1003', '--mode', 'long4', '--max-phys-bits', '8'], /^hyperframe decode: --max-phys-bits 8 is outside 32\.\.52$/],
    [['decode', '0x1003', '--max-phys-bits', '60'], /--max-phys-bits 60 is outside 32\.\.52/],
    [['decode', '0x3005e', '--mode', 'eptp', '--max-phys-bits', '0'], /--max-phys-bits 0 is outside 32\.\.52/],
    [['regs', '--core', '/nonexistent.elf', '--max-phys-bits', '53'], /--max-phys-bits 53 is outside 32\.\.52/],
  ])('bad input %j: one line, exit 2', async (argv, msg) => {
    const r = await run(...(argv as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err.split('\n')).toHaveLength(1);
  });
});

describe('one vocabulary with the Debug Console', () => {
  it('pte is decode\'s alias; without --level a line (and levelGuessed in JSON) says which level was guessed', async () => {
    const decode = await run('decode', '0x80000000001001e3', '--mode', 'long4');
    expect(await run('pte', '0x80000000001001e3', '--mode', 'long4')).toEqual(decode);
    expect(decode.out.split('\n').at(-1)).toBe("level guessed: 2 (PS (bit 7) is set: read as a large page's PDE; --level N reads it at another level)");
    expect((await run('decode', '0x1003')).out.split('\n').at(-1)).toBe('level guessed: 1 (PS (bit 7) is clear: read as a PTE; --level N reads it at another level)');
    expect((await run('decode', '0x1003', '--mode', 'long4', '--level', '1')).out).not.toMatch(/guessed/);
    expect(JSON.parse((await run('pte', '0x1003', '--mode', 'long4', '--json')).out)).toMatchObject({ level: 1, levelGuessed: true });
    expect(JSON.parse((await run('decode', '0x1003', '--mode', 'long4', '--level', '1', '--json')).out).levelGuessed).toBeUndefined();
  });

  it('an unknown option is named once, after the command', async () => {
    const r = await run('walk', '--core', xen, '--bogus');
    expect(r.code).toBe(2);
    expect(r.err).toBe("hyperframe walk: Unknown option '--bogus' ('hyperframe walk --help' lists what it takes)");
  });

  it('COMMAND --help prints that command and SOURCE, exit 0; the Xen commands each their own paragraph', async () => {
    const walk = await run('walk', '--help');
    expect(walk.code).toBe(0);
    expect(walk.out.startsWith('hyperframe walk SOURCE')).toBe(true);
    expect(walk.out).toContain('SOURCE is one of:');
    expect(walk.out).not.toContain('hyperframe decode');
    const m2p = await run('m2p', '-h');
    expect(m2p.out.split('\n').slice(0, 2)).toEqual(['hyperframe m2p <mfn> [--count N] SOURCE --symbols xen-syms [--json]', "  machine_to_phys_mapping: the pfn each machine frame's owner maps it at."]);
    expect(m2p.out).not.toContain('hyperframe p2m');
    expect((await run('pte', '--help')).out.startsWith('hyperframe decode <value>')).toBe(true);
  });

  it('translate takes symbols of --symbols files, registers of the vCPU and arithmetic, as the console does', async () => {
    const syms = join(dir, 'xen-like.syms');
    writeFileSync(syms, flatElf(64, [{ name: 'xen_text', value: 0xffff82d040001000n, size: 0x1000n, info: (STB.GLOBAL << 4) | STT.FUNC }]));
    const byNumber = await run('translate', '0xffff82d040001234', '--core', xen, '--json');
    const bySymbol = await run('translate', 'xen_text+0x234', '--core', xen, '--symbols', syms, '--json');
    expect(bySymbol.err).toBe('');
    expect(JSON.parse(bySymbol.out)).toEqual(JSON.parse(byNumber.out));
    expect(JSON.parse((await run('translate', 'xen_text', '+', '0x234', '--core', xen, '--symbols', syms, '--json')).out).pa).toBe('0x201234');
    // The sample's vCPU 0 has rip 0xffff82d040000000 (sampleDumps.ts): $rip translates like its value.
    const rip = JSON.parse((await run('translate', '$rip+0x10', '--core', xen, '--json')).out);
    expect([rip.va, rip.pa]).toEqual(['0xffff82d040000010', '0x200010']);
    const miss = await run('translate', 'no_such', '--core', xen, '--symbols', syms);
    expect([miss.code, miss.err]).toEqual([2, expect.stringMatching(/^hyperframe translate: .*'no_such' is neither a symbol nor a register/)]);
  });

  it('translate says the PFN, the memory type and the leaf entry\'s VA through the self-map (by hand: slot 258, 0xffff810000000000)', async () => {
    const j = JSON.parse((await run('translate', '0xffff82d040001234', '--core', xen, '--json')).out);
    // The leaf is the PDE at index 0 of the PD reached through PML4[261], PDPT[321]: through the
    // slot its VA is 0xffff810000000000 + (258 << 30) + (va >> 21 & (2^27 - 1)) * 8.
    const va = 0xffff82d040001234n;
    const pdeVa = 0xffff810000000000n + (258n << 30n) + ((va >> 21n) & ((1n << 27n) - 1n)) * 8n;
    expect(j).toMatchObject({ pa: '0x201234', pfn: '0x201', patIndex: 0, memoryType: 'WB', patSource: 'reset', entryVa: `0x${pdeVa.toString(16)}`, selfMapSlot: 258 });
    const back = JSON.parse((await run('translate', `0x${pdeVa.toString(16)}`, '--core', xen, '--json')).out);
    expect(back.pa).toBe(j.steps[2].entryAddress);
    expect(back.insideSelfMap).toEqual({ slotVa: '0xffff810000000000', slot: 258, level: 2 });
    const text = (await run('translate', '0xffff82d040001234', '--core', xen)).out.split('\n');
    expect(text).toContain(`  PDE readable at VA 0x${pdeVa.toString(16)} through the self-map slot 258 (0x102)`);
    expect(text).toContain("  PFN 0x201; memory type WB (PAT entry 0; IA32_PAT taken at its reset value, the guest's is not known; MTRRs may still override)");
  });
});

describe('hyperframe walk and translate on an ELF core', () => {
  it('walk --json: ranges, self-map and shared table of the Xen-like sample; root and mode from the vCPU', async () => {
    const r = await run('walk', '--core', xen, '--json', '--leaves');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.mode).toBe('long4');
    expect(j.root).toBe('0x100000');
    expect(j.ranges.map((x: { va: string; pa: string; size: number; flags: string }) => [x.va, x.pa, x.size, x.flags])).toEqual(
      XEN_SAMPLE.ranges.map(([va, pa, size, flags]) => ['0x' + va.toString(16), '0x' + pa.toString(16), Number(size), flags]),
    );
    expect(j.selfMaps).toEqual([{ va: '0xffff810000000000', size: 2 ** 39, entry: '0x100063', level: 4, target: '0x100000', targetLevel: 4 }]);
    expect(j.sharedTables).toEqual([{ va: '0x8000000000', level: 3, table: '0x101000', firstVa: '0x0' }]);
    expect(j.leaves).toHaveLength(16 * 2 + 4);
    expect(j.leaves[0]).toEqual({ va: '0x400000', pa: '0x600000', size: 4096, entry: '0x600067', level: 1, flags: 'R W X U -', memoryType: 'WB' });
  });

  it('translate: every step, as !pte shows it', async () => {
    const r = await run('translate', '0xffff82d040001234', '--core', xen);
    expect(r.code).toBe(0);
    expect(r.out).toContain('PML4E     at 0x100828 [ 261]');
    expect(r.out).toContain('PDPTE     at 0x106a08 [ 321]');
    expect(r.out).toContain('PDE       at 0x107000 [   0]');
    expect(r.out).toMatch(/PA 0x201234 {2}\(2 MiB page at 0x200000; R - X - G\)/);
  });

  it('translate --json; a miss exits 1 and says where it stopped', async () => {
    const j = JSON.parse((await run('translate', '0x408abc', '--core', xen, '--json')).out);
    expect(j).toMatchObject({ pa: '0x608abc', pageSize: 4096, flags: 'R W - U -' });
    expect(j.steps.map((s: { index: number }) => s.index)).toEqual([0, 0, 2, 8]);
    const miss = await run('translate', '0xffff830040000000', '--core', xen);
    expect(miss.code).toBe(1);
    expect(miss.out).toMatch(/not present \(software value 0x5eadbeef000\)/);
    expect(miss.out).toMatch(/no translation: not present at level 3/);
  });

  it('the FreeBSD PAE core: 32-bit core, PAE from CR4, the linear page table as self-maps', async () => {
    const j = JSON.parse((await run('walk', '--core', pae, '--json')).out);
    expect(j.mode).toBe('pae');
    expect(j.selfMaps.map((s: { va: string }) => s.va)).toEqual(['0xfd800000', '0xfda00000', '0xfdc00000', '0xfde00000']);
    expect(j.ranges.find((x: { va: string }) => x.va === '0xf6800000')).toMatchObject({ pa: '0x1800000', size: 24 << 20, pages: 12, flags: 'R W X - G' });
    // PD3 entries 508..511 point at page tables outside the dump: reported, the walk goes on.
    expect(j.unreadable.map((u: { va: string; table: string }) => [u.va, u.table])).toEqual([
      ['0xff800000', '0x215000'],
      ['0xffa00000', '0x216000'],
      ['0xffc00000', '0x217000'],
      ['0xffe00000', '0xbfe000'],
    ]);
    const t = JSON.parse((await run('translate', '0xfde00000', '--core', pae, '--json')).out);
    expect(t.pa).toBe('0xfb14e000');
  });

  it('regs and translate on a PAE CR3 that is 32-byte aligned: the root is bits 31:5', async () => {
    const r = await run('regs', '--core', paeSlab);
    expect(r.code).toBe(0);
    expect(r.out).toContain('cr3       0x0000000000001020  root=0x1020\n');
    expect(r.out).toContain('# paging: pae (CR0.PG, CR4.PAE), root 0x1020');
    const t = JSON.parse((await run('translate', '0x400123', '--core', paeSlab, '--json')).out);
    expect([t.root, t.steps[0].table, t.pa]).toEqual(['0x1020', '0x1020', '0x5123']);
  });

  it('--root and --mode override the vCPU', async () => {
    const j = JSON.parse((await run('walk', '--core', xen, '--root', '0x101000', '--mode', 'long4', '--json')).out);
    expect(j.root).toBe('0x101000');
  });
});

describe('walk options and search on the Xen-like sample', () => {
  it('--split-pa prints what walk printed before ranges merged by VA (the README block, which the old code wrote)', async () => {
    const r = await run('walk', '--core', xen, '--split-pa');
    expect(r.out.split('\n')).toEqual([
      '# vCPU 0: long4 (CR0.PG, EFER.LMA), CR3 0x100000',
      '# EFER not in the dump: long mode inferred from the CS descriptor (L=1), so EFER.LME and EFER.LMA are set',
      '# EFER.NXE cannot be known from the dump: assumed set (Linux and Xen always enable it), EFER = 0xd00; if this guest runs with NX off, bit 63 of its page-table entries is really reserved',
      '# long4, root 0x100000: 36 pages in 8 ranges',
      'VA                                     PA                        size  flags      pages',
      '0x0000000000400000-0x0000000000407fff  0x0000000000600000      32 KiB  R W X U -  8 x 4K',
      '0x0000000000408000-0x000000000040ffff  0x0000000000608000      32 KiB  R W - U -  8 x 4K',
      '0x0000008000400000-0x0000008000407fff  0x0000000000600000      32 KiB  R W X U -  8 x 4K',
      '0x0000008000408000-0x000000800040ffff  0x0000000000608000      32 KiB  R W - U -  8 x 4K',
      '0xffff800000000000-0xffff8000001fffff  0x0000000000400000       2 MiB  R - - - -  1 x 2M',
      '0xffff82d040000000-0xffff82d0401fffff  0x0000000000200000       2 MiB  R - X - G  1 x 2M',
      '0xffff82d040200000-0xffff82d0403fffff  0x0000000000600000       2 MiB  R W - - G  1 x 2M',
      '0xffff830000000000-0xffff83003fffffff  0x0000000000000000       1 GiB  R W - - G  1 x 1G',
      'shared    0x0000008000000000  level-3 table 0x101000 also reached from 0x0000000000000000',
      'self-map  0xffff810000000000-0xffff817fffffffff  PML4E 0x0000000000100063 -> table 0x100000 (serves at level 4); not descended',
    ]);
  });

  it('the default layout: memory types, the PAT it assumed, the counts at the end', async () => {
    const lines = (await run('walk', '--core', xen)).out.split('\n');
    expect(lines).toContain('# memory types: IA32_PAT assumed at its reset value 0x0007040600070406 (the guest\'s is not readable over a gdb stub or from a core; --pat gives it)');
    expect(lines).toContain('0xffff830000000000-0xffff83003fffffff  0x0000000000000000       1 GiB  R W - - G  WB    1 x 1G');
    expect(lines.at(-1)).toBe('# long4, root 0x100000: 36 pages in 8 ranges');
  });

  it('--find-alias: every page that maps a PA, one line each; --filter and --range narrow; --has picks a range', async () => {
    const alias = JSON.parse((await run('walk', '--core', xen, '--find-alias', '0x600123', '--json')).out);
    expect(alias.leaves.map((l: { va: string; pa: string }) => [l.va, l.pa])).toEqual([
      ['0x400000', '0x600000'],
      ['0x8000400000', '0x600000'],
      ['0xffff82d040200000', '0x600000'],
      ['0xffff830000000000', '0x0'], // the direct map's 1 GiB page holds every PA below 1 GiB
    ]);
    const wx = JSON.parse((await run('walk', '--core', xen, '--filter', 'w,x', '--json')).out);
    expect(wx.ranges.map((r: { va: string }) => r.va)).toEqual(['0x400000', '0x8000400000']);
    const g = JSON.parse((await run('walk', '--core', xen, '--filter', 's', '--filter', 'x', '--range', '0xffff800000000000-0xffffffffffffffff', '--json')).out);
    expect(g.ranges.map((r: { va: string }) => r.va)).toEqual(['0xffff82d040000000']);
    const has = JSON.parse((await run('walk', '--core', xen, '--has', '0x40a123', '--json')).out);
    expect(has.ranges).toEqual([expect.objectContaining({ va: '0x408000', size: 0x8000 })]);
  });

  it('search finds a PTE where translate says it is, through the direct map', async () => {
    const t = JSON.parse((await run('translate', '0x400000', '--core', xen, '--json')).out);
    const pte = t.steps.at(-1);
    const r = await run('search', '--core', xen, '--u64', pte.entry.raw, '--range', '0xffff830000000000-0xffff83003fffffff', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.hits).toContainEqual({ va: `0x${(0xffff830000000000n + BigInt(pte.entryAddress)).toString(16)}`, pa: pte.entryAddress });
    expect(j.unreadable).toBe(1); // the 1 GiB page runs past the dump's 8 MiB
  });

  it.each([
    [['walk', '--core', 'XEN', '--filter', 'rwx'], /unknown filter 'rwx': expected w, x, ro, u, s, wb, uc/],
    [['walk', '--core', 'XEN', '--range', '0x2000-0x1000'], /bad range '0x2000-0x1000': 0x1000 is below 0x2000/],
    [['walk', '--core', 'XEN', '--range', '0x1000'], /bad range '0x1000': expected FROM-TO/],
    [['walk', '--core', 'XEN', '--range', '0-0x1000', '--from', '0'], /give --range FROM-TO or --from\/--to, not both/],
    [['search', '--core', 'XEN'], /search takes one of --bytes HEX, --string TEXT or --u64 VALUE/],
    [['search', '--core', 'XEN', '--bytes', 'xyz'], /bad --bytes 'xyz'/],
    [['walk', '--target', '127.0.0.1:1', '--physical', 'maybe'], /bad --physical 'maybe': expected auto, file, proc, qemu, identity or a direct-map offset/],
  ])('bad walk options %j: one line, exit 2', async (argv, msg) => {
    const r = await run(...(argv as string[]).map((a) => (a === 'XEN' ? xen : a)));
    expect(r.err).toMatch(msg);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
  });
});

describe('hyperframe on a raw image', () => {
  it('walks 32-bit tables with --root and --mode', async () => {
    const j = JSON.parse((await run('walk', '--raw', raw, '--root', '0x1000', '--mode', 'legacy32', '--json')).out);
    expect(j.ranges.map((x: { va: string; pa: string; size: number }) => [x.va, x.pa, x.size])).toEqual([
      ['0x5000', '0x345000', 4096],
      ['0x400000', '0x800000', 4 << 20],
    ]);
  });

  it('--base shifts the image: tables no longer where the root says', async () => {
    const r = await run('translate', '0x5000', '--raw', raw, '--base', '0x10000', '--root', '0x1000', '--mode', 'legacy32');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no translation: level-2 table at 0x1000 cannot be read: .*outside raw image ram.bin, which holds PA 0x10000/);
  });

  it.each([
    [['walk', '--raw', '/nonexistent/x.bin', '--root', '0', '--mode', 'long4'], /cannot open.*x\.bin/i],
    [['walk', '--raw', 'RAW', '--mode', 'long4'], /no registers: give --root/],
    [['walk', '--root', '0x1000', '--mode', 'long4'], /give --target HOST:PORT, --core FILE or --raw FILE/],
    [['walk', '--raw', 'RAW', '--root', '0x1001', '--mode', 'long4'], /bad root 0x1001/],
    [['walk', '--core', 'RAW'], /not an ELF core.*--raw/],
    [['translate', '0x1000', '--core', 'TRUNC'], /truncat|cut|past the end|ends/i],
  ])('bad input %j: one line, exit 2', async (argv, msg) => {
    const trunc = join(dir, 'trunc.elf');
    writeFileSync(trunc, xenSampleCore().subarray(0, 300));
    const r = await run(...(argv as string[]).map((a) => (a === 'RAW' ? raw : a === 'TRUNC' ? trunc : a)));
    expect(r.err).toMatch(msg);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
  });
});

describe('hyperframe on a live target that is not there', () => {
  it('a refused connection names the host and port tried and how to start QEMU with its stub', async () => {
    // A port that was free a moment ago: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const r = await run('translate', '0x1000', '--target', `127.0.0.1:${port}`);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `hyperframe translate: cannot connect to 127.0.0.1:${port}: nothing listens there (ECONNREFUSED). ` +
        `Start QEMU with its gdbstub on that port: -gdb tcp::${port} (-s listens on 1234); add -S to hold the guest before its first instruction`,
    );
  });
});

describe('the built command', () => {
  it('runs from dist/cli.js with exit status 2 on bad input', () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'pipe' });
    const ok = spawnSync(process.execPath, ['dist/cli.js', 'decode', '0x1a001e3', '--mode', 'pae', '--json'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).PS).toBe(1);
    const bad = spawnSync(process.execPath, ['dist/cli.js', 'walk', '--core', '/nonexistent.elf'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
