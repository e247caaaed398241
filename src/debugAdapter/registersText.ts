import { hex } from '../util/numbers';
import { setBitNames } from '../util/bitFields';
import { CONTROL, controlRegisterText, decodeRflags, decodeSelector, formatRegister, GENERAL_32, GENERAL_64, registerByName, SEGMENT_BASES, SELECTORS } from '../x86/registers';
import type { SegmentsState, VcpuPaging } from './registersCache';

/** The Debug Console's `regs`: the same groups as the Registers view, one line each. */
export function registerLines(vcpu: number, regs: Map<string, bigint>, mon: SegmentsState, paging: VcpuPaging): string[] {
  const out = [`# vCPU ${vcpu}`];
  const general = (regs.has('rax') ? GENERAL_64 : GENERAL_32).filter((n) => regs.has(n));
  for (let i = 0; i < general.length; i += 4) {
    out.push(general.slice(i, i + 4).map((n) => `${n.padStart(3)} ${formatRegister(n, regs.get(n)!)}`).join('  '));
  }
  const flags = registerByName(regs, 'eflags');
  if (flags !== undefined) {
    const iopl = (flags >> 12n) & 3n;
    out.push(`${regs.has('rax') ? 'rflags' : 'eflags'} ${hex(flags, 8)}  [${setBitNames(decodeRflags(flags))}]${iopl ? ` IOPL=${iopl}` : ''}`);
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
  for (const n of CONTROL.filter((c) => regs.has(c))) out.push(`${n.padStart(4)} ${hex(regs.get(n)!, 16)}  ${controlRegisterText(n, regs)}`.trimEnd());
  out.push(`# paging: ${paging.reason}`);
  return out;
}
