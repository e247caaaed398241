/** Target memory for tests: readable regions, with every read recorded. Reads return the readable prefix, like a stub that stops at the first bad page. */
export interface FakeMemory {
  read(addr: bigint, bytes: number): Promise<Uint8Array | undefined>;
  reads: Array<[bigint, number]>;
}

export function fakeMemory(regions: Array<{ va: bigint; bytes: Uint8Array }>, opts: { throwOnUnreadable?: boolean } = {}): FakeMemory {
  const reads: Array<[bigint, number]> = [];
  const byteAt = (va: bigint): number | undefined => {
    for (const r of regions) {
      if (va >= r.va && va < r.va + BigInt(r.bytes.length)) return r.bytes[Number(va - r.va)];
    }
    return undefined;
  };
  return {
    reads,
    async read(addr, bytes) {
      reads.push([addr, bytes]);
      const out: number[] = [];
      for (let i = 0; i < bytes; i++) {
        const b = byteAt(addr + BigInt(i));
        if (b === undefined) break;
        out.push(b);
      }
      if (out.length === 0) {
        if (opts.throwOnUnreadable) throw new Error(`E14: cannot read ${addr.toString(16)}`);
        return undefined;
      }
      return Uint8Array.from(out);
    },
  };
}

export const fill = (bytes: number, value: number): Uint8Array => new Uint8Array(bytes).fill(value);
