import { HyperFrameError } from '../util/errors';
import { hex, parseNumber } from '../util/numbers';

/**
 * DAP memory references name an address space as well as an address, because a hypervisor
 * debugger has several: physical memory, and one virtual space per vCPU (each has its own CR3).
 *
 *   p:0x1000             physical address 0x1000
 *   v1:0xffff800000000000 virtual address under vCPU 1
 *   0xffff800000000000   virtual, under the vCPU the user is looking at (what VS Code sends when
 *                        it passes back an instruction or a typed address)
 */
export type AddressSpace = { kind: 'physical' } | { kind: 'virtual'; vcpu: number };

export interface MemoryRef {
  space: AddressSpace;
  address: bigint;
}

export const ADDRESS_LIMIT = 1n << 64n;

export function physicalRef(pa: bigint): string {
  return `p:${hex(pa)}`;
}

export function virtualRef(vcpu: number, va: bigint): string {
  return `v${vcpu}:${hex(va)}`;
}

export function formatMemoryRef(ref: MemoryRef): string {
  return ref.space.kind === 'physical' ? physicalRef(ref.address) : virtualRef(ref.space.vcpu, ref.address);
}

/** Parses a memory reference; a bare number is virtual under `currentVcpu`. */
export function parseMemoryRef(text: string, currentVcpu: number): MemoryRef {
  const t = text.trim();
  const m = /^(p|v(\d+)):(.*)$/i.exec(t);
  let space: AddressSpace;
  let number: string;
  if (m) {
    space = m[1].toLowerCase() === 'p' ? { kind: 'physical' } : { kind: 'virtual', vcpu: Number(m[2]) };
    number = m[3];
  } else {
    space = { kind: 'virtual', vcpu: currentVcpu };
    number = t;
  }
  let address: bigint;
  try {
    address = parseNumber(number, 'address');
  } catch {
    throw new HyperFrameError(
      'BAD_ARGUMENT',
      `bad memory reference '${text}': expected p:0x… (physical), v<cpu>:0x… (virtual under a vCPU) or 0x… (virtual under the current vCPU)`,
    );
  }
  if (address >= ADDRESS_LIMIT) throw new HyperFrameError('BAD_ARGUMENT', `memory reference '${text}' is beyond 64 bits`);
  return { space, address };
}
