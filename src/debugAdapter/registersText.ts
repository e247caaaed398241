import { decodeCr0, decodeCr3, decodeCr4, decodeEfer, setBitNames } from '../paging/controlRegs';
import { hex } from '../util/numbers';
import { CONTROL, decodeRflags, registerByName, decodeSelector, formatRegister, GENERAL_32, GENERAL_64, SEGMENT_BASES, SELECTORS } from './registers';
import type { MonitorState, VcpuPaging } from './registersCache';

/** The Debug Console's `regs`: the same groups as the Registers view, one line each. */
export function registerLines(vcpu: number, regs: Map<string, bigint>, mon: MonitorState, paging: VcpuPaging): string[] {
  const out = [`# vCPU ${vcpu}`];
  const general = (regs.has('rax') ? GENERAL_64 : GENERAL_32).filter((n) => regs.has(n));
  for (let i = 0; i < general.length; i += 4) {
    out.push(general.slice(i, i + 4).map((n) => `${n.padStart(3)} ${formatRegister(n, regs.get(n)!)}`).join('  '));
  }
  const flags = registerByName(regs, 'eflags');
  if (flags !== undefined) {
    const set = decodeRflags(flags).filter((b) => b.width === 1 && b.value === 1n).map((b) => b.name);
    const iopl = (flags >> 12n) & 3n;
    out.push(`${regs.has('rax') ? 'rflags' : 'eflags'} ${hex(flags, 8)}  [${set.join(' ')}]${iopl ? ` IOPL=${iopl}` : ''}`);
  }
  for (const n of SELECTORS.filter((s) => regs.has(s))) {
    const sel = regs.get(n)!;
    const [index, ti, rpl] = decodeSelector(sel).map((b) => b.value);
    const seg = mon.regs?.segments.get(n);
    const hidden = seg ? `  base ${hex(seg.base, 16)} limit ${hex(seg.limit, 8)} ${seg.text}` : '';
    out.push(`${n.padStart(3)} ${hex(sel, 4)}  index ${index} ${ti ? 'LDT' : 'GDT'} RPL ${rpl}${hidden}`);
  }
  for (const n of SEGMENT_BASES.filter((s) => regs.has(s))) out.push(`${n} ${formatRegister(n, regs.get(n)!)}`);
  if (mon.regs) {
    const { gdtr, idtr, segments } = mon.regs;
    if (gdtr) out.push(`gdtr base ${hex(gdtr.base, 16)} limit ${hex(gdtr.limit, 4)}`);
    if (idtr) out.push(`idtr base ${hex(idtr.base, 16)} limit ${hex(idtr.limit, 4)}`);
    for (const n of ['ldtr', 'tr']) {
      const s = segments.get(n);
      if (s) out.push(`${n.padStart(4)} ${hex(s.selector, 4)}  base ${hex(s.base, 16)} limit ${hex(s.limit, 8)} ${s.text}`);
    }
  } else if (mon.unavailable) {
    out.push(`(gdtr, idtr, ldtr, tr: ${mon.unavailable})`);
  }
  for (const n of CONTROL.filter((c) => regs.has(c))) {
    const v = regs.get(n)!;
    let decoded = '';
    if (n === 'cr0') decoded = setBitNames(decodeCr0(v));
    if (n === 'cr4') decoded = setBitNames(decodeCr4(v));
    if (n === 'efer') decoded = setBitNames(decodeEfer(v));
    if (n === 'cr3') decoded = decodeCr3(v, regs.get('cr4') ?? 0n).map((b) => `${b.name}=${hex(b.value)}`).join(' ');
    out.push(`${n.padStart(4)} ${hex(v, 16)}  ${decoded}`.trimEnd());
  }
  out.push(`# paging: ${paging.reason}`);
  return out;
}
