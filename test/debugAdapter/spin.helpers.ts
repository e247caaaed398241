/**
 * Shared by the run-control and breakpoint tests on the long4spin guest (and on the halted long4
 * guest where a vCPU must never finish a step): a booted guest behind a GdbProxy that records the
 * packets the adapter sends, a DAP client attached through it, and reads of the loop's counter.
 */
import { expect } from 'vitest';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { GdbProxy } from '../gdbstub/gdbProxy';
import { bootGuest, parseXp, type BootedGuest, type GuestName } from '../guests/harness';
import { SPIN } from '../guests/long4spin.expected';
import { connectClient, ref, type Client } from './session.harness';

export interface ProxiedAttachOptions {
  /** Load the guest's own ELF symbols. */
  symbols?: boolean;
  /** Ask the adapter to trace its packets. */
  trace?: boolean;
}

/**
 * A guest, a recording proxy in front of its gdbstub and a client attached through the proxy.
 * `open` fills the fields one by one, so `close` (from afterAll) stops whatever did start even
 * when a later step failed.
 */
export class ProxiedSession {
  guest!: BootedGuest;
  proxy!: GdbProxy;
  c!: Client;

  constructor(
    readonly name: GuestName,
    readonly options: ProxiedAttachOptions = {},
  ) {}

  /** Boots, proxies, attaches; resolves with the first stop the attach reported. */
  async open(): Promise<DebugProtocol.StoppedEvent | undefined> {
    this.guest = await bootGuest(this.name);
    this.proxy = await GdbProxy.start(this.guest.gdbPort);
    this.c = await connectClient();
    return this.c.start('attach', {
      port: this.proxy.port,
      ...(this.options.symbols ? { symbols: [this.guest.elfPath] } : {}),
      ...(this.options.trace ? { trace: true } : {}),
      timeout: 3000,
    });
  }

  async close(): Promise<void> {
    await this.c?.close();
    await this.proxy?.close();
    await this.guest?.stop();
  }
}

/** The loop's counter, read through QEMU's monitor (an independent view of memory). */
export async function counter(g: BootedGuest): Promise<bigint> {
  return parseXp(await g.hmp(`xp /1gx ${ref(SPIN.spin_counter)}`))[0] ?? -1n;
}

/** Packet text of an address, as Z/z write it. */
export const at = (v: bigint): string => v.toString(16);

/** The last Z/z sent for `address` before the D, and the D itself: the breakpoint was out of QEMU when it detached. */
export function breakpointStateAtDetach(proxy: GdbProxy, address: bigint): string[] {
  const d = proxy.sent.findIndex((p) => p.startsWith('D'));
  const before = proxy.sent.slice(0, d).filter((p) => new RegExp(`^[zZ][01],${at(address)},`).test(p));
  return [before[before.length - 1] ?? 'none', proxy.sent[d] ?? 'no D'];
}

/** After a detach: the loop goes on (the counter moves by more than 1000 in 100 ms) and QEMU says it runs. */
export async function expectStillSpinning(g: BootedGuest): Promise<void> {
  const a = await counter(g);
  await new Promise((r) => setTimeout(r, 100));
  expect(await counter(g)).toBeGreaterThan(a + 1000n);
  expect(await g.hmp('info status')).toMatch(/running/);
}
