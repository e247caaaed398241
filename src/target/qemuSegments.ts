import { HyperFrameError } from '../util/errors';
import type { SegmentRegisters } from '../x86/segments';

/**
 * Segment state from what QEMU's gdbstub does not report but its monitor's `info registers`
 * prints: the hidden parts of the segment registers, LDTR, TR, GDTR and IDTR.
 *
 *   CS =0018 0000000000000000 ffffffff 00af9a00 DPL=0 CS64 [-R-]
 *   LDT=0000 0000000000000000 0000ffff 00008200 DPL=0 LDT
 *   GDT=     00000000001001e0 0000001f
 */
const SEGMENT_NAMES: Record<string, string> = { ES: 'es', CS: 'cs', SS: 'ss', DS: 'ds', FS: 'fs', GS: 'gs', LDT: 'ldtr', TR: 'tr' };

export function parseInfoRegisters(text: string): SegmentRegisters {
  const out: SegmentRegisters = { segments: new Map() };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const seg = /^(ES|CS|SS|DS|FS|GS|LDT|TR)\s*=([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)\s*(.*)$/i.exec(line);
    if (seg) {
      out.segments.set(SEGMENT_NAMES[seg[1].toUpperCase()], {
        selector: BigInt(`0x${seg[2]}`),
        base: BigInt(`0x${seg[3]}`),
        limit: BigInt(`0x${seg[4]}`),
        attributes: BigInt(`0x${seg[5]}`),
        text: seg[6].trim(),
      });
      continue;
    }
    const table = /^(GDT|IDT)\s*=\s*([0-9a-f]+) ([0-9a-f]+)/i.exec(line);
    if (table) {
      const value = { base: BigInt(`0x${table[2]}`), limit: BigInt(`0x${table[3]}`) };
      if (table[1].toUpperCase() === 'GDT') out.gdtr = value;
      else out.idtr = value;
    }
  }
  return out;
}

/** A vCPU's segment state through the monitor (`cpu N` then `info registers`); TARGET when it tells none. */
export async function segmentsFromMonitor(monitor: (command: string, vcpu: number) => Promise<string>, vcpu: number): Promise<SegmentRegisters> {
  let text: string;
  try {
    text = await monitor('info registers', vcpu);
  } catch (e) {
    throw new HyperFrameError('TARGET', `the monitor's \`info registers\` failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const regs = parseInfoRegisters(text);
  if (!regs.segments.size && !regs.gdtr) throw new HyperFrameError('TARGET', "the monitor's `info registers` shows no segment registers");
  return regs;
}
