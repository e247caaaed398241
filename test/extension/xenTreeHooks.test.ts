import { describe, expect, it } from 'vitest';
import { XenSessionCache, type XenTracked } from '../../src/extension/xen/xenSessionCache';
import { xenTreeHooks } from '../../src/extension/xen/xenTreeHooks';
import type { EntryNode, RootNode } from '../../src/extension/tree/pageTableNodes';
import type { PageTableResult, TableEntry } from '../../src/shared/dapRequests';

// The hooks only route: a stand-in session answers the adapter's requests (the adapter's own answers
// are checked against a real Xen in test/xen/xenStructures.test.ts), and the test reads what the tree shows.
function session(xen: boolean): XenTracked & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    snapshot: { stopCount: 1, state: 'stopped' },
    client: {
      id: 's1',
      request: (async (command: string, args: { mfns?: string[]; mfn?: string }) => {
        asked.push(command);
        if (!xen) throw new Error('no Xen symbols');
        if (command === 'hyperframe/xen/domains') return { build: { name: 'Xen 4.17.7', version: '4.17.7', offsets: 'x' }, domainList: '0x0', domains: [] };
        if (command === 'hyperframe/xen/m2p') return { entries: args.mfns!.map((m) => (m === '0x3fc6e' ? { kind: 'invalid' } : { kind: 'pfn', pfn: `0x${(BigInt(m) - 0x30000n).toString(16)}` })) };
        return undefined;
      }) as XenTracked['client']['request'],
    },
  };
}

const entry = (index: number, address: string, kind: TableEntry['kind'] = 'table'): TableEntry =>
  ({ index, address, kind, level: 4, raw: '0x0', flags: [], fields: {}, reserved: '0x0', va: '0x0', entryPa: '0x0' }) as TableEntry;

const l4: PageTableResult = {
  mode: 'long4', level: 4, table: '0x32a10000', count: 512, entryBytes: 8, coverage: '0x8000000000', patSource: 'reset',
  entries: [entry(0, '0x30123000'), entry(256, '0x3fc6e000'), entry(262, '0x0', 'not-present'), entry(511, '0x30456000')],
};

describe("the Page Tables tree's Xen words", () => {
  it('names slots 256-271 and puts the pfn beside each frame, in a Xen session', async () => {
    const s = session(true);
    const hooks = xenTreeHooks(new XenSessionCache(), () => s);
    const root = { type: 'root', id: 'r', session: { id: 's1' } } as unknown as RootNode;
    const notes = await hooks.annotate!(root, l4);
    expect(Object.fromEntries(notes!)).toEqual({
      0: 'pfn 0x123',
      256: 'Xen: ro-m2p, reserved-shared · no pfn (~0)',
      262: 'Xen: direct-map',
      511: 'pfn 0x456',
    });
    // One domains request per stop, one M2P request per table.
    await hooks.annotate!(root, l4);
    expect(s.asked.filter((c) => c === 'hyperframe/xen/domains')).toHaveLength(1);
  });

  it('adds nothing outside a Xen session', async () => {
    const s = session(false);
    const hooks = xenTreeHooks(new XenSessionCache(), () => s);
    expect(await hooks.annotate!({ session: { id: 's1' } } as unknown as RootNode, l4)).toBeUndefined();
    expect(await hooks.tooltip!({ session: { id: 's1' }, entry: l4.entries[0] } as unknown as EntryNode)).toBeUndefined();
  });
});

describe("the hover's Xen lines", () => {
  it("names the region of a value in Xen's slots, offline too, and gives an MFN's pfn in a Xen session", async () => {
    const { xenHover } = await import('../../src/extension/xen/xenHover');
    const offline = xenHover(new XenSessionCache(), () => undefined);
    expect(await offline.lines(0xffff_8300_0000_1000n, false)).toEqual(['Xen 4.17 x86_64: Xen direct-map (+0x1000, PML4 slot 262): 1:1 direct mapping of all physical memory (offsets PDX-compressed)']);
    expect(await offline.lines(0xffff_8880_0000_1000n, false)).toEqual([]);
    const s = session(true);
    const live = xenHover(new XenSessionCache(), () => s);
    expect(await live.lines(0x30123n, true)).toEqual(['mfn 0x30123 → pfn 0x123 (M2P)']);
    expect(await live.lines(0x30123n, false)).toEqual([]);
  });
});
