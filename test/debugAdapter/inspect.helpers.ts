/**
 * Inspection over a real LiveTarget attached to a booted test guest, with the guest's own ELF
 * symbols moved to the high-half alias its code runs at (0xffffffff80000000 + offset).
 */
import type { SessionContext } from '../../src/debugAdapter/context';
import { Inspection } from '../../src/debugAdapter/inspection';
import { loadElfSymbols, SymbolTable } from '../../src/symbols';
import { LiveTarget } from '../../src/target/liveTarget';
import { bootGuest, type BootedGuest, type GuestName } from '../guests/harness';

/** long4's image is linked at 0x100000 and runs at 0xffffffff80000000. */
export const HIGH_ALIAS_BIAS = 0xffff_ffff_8000_0000n - 0x10_0000n;

export interface LiveInspection {
  guest: BootedGuest;
  target: LiveTarget;
  inspection: Inspection;
  ctx: SessionContext;
  /** The vCPU the "user" looks at. */
  focus(vcpu: number): void;
  logs: string[];
  close(): Promise<void>;
}

export async function liveInspection(name: GuestName, opts: { symbols?: boolean } = {}): Promise<LiveInspection> {
  const guest = await bootGuest(name);
  let target: LiveTarget | undefined;
  try {
    target = await LiveTarget.attach({ host: '127.0.0.1', port: guest.gdbPort });
    const symbols = opts.symbols ? SymbolTable.merge([{ table: await loadElfSymbols(guest.elfPath), bias: HIGH_ALIAS_BIAS }]) : SymbolTable.empty();
    let current = 0;
    const logs: string[] = [];
    const ctx: SessionContext = { target, symbols, currentVcpu: () => current, log: (t) => logs.push(t) };
    const t = target;
    return {
      guest,
      target,
      inspection: new Inspection(ctx),
      ctx,
      focus: (v) => (current = v),
      logs,
      close: async () => {
        await t.close().catch(() => undefined);
        await guest.stop();
      },
    };
  } catch (e) {
    await target?.close().catch(() => undefined);
    await guest.stop();
    throw e;
  }
}

/** A scope's variables by name, and a way into their children. */
export async function variablesOf(insp: Inspection, ref: number): Promise<Map<string, { value: string; ref: number; memoryReference?: string; type?: string; evaluateName?: string }>> {
  const vars = await insp.variables({ variablesReference: ref });
  return new Map(vars.map((v) => [v.name, { value: v.value, ref: v.variablesReference, memoryReference: v.memoryReference, type: v.type, evaluateName: v.evaluateName }]));
}

export function b64(data: string): Uint8Array {
  return new Uint8Array(Buffer.from(data, 'base64'));
}
