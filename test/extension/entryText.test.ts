import { describe, expect, it } from 'vitest';
import { emptyRunLabel, entryDescription, entryIcon, entryLabel, entryTooltip, tableChildren, vaText, vcpuRootLabel } from '../../src/extension/tree/entryText';
import type { TableEntry } from '../../src/shared/dapRequests';

/** An entry as the adapter sends it (only what the text uses varies). */
function entry(over: Partial<TableEntry>): TableEntry {
  return { index: 0, va: '0x0', entryPa: '0x1000', level: 1, raw: '0x0', kind: 'not-present', address: '0x0', flags: [], fields: {}, reserved: '0x0', ...over };
}

describe('how the tree writes roots and entries', () => {
  it('a vCPU root: CPU, CR3, mode, and the PCID when set', () => {
    expect(vcpuRootLabel({ vcpu: 0, cr3: '0x2a10000', mode: 'long4', root: '0x2a10000' })).toBe('CPU 0 · CR3 0x2a10000 · 4-level');
    expect(vcpuRootLabel({ vcpu: 1, cr3: '0x8000000002a10003', mode: 'long5', root: '0x2a10000', pcid: 3 })).toBe('CPU 1 · CR3 0x8000000002a10003 · 5-level · PCID 3');
  });

  it('a PML4 slot spans 512 GiB: [273] of the Linux direct map, as the issue writes it', () => {
    // Slot 273 of a 4-level PML4: VA 273 << 39 = 0x888000000000, sign-extended to 0xffff888000000000.
    const e = entry({ index: 273, va: '0xffff888000000000', level: 4, raw: '0x4401067', kind: 'table', address: '0x4401000', flags: ['P', 'RW', 'US', 'A', 'D'] });
    expect(entryLabel('long4', e, 1n << 39n)).toBe('[273] ffff8880_00000000–ffff88ff_ffffffff → 0x4401000');
    expect(entryDescription(e)).toBe('P RW US A D');
    expect(entryIcon(e)).toBe('table');
  });

  it('32-bit VAs in 8 digits; a 4 MiB page and a 4 KiB page', () => {
    expect(vaText('pae', 0xc0000000n)).toBe('c0000000');
    const big = entry({ index: 768, va: '0xc0000000', level: 2, raw: '0x1e3', kind: 'page', address: '0x0', pageSize: 4 << 20, flags: ['P', 'RW', 'A', 'D', 'PS'] });
    expect(entryLabel('legacy32', big, 4n << 20n)).toBe('[768] c0000000–c03fffff → 0x0');
    expect(entryDescription(big)).toBe('4 MiB · P RW A D PS');
    expect(entryIcon(big)).toBe('large-page');
    expect(entryIcon(entry({ kind: 'page', pageSize: 4096 }))).toBe('page');
  });

  it('self-maps, software values in not-present entries and reserved bits say so', () => {
    const self = entry({ index: 493, va: '0xfffff68000000000', level: 4, raw: '0x110063', kind: 'table', address: '0x110000', flags: ['P', 'RW', 'A'], selfMap: true });
    expect(entryDescription(self)).toBe('self-map · P RW A');
    expect(entryIcon(self)).toBe('self-map');
    const swap = entry({ index: 511, raw: '0xdeadb000' });
    expect(entryLabel('long4', swap, 1n << 21n)).toBe('[511] 00000000_00000000–00000000_001fffff');
    expect(entryDescription(swap)).toBe('not present · 0xdeadb000');
    const bad = entry({ raw: '0x10000000000001', kind: 'page', pageSize: 4096, reserved: '0x10000000000000', flags: ['P'] });
    expect(entryIcon(bad)).toBe('reserved');
    expect(entryDescription(bad)).toBe('4 KiB · P · reserved bits 0x10000000000000');
  });

  it('the tooltip: what it is, the raw value, its own PA, and every field in a table', () => {
    const e = entry({ index: 1, va: '0x40200000', entryPa: '0x117008', level: 2, raw: '0x80000000a000e3', kind: 'page', address: '0xa00000', pageSize: 2 << 20, flags: ['P', 'RW', 'A', 'D', 'PS', 'XD'], fields: { P: 1, RW: 1, US: 0, PS: 1, XD: 1 }, patIndex: 0, memoryType: 'WB' });
    const tip = entryTooltip('long4', e, 2n << 20n);
    expect(tip.split('\n')[0]).toBe('**PDE [1]** — 2 MiB page at 0xa00000 · WB (PAT entry 0 of the reset IA32_PAT)');
    expect(tip).toContain('raw `0x80000000a000e3` · at PA `0x117008`');
    expect(tip).toContain('covers `00000000_40200000`–`00000000_403fffff` (2 MiB)');
    expect(tip).toContain('| PS | 1 |');
    expect(tip).toContain('| US | 0 |');
  });
});

describe('a table’s children in the tree', () => {
  const present = (i: number) => entry({ index: i, raw: `0x${(i * 0x1000 + 0x63).toString(16)}`, kind: 'page', pageSize: 4096, flags: ['P'] });

  it('hides not-present entries, and says how many non-zero ones it hid', () => {
    const kids = tableChildren([present(0), entry({ index: 1, raw: '0xdead0000' }), present(5)], { showNotPresent: false, limit: 256, count: 512 });
    expect(kids).toEqual([{ kind: 'entry', entry: present(0) }, { kind: 'entry', entry: present(5) }, { kind: 'hidden', count: 1 }]);
  });

  it('shown, runs of empty entries fold into one line: [4–255] not present', () => {
    const all = Array.from({ length: 512 }, (_, i) => (i < 4 || i === 256 ? present(i) : entry({ index: i })));
    const kids = tableChildren(all, { showNotPresent: true, limit: 256, count: 512 });
    expect(kids.map((k) => (k.kind === 'entry' ? k.entry.index : k.kind === 'emptyRun' ? emptyRunLabel(k.first, k.last) : k.kind))).toEqual([0, 1, 2, 3, '[4–255] not present', 256, '[257–511] not present']);
  });

  it('a full table pages its children: 256 shown, then "more"', () => {
    const kids = tableChildren(Array.from({ length: 512 }, (_, i) => present(i)), { showNotPresent: false, limit: 256, count: 512 });
    expect(kids).toHaveLength(257);
    expect(kids[256]).toEqual({ kind: 'more', shown: 256, total: 512 });
  });
});
