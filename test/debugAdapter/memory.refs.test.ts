import { describe, expect, it } from 'vitest';
import {
  formatMemoryRef,
  type MemoryRef,
  offsetRef,
  parseMemoryRef,
  physicalRef,
  readSpace,
  type SpaceMemory,
  virtualRef,
  writeSpace,
} from '../../src/debugAdapter/memoryRefs';
import { PartialWriteError } from '../../src/target/errors';

describe('memory references', () => {
  it.each<[string, MemoryRef]>([
    ['p:0x1000', { space: { kind: 'physical' }, address: 0x1000n }],
    ['v0:0xffffffff80000012', { space: { kind: 'virtual', vcpu: 0 }, address: 0xffff_ffff_8000_0012n }],
    ['v13:0x0', { space: { kind: 'virtual', vcpu: 13 }, address: 0n }],
  ])('%s round-trips', (text, ref) => {
    expect(parseMemoryRef(text, 5)).toEqual(ref);
    expect(formatMemoryRef(ref)).toBe(text);
  });

  it('a bare address is virtual under the current vCPU (what VS Code sends back)', () => {
    expect(parseMemoryRef('0xffff800000000000', 1)).toEqual({ space: { kind: 'virtual', vcpu: 1 }, address: 0xffff_8000_0000_0000n });
    expect(parseMemoryRef('4096', 0)).toEqual({ space: { kind: 'virtual', vcpu: 0 }, address: 4096n });
    expect(parseMemoryRef('P:0xffff_8000`00000000', 0)).toEqual({ space: { kind: 'physical' }, address: 0xffff_8000_0000_0000n });
  });

  it('helpers write the documented forms', () => {
    expect(physicalRef(0x11_0000n)).toBe('p:0x110000');
    expect(virtualRef(1, 0x4000_0000n)).toBe('v1:0x40000000');
  });

  it('refuses what is not a reference', () => {
    expect(() => parseMemoryRef('x:0x10', 0)).toThrow(/bad memory reference 'x:0x10'/);
    expect(() => parseMemoryRef('p:', 0)).toThrow(/bad memory reference/);
    expect(() => parseMemoryRef('ffff', 0)).toThrow(/p:0x…/);
    expect(() => parseMemoryRef('0x1_0000_0000_0000_0000', 0)).toThrow(/beyond 64 bits/);
  });

  it('offsets move within the 64-bit space only', () => {
    const r = parseMemoryRef('p:0x1000', 0);
    expect(offsetRef(r, -16).address).toBe(0xff0n);
    expect(offsetRef(r, 0x10n).address).toBe(0x1010n);
    expect(() => offsetRef(r, -0x1001)).toThrow(/leaves the 64-bit address space/);
    expect(() => offsetRef({ space: { kind: 'physical' }, address: (1n << 64n) - 1n }, 1)).toThrow(/leaves/);
  });
});

/** Memory with one readable virtual range and physical memory that reads as its address's low byte. */
function fakeMemory(readable: [bigint, bigint]): SpaceMemory & { reads: string[]; writes: string[]; batches: number } {
  const m = {
    reads: [] as string[],
    writes: [] as string[],
    batches: 0,
    async readVirtual(vcpu: number, va: bigint, n: number) {
      m.reads.push(`v${vcpu}:${va.toString(16)}+${n}`);
      if (va < readable[0] || va + BigInt(n) > readable[1]) throw new Error(`E14 at ${va.toString(16)}`);
      return Uint8Array.from({ length: n }, (_, i) => Number((va + BigInt(i)) & 0xffn));
    },
    async writeVirtual(vcpu: number, va: bigint, data: Uint8Array) {
      m.writes.push(`v${vcpu}:${va.toString(16)}=${[...data].join(',')}`);
    },
    async writePhysical(pa: bigint, data: Uint8Array) {
      m.writes.push(`p:${pa.toString(16)}=${[...data].join(',')}`);
    },
    async physicalBatch<T>(fn: () => Promise<T>) {
      m.batches++;
      return fn();
    },
    phys: {
      read: async (pa: bigint, n: number) => {
        m.reads.push(`p:${pa.toString(16)}+${n}`);
        return new Uint8Array(n).fill(Number(pa & 0xffn));
      },
    },
  };
  return m;
}

describe('partial reads', () => {
  it('returns the readable prefix and counts the unreadable tail', async () => {
    const m = fakeMemory([0x1000n, 0x3000n]);
    const r = await readSpace(m, { kind: 'virtual', vcpu: 1 }, 0x2ff0n, 0x30);
    expect(r.data.length).toBe(0x10);
    expect(r.data[0]).toBe(0xf0);
    expect(r.unreadableBytes).toBe(0x20);
    expect(r.error).toMatch(/E14 at 3000/);
    // One try for the whole span, then page by page up to the first page that fails.
    expect(m.reads).toEqual(['v1:2ff0+48', 'v1:2ff0+16', 'v1:3000+32']);
  });

  it('an unreadable start gives no data, not an error', async () => {
    const m = fakeMemory([0x1000n, 0x3000n]);
    const r = await readSpace(m, { kind: 'virtual', vcpu: 0 }, 0x800n, 16);
    expect(r.data.length).toBe(0);
    expect(r.unreadableBytes).toBe(16);
  });

  it('stops at the top of the address space', async () => {
    const m = fakeMemory([0n, 1n << 64n]);
    const r = await readSpace(m, { kind: 'physical' }, (1n << 64n) - 4n, 16);
    expect(r.data.length).toBe(4);
    expect(r.unreadableBytes).toBe(12);
  });

  it('physical reads and writes go through one physical batch', async () => {
    const m = fakeMemory([0x4000_0000n, 0x4000_1000n]);
    const r = await readSpace(m, { kind: 'physical' }, 0x12345n, 8);
    expect([...r.data]).toEqual(new Array(8).fill(0x45));
    expect(m.batches).toBe(1);
    await writeSpace(m, { kind: 'physical' }, 0x800000n, Uint8Array.of(1, 2));
    await writeSpace(m, { kind: 'virtual', vcpu: 1 }, 0x40000000n, Uint8Array.of(3));
    expect(m.batches).toBe(2);
    expect(m.writes).toEqual(['p:800000=1,2', 'v1:40000000=3']);
  });

  it('without allowPartial, a virtual write probes each page first and writes nothing when one is unmapped', async () => {
    const m = fakeMemory([0x1000n, 0x3000n]);
    await expect(writeSpace(m, { kind: 'virtual', vcpu: 0 }, 0x1ff8n, new Uint8Array(0x1010))).rejects.toThrow(
      'nothing written: 0x3000 in the 4112-byte range at 0x1ff8 cannot be reached on vCPU 0 (E14 at 3000)',
    );
    expect(m.reads).toEqual(['v0:1ff8+1', 'v0:2000+1', 'v0:3000+1']);
    expect(m.writes).toEqual([]);
  });

  it('a write the target refuses part-way reports the bytes that landed', async () => {
    const m = fakeMemory([0x1000n, 0x3000n]);
    m.writeVirtual = async () => {
      throw new PartialWriteError('TARGET', 8, 'the stub refused: E14 (the first 8 of 16 bytes were written)');
    };
    const w = await writeSpace(m, { kind: 'virtual', vcpu: 0 }, 0x2ff8n, new Uint8Array(16), true);
    expect(w).toEqual({ bytesWritten: 8, error: 'the stub refused: E14 (the first 8 of 16 bytes were written)' });
    expect(m.reads).toEqual([]); // allowPartial: no probe
    // Nothing landed: the refusal is the answer.
    m.writeVirtual = async () => {
      throw new PartialWriteError('TARGET', 0, 'the stub refused: E14');
    };
    await expect(writeSpace(m, { kind: 'virtual', vcpu: 0 }, 0x2ff8n, new Uint8Array(16), true)).rejects.toThrow('the stub refused: E14');
  });

  it('refuses absurd sizes', async () => {
    const m = fakeMemory([0n, 0n]);
    await expect(readSpace(m, { kind: 'physical' }, 0n, -1)).rejects.toThrow(/bad byte count/);
    await expect(readSpace(m, { kind: 'physical' }, 0n, 64 << 20)).rejects.toThrow(/more than one read serves/);
  });
});
