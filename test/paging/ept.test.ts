import { describe, expect, it } from 'vitest';
import { decodeEntry, decodeEptp, translate, translateTwoStage } from '../../src/paging';
import { SparseMem } from '../helpers/sparseMem';

// SDM vol. 3C, 29.3: EPT entries (tables 29-1..29-6) and the EPTP (24.6.11).

describe('EPT entries', () => {
  it('present when any of R/W/X is set; no P bit', () => {
    expect(decodeEntry(0x5000n | 4n, 'ept', 1).kind).toBe('page'); // execute-only
    expect(decodeEntry(0x5000n, 'ept', 1).kind).toBe('not-present');
  });

  it('a 4 KiB leaf: memory type WB (6), ignore-PAT, user-execute, suppress-#VE', () => {
    const raw = (1n << 63n) | (1n << 10n) | 0x1234000n | (1n << 6n) | (6n << 3n) | 7n;
    expect(decodeEntry(raw, 'ept', 1)).toMatchObject({
      kind: 'page',
      address: 0x1234000n,
      fields: { R: 1, W: 1, X: 1, MT: 6, IPAT: 1, XU: 1, SVE: 1 },
      reserved: 0n,
      problems: [],
    });
  });

  it('A/D exist only when the EPTP enables them', () => {
    const raw = 0x1000n | (1n << 8n) | (1n << 9n) | (6n << 3n) | 3n;
    expect(decodeEntry(raw, 'ept', 1).fields.A).toBeUndefined();
    expect(decodeEntry(raw, 'ept', 1, { eptAD: true }).fields).toMatchObject({ A: 1, D: 1 });
  });

  it('a 2 MiB leaf and its reserved bits 20:12', () => {
    expect(decodeEntry(0x40000000n | 0x80n | 0x37n, 'ept', 2)).toMatchObject({ kind: 'page', pageSize: 2n << 20n, address: 0x40000000n });
    expect(decodeEntry(0x40001000n | 0x80n | 0x37n, 'ept', 2).reserved).toBe(0x1000n);
  });

  it('misconfigurations: write without read, reserved memory type, bits 6:3 of a non-leaf', () => {
    expect(decodeEntry(0x1000n | 2n, 'ept', 1).problems[0]).toMatch(/write permission without read/);
    expect(decodeEntry(0x1000n | (2n << 3n) | 7n, 'ept', 1).problems[0]).toMatch(/memory type 2 is reserved/);
    expect(decodeEntry(0x1000n | (6n << 3n) | 7n, 'ept', 3).reserved).toBe(6n << 3n);
  });
});

describe('EPTP', () => {
  it('WB, 4-level walk, A/D enabled, root 0x30000', () => {
    expect(decodeEptp(0x3005en)).toMatchObject({ memoryType: 6, memoryTypeName: 'WB', levels: 4, accessedDirty: true, root: 0x30000n, problems: [] });
  });
  it('a 5-level walk; an invalid memory type', () => {
    expect(decodeEptp(0x30026n).levels).toBe(5);
    expect(decodeEptp(0x3001dn).problems[0]).toMatch(/memory type 5 is invalid/);
  });
});

/**
 * Host memory: EPT at 0x30000 maps guest-physical [0, 2 MiB) to host-physical 0x400000 with one
 * 2 MiB leaf, and nothing else. The guest's own 4-level tables sit at guest-physical 0x1000..0x4000
 * (so host 0x401000..0x404000) and map VA 0x7000 → GPA 0x5000 and VA 0x8000 → GPA 0x300000.
 */
function host(): SparseMem {
  const m = new SparseMem()
    .u64(0x30000n, 0x31000n | 7n)
    .u64(0x31000n, 0x32000n | 7n)
    .u64(0x32000n, 0x400000n | 0x80n | (6n << 3n) | 7n);
  const g = 0x400000n; // host address of guest-physical 0
  m.u64(g + 0x1000n, 0x2000n | 7n)
    .u64(g + 0x2000n, 0x3000n | 7n)
    .u64(g + 0x3000n, 0x4000n | 7n)
    .u64(g + 0x4000n + 7n * 8n, 0x5000n | 7n)
    .u64(g + 0x4000n + 8n * 8n, 0x300000n | 7n);
  return m;
}
const guest = { mode: 'long4' as const, root: 0x1000n };
const ept = { mode: 'ept' as const, root: 0x30000n };

describe('two-stage translation', () => {
  it('guest VA → GPA → HPA, each guest table translated through EPT', async () => {
    const r = await translateTwoStage(0x7abcn, guest, ept, host());
    expect(r.guest.pa).toBe(0x5abcn);
    expect(r.tables.map((t) => [t.va, t.pa])).toEqual([
      [0x1000n, 0x401000n],
      [0x2000n, 0x402000n],
      [0x3000n, 0x403000n],
      [0x4000n, 0x404000n],
    ]);
    expect(r.hpa).toBe(0x405abcn);
    expect(r.eptFault).toBeUndefined();
  });

  it('an EPT violation on the final GPA', async () => {
    const r = await translateTwoStage(0x8000n, guest, ept, host());
    expect(r.guest.pa).toBe(0x300000n);
    expect(r.hpa).toBeUndefined();
    expect(r.eptFault?.gpa).toBe(0x300000n);
    expect(r.eptFault?.translation.fault?.reason).toBe('not-present');
  });

  it('an EPT violation on a guest table', async () => {
    const r = await translateTwoStage(0x7000n, { mode: 'long4', root: 0x200000n }, ept, host());
    expect(r.eptFault?.gpa).toBe(0x200000n);
    expect(r.guest.fault).toMatchObject({ reason: 'unreadable', level: 4 });
    expect(r.guest.steps).toEqual([]);
  });

  it('EPT alone translates a GPA', async () => {
    expect((await translate(0x1234n, ept, host())).pa).toBe(0x401234n);
  });
});
