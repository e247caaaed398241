import type { DebugProtocol } from '@vscode/debugprotocol';
import { decodeCr0, decodeCr3, decodeCr4, decodeEfer } from '../paging/controlRegs';
import { linuxKptiRoots } from '../paging/kpti';
import { modeFromRegs } from '../paging/modes';
import { HyperFrameError } from '../util/errors';
import { hex } from '../util/numbers';
import { fieldMask, formatBit, type RegisterBit, withField } from '../util/bitFields';
import { CONTROL, decodeRflags, decodeSelector, formatRegister, GENERAL_32, GENERAL_64, registerDigits, SEGMENT_BASES, SELECTORS, VIRTUAL_ADDRESS_REGISTERS } from '../x86/registers';
import type { SessionContext } from './context';
import { physicalRef, virtualRef } from './memoryRefs';
import type { StopState } from './registersCache';
import { segmentAttributes, type SegmentState, type TableRegister } from '../x86/segments';
import type { VarEntry, VariableStore } from './variablesStore';

/** The Registers scopes of one vCPU: General, Segment and Control. */
export class RegisterScopes {
  constructor(
    private readonly ctx: SessionContext,
    private readonly state: StopState,
    private readonly store: VariableStore,
  ) {}

  scopes(vcpu: number): DebugProtocol.Scope[] {
    const scope = (name: string, children: () => Promise<VarEntry[]>): DebugProtocol.Scope => ({
      name,
      presentationHint: 'registers',
      variablesReference: this.store.add(children),
      expensive: false,
    });
    return [
      scope('General', () => this.general(vcpu)),
      scope('Segment', () => this.segment(vcpu)),
      scope('Control', () => this.control(vcpu)),
    ];
  }

  private write(vcpu: number, name: string): (v: bigint) => Promise<void> {
    return (v) => this.ctx.target.writeRegister(vcpu, name, v);
  }

  /** A register row; `display` when the view's name differs from the stub's (rflags → eflags). */
  private register(vcpu: number, regs: Map<string, bigint>, name: string, display = name): VarEntry {
    const value = regs.get(name)!;
    const wide = regs.has('rax');
    const isAddress = VIRTUAL_ADDRESS_REGISTERS.has(name) || (!['eflags', 'rflags', 'cr3', 'cr0', 'cr4', 'cr8', 'efer'].includes(name) && looksLikeAddress(value, wide));
    return {
      variable: {
        name: display,
        value: formatRegister(display, value),
        evaluateName: `$${display}`,
        ...(isAddress ? { memoryReference: virtualRef(vcpu, value) } : {}),
      },
      set: this.write(vcpu, name),
      maxValue: (1n << BigInt(registerDigits(display) * 4)) - 1n,
    };
  }

  /**
   * A register whose bits are its children. Children and writes read the register again, so a
   * second bit written from a view that was not refreshed does not undo the first.
   */
  private bitsRow(
    vcpu: number,
    regs: Map<string, bigint>,
    name: string,
    display: string,
    decode: (value: bigint, regs: Map<string, bigint>) => RegisterBit[],
    extra: (value: bigint, regs: Map<string, bigint>) => VarEntry[] | Promise<VarEntry[]> = () => [],
  ): VarEntry {
    const row = this.register(vcpu, regs, name, display);
    row.children = async () => {
      const fresh = await this.state.registers(vcpu);
      const value = fresh.get(name) ?? 0n;
      const rows = decode(value, fresh).map((b) => {
        const e = bitEntry(b, `$${display}`, async (field) => {
          const cur = (await this.state.registers(vcpu)).get(name) ?? 0n;
          await this.ctx.target.writeRegister(vcpu, name, b.name === 'root' ? withRoot(cur, b, field) : withField(cur, b, field));
        });
        if (b.name === 'root') {
          // An address, not a field: shown and written as the physical address it is.
          e.variable.value = hex(b.value, 16);
          e.variable.memoryReference = physicalRef(b.value);
          e.maxValue = fieldMask(b);
        }
        return e;
      });
      return [...rows, ...(await extra(value, fresh))];
    };
    return row;
  }

  async general(vcpu: number): Promise<VarEntry[]> {
    const regs = await this.state.registers(vcpu);
    const names = regs.has('rax') ? GENERAL_64 : GENERAL_32;
    const out = names.filter((n) => regs.has(n)).map((n) => this.register(vcpu, regs, n));
    // The stub calls it eflags even in long mode; QEMU's cores call it rflags.
    const flags = ['eflags', 'rflags'].find((f) => regs.has(f));
    if (flags) out.push(this.bitsRow(vcpu, regs, flags, regs.has('rax') ? 'rflags' : 'eflags', decodeRflags));
    return out;
  }

  async segment(vcpu: number): Promise<VarEntry[]> {
    const regs = await this.state.registers(vcpu);
    const mon = await this.state.segments(vcpu);
    const out: VarEntry[] = [];
    for (const n of SELECTORS.filter((s) => regs.has(s))) {
      const seg = mon.regs?.segments.get(n);
      out.push(this.bitsRow(vcpu, regs, n, n, decodeSelector, () => (seg ? hiddenPart(vcpu, seg) : [])));
    }
    for (const n of SEGMENT_BASES.filter((s) => regs.has(s))) out.push(this.register(vcpu, regs, n));
    if (!mon.regs) {
      out.push(info('gdtr, idtr, ldtr, tr', `unavailable: ${mon.unavailable ?? 'no monitor'}`));
      return out;
    }
    const { gdtr, idtr, segments } = mon.regs;
    if (gdtr) out.push(tableRegister(vcpu, 'gdtr', gdtr));
    if (idtr) out.push(tableRegister(vcpu, 'idtr', idtr));
    for (const n of ['ldtr', 'tr']) {
      const seg = segments.get(n);
      if (!seg) continue;
      out.push({
        variable: { name: n, value: hex(seg.selector, 4), ...(seg.text ? { type: seg.text } : {}) },
        children: async () => [...decodeSelector(seg.selector).map((b) => bitEntry(b)), ...hiddenPart(vcpu, seg)],
      });
    }
    return out;
  }

  async control(vcpu: number): Promise<VarEntry[]> {
    const regs = await this.state.registers(vcpu);
    const out: VarEntry[] = [];
    for (const n of CONTROL.filter((c) => regs.has(c))) {
      const v = regs.get(n)!;
      if (n === 'cr0') out.push(this.bitsRow(vcpu, regs, n, n, decodeCr0));
      else if (n === 'cr4') out.push(this.bitsRow(vcpu, regs, n, n, decodeCr4));
      else if (n === 'efer') out.push(this.bitsRow(vcpu, regs, n, n, decodeEfer));
      else if (n === 'cr3') out.push(this.cr3Row(vcpu, regs, v));
      else out.push(this.register(vcpu, regs, n));
    }
    const paging = await this.state.paging(vcpu);
    out.push(info('paging', paging.reason));
    return out;
  }

  private cr3Row(vcpu: number, regs: Map<string, bigint>, cr3: bigint): VarEntry {
    const row = this.bitsRow(vcpu, regs, 'cr3', 'cr3', cr3Fields, (value, fresh) => this.kptiRow(value, fresh));
    row.variable.memoryReference = physicalRef(cr3Fields(cr3, regs)[0].value);
    return row;
  }

  /**
   * Where the guest is Linux with page-table isolation (paging/kpti.ts decides from the two
   * tables), the other root of the pair, beside CR3's own: the user root while CR3 holds the
   * kernel's, the kernel root while it holds the user's. Nothing on any other guest.
   */
  private async kptiRow(cr3: bigint, regs: Map<string, bigint>): Promise<VarEntry[]> {
    const m = modeFromRegs({ cr0: regs.get('cr0') ?? 0n, cr3, cr4: regs.get('cr4') ?? 0n, efer: regs.get('efer') ?? 0n });
    const mode = m.mode;
    if (mode !== 'long4' && mode !== 'long5') return [];
    const { target } = this.ctx;
    // Unreadable tables (a dump without them) show no pair rather than fail the whole scope.
    const pair = await target.physicalBatch(() => linuxKptiRoots(mode, m.root, target.phys)).catch(() => undefined);
    if (!pair) return [];
    const inUser = m.root === pair.userRoot;
    const other = inUser ? pair.kernelRoot : pair.userRoot;
    return [
      {
        variable: {
          name: inUser ? 'kptiKernelRoot' : 'kptiUserRoot',
          value: hex(other, 16),
          type: inUser
            ? 'Linux KPTI: CR3 holds the user copy of the PGD; this is the kernel PGD it mirrors'
            : "Linux KPTI: the user-mode copy of this PGD (root | 0x1000): the same user half, a kernel half that maps only the entry code",
          memoryReference: physicalRef(other),
          presentationHint: { attributes: ['readOnly'] },
        },
      },
    ];
  }
}

/** CR3's fields as the mode that the vCPU's CR4 and EFER select reads them; the root comes first. */
function cr3Fields(cr3: bigint, regs: Map<string, bigint>): RegisterBit[] {
  return decodeCr3(cr3, regs.get('cr4') ?? 0n, regs.get('efer') ?? 0n);
}

/**
 * CR3 with its root replaced by `address`, a physical address aligned as the mode requires:
 * 32 bytes for PAE's PDPT, else 4 KiB.
 */
function withRoot(cr3: bigint, b: RegisterBit, address: bigint): bigint {
  const m = fieldMask(b);
  if (address & ~m) {
    const align = b.bit === 12 ? '4 KiB' : `${1 << b.bit}-byte`;
    throw new HyperFrameError('BAD_ARGUMENT', `root ${hex(address)} is not a ${align}-aligned physical address below 2^${b.bit + b.width}`);
  }
  return (cr3 & ~m) | address;
}

function bitEntry(b: RegisterBit, parent?: string, write?: (field: bigint) => Promise<void>): VarEntry {
  const evaluateName = parent ? (b.width === 1 ? `(${parent} >> ${b.bit}) & 1` : `(${parent} >> ${b.bit}) & ${hex((1n << BigInt(b.width)) - 1n)}`) : undefined;
  return {
    variable: { name: b.name, value: formatBit(b), type: b.meaning, ...(evaluateName ? { evaluateName } : {}), ...(write ? {} : { presentationHint: { attributes: ['readOnly'] } }) },
    ...(write ? { set: write, maxValue: (1n << BigInt(b.width)) - 1n } : {}),
  };
}

function info(name: string, value: string): VarEntry {
  return { variable: { name, value, presentationHint: { attributes: ['readOnly'] } } };
}

function readOnlyHex(name: string, value: bigint, digits: number, memoryReference?: string, type?: string): VarEntry {
  return { variable: { name, value: hex(value, digits), presentationHint: { attributes: ['readOnly'] }, ...(memoryReference ? { memoryReference } : {}), ...(type ? { type } : {}) } };
}

/** Base, limit and attributes of a segment register, as the monitor shows them (read-only). */
function hiddenPart(vcpu: number, seg: SegmentState): VarEntry[] {
  const out = [readOnlyHex('base', seg.base, 16, virtualRef(vcpu, seg.base)), readOnlyHex('limit', seg.limit, 8)];
  const attributes = seg.attributes;
  if (attributes !== undefined) {
    out.push({
      variable: { name: 'attributes', value: hex(attributes, 8), ...(seg.text ? { type: seg.text } : {}), presentationHint: { attributes: ['readOnly'] } },
      children: async () => segmentAttributes(attributes).map((a) => info(a.name, a.value < 10n ? a.value.toString() : hex(a.value))),
    });
  }
  return out;
}

function tableRegister(vcpu: number, name: string, t: TableRegister): VarEntry {
  return {
    variable: { name, value: `base ${hex(t.base, 16)} limit ${hex(t.limit, 4)}`, memoryReference: virtualRef(vcpu, t.base), presentationHint: { attributes: ['readOnly'] } },
    children: async () => [readOnlyHex('base', t.base, 16, virtualRef(vcpu, t.base)), readOnlyHex('limit', t.limit, 4)],
  };
}

/** A value worth a memory view: canonical and above the first page. */
export function looksLikeAddress(v: bigint, wide: boolean): boolean {
  if (v < 0x1000n) return false;
  if (!wide) return v < 1n << 32n;
  return v < 0x8000_0000_0000n || (v >= 0xffff_8000_0000_0000n && v < 1n << 64n);
}
