import { decodeEntry, entryLevel } from '../paging/entry';
import { describeEntry, entryName, permsText, sizeText } from '../paging/format';
import { translate } from '../paging/translate';
import { hex, parseNumber } from '../util/numbers';
import { formatRegister, registerByName } from '../x86/registers';
import type { SessionContext } from './context';
import { virtualRef } from './memoryRefs';
import type { StopState } from './registersCache';
import { looksLikeAddress } from './variablesRegisters';

export interface HoverResult {
  result: string;
  memoryReference?: string;
}

/**
 * A number as text under the mouse: `0x…`, grouped (`0xffff8000_00000000`, backticks), decimal,
 * or 8/16 bare hex digits as dumps and logs print them. Undefined for anything else.
 */
export function hoverNumber(text: string): bigint | undefined {
  const t = text.trim();
  if (/^[0-9a-f]{8}$|^[0-9a-f]{16}$/i.test(t) && /[a-f]/i.test(t)) return BigInt(`0x${t}`);
  try {
    const v = parseNumber(t);
    return v < 1n << 64n ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What hovering a word shows: for a number, its reading as a 64-bit paging entry and, as a
 * virtual address, where it translates under the vCPU's CR3; for a register, its value.
 * Undefined when the word is neither (the caller then evaluates it as an expression).
 */
export async function hover(text: string, vcpu: number, ctx: SessionContext, state: StopState): Promise<HoverResult | undefined> {
  const value = hoverNumber(text);
  if (value !== undefined) return hoverValue(value, vcpu, ctx, state);
  const name = text.trim().replace(/^\$/, '');
  if (!/^[a-z][a-z0-9_]*$/i.test(name)) return undefined;
  if (!text.trim().startsWith('$') && ctx.symbols.lookup(name)) return undefined; // a symbol: evaluate it
  const regs = await state.registers(vcpu);
  const r = registerByName(regs, name);
  if (r === undefined) return undefined;
  return { result: `${name} = ${formatRegister(name.toLowerCase(), r)}`, ...(looksLikeAddress(r, regs.has('rax')) ? { memoryReference: virtualRef(vcpu, r) } : {}) };
}

async function hoverValue(value: bigint, vcpu: number, ctx: SessionContext, state: StopState): Promise<HoverResult> {
  const lines = [value < 1n << 32n && value > 9n ? `${hex(value)} (${value})` : hex(value)];
  const entry = decodeEntry(value, 'long4', entryLevel('long4', value));
  lines.push(`as a 64-bit ${entryName('long4', entry.level)}: ${describeEntry(entry)}`);
  const paging = await state.paging(vcpu).catch(() => undefined);
  const spec = paging?.spec;
  if (!paging) lines.push('as a VA: the registers cannot be read');
  else if (!spec) lines.push(`as a VA on vCPU ${vcpu}: ${paging.reason}`);
  else {
    try {
      const t = await ctx.target.physicalBatch(() => translate(value, spec, ctx.target.phys));
      if (t.pa !== undefined) {
        const g = t.steps.at(-1)?.entry.fields.G === 1;
        lines.push(`as a VA on vCPU ${vcpu}: PA ${hex(t.pa)} (${sizeText(t.pageSize!)} page; ${permsText(t.perms!, g)})`);
      } else {
        lines.push(`as a VA on vCPU ${vcpu}: no translation: ${t.fault?.message}`);
      }
    } catch (e) {
      lines.push(`as a VA on vCPU ${vcpu}: the walk failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { result: lines.join('\n'), ...(looksLikeAddress(value, true) ? { memoryReference: virtualRef(vcpu, value) } : {}) };
}
