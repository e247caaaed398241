/**
 * The Control scope's KPTI row on a real Linux 6.1 guest that isolates page tables: booted with
 * `pti=on` (QEMU's qemu64 is an AMD CPU, on which Linux leaves PTI off unless asked). The truth is
 * the guest's own: its boot log says "Kernel/User page tables isolation: enabled", and the CPU
 * shows where it runs — in user mode (CS.RPL = 3) CR3 holds the user copy of the PGD, one page
 * above the kernel's (bit 12 set), in kernel mode the kernel's. linux.test.ts checks the other
 * side: the same kernel without PTI shows no row.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, type Client } from '../debugAdapter/session.harness';
import { bootLinux, type BootedLinux } from './linuxGuest';

/** CR3's value and its children in the Control scope of thread 1's top frame. */
async function cr3Rows(c: Client): Promise<{ cr3: bigint; cs: bigint; rows: Map<string, DebugProtocol.Variable> }> {
  const [frame] = await c.frames(1);
  const { scopes } = (await c.dc.scopesRequest({ frameId: frame.id })).body;
  const vars = async (ref: number) => (await c.dc.variablesRequest({ variablesReference: ref })).body.variables;
  const control = await vars(scopes.find((s) => s.name === 'Control')!.variablesReference);
  const segment = await vars(scopes.find((s) => s.name === 'Segment')!.variablesReference);
  const cr3 = control.find((v) => v.name === 'cr3')!;
  const rows = new Map((await vars(cr3.variablesReference)).map((v) => [v.name, v]));
  return { cr3: BigInt(cr3.value), cs: BigInt(segment.find((v) => v.name === 'cs')!.value), rows };
}

describe('Linux 6.1 with pti=on: the Control scope names the other PGD of the pair', () => {
  let g: BootedLinux;
  let c: Client;
  beforeAll(async () => {
    g = await bootLinux({ smp: 1, append: 'pti=on' });
    c = await connectClient();
  }, 240_000);
  afterAll(async () => {
    await c?.disconnect().catch(() => undefined);
    await c?.close();
    await g?.stop();
  });

  it('the guest says it isolates page tables', () => {
    expect(g.serial()).toMatch(/Kernel\/User page tables isolation: enabled/);
  });

  it('in kernel mode and in user mode, the row names the other root of the pair', async () => {
    /** Checks the stop's CR3 row against the CPU's own registers; says which mode the vCPU was in. */
    const check = async (): Promise<'user' | 'kernel'> => {
      const { cr3, cs, rows } = await cr3Rows(c);
      const root = cr3 & 0x000f_ffff_ffff_f000n;
      const inUser = (cs & 3n) === 3n;
      // What PTI does, seen in the CPU's own registers: bit 12 of the root says which copy runs.
      expect(root & 0x1000n, `cs ${cs}`).toBe(inUser ? 0x1000n : 0n);
      const row = rows.get(inUser ? 'kptiKernelRoot' : 'kptiUserRoot');
      expect(row, `cs ${cs}, cr3 0x${cr3.toString(16)}`).toBeDefined();
      expect(BigInt(row!.value)).toBe(root ^ 0x1000n);
      expect(row!.memoryReference).toBe(`p:0x${(root ^ 0x1000n).toString(16)}`);
      return inUser ? 'user' : 'kernel';
    };
    // At attach the shell waits for input: the only vCPU idles in the kernel.
    await c.start('attach', { port: g.gdbPort, timeout: 5000 });
    expect(await check()).toBe('kernel');
    // A shell loop keeps the vCPU in user mode most of the time.
    g.type('while :; do :; done &');
    let user = false;
    for (let i = 0; i < 40 && !user; i++) {
      await c.runTo(() => c.dc.continueRequest({ threadId: 1 }).then(() => new Promise((r) => setTimeout(r, 50 + 37 * i))).then(() => c.dc.pauseRequest({ threadId: 1 })));
      user = (await check()) === 'user';
    }
    expect(user).toBe(true);
  }, 180_000);
});
