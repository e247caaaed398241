/**
 * What the stub can do, learned once after connecting: `qSupported` (packet size, multiprocess
 * ids, target descriptions, no-ack mode), QEMU's `qqemu.Supported`, and no-ack mode when
 * offered. Stubs that answer `qSupported` with empty (gdbsx, Xen) get conservative defaults.
 */
import { GdbConnection } from './connection';
import { classifyReply, expectOk } from './replies';

/** What we tell the stub we understand. */
export const CLIENT_FEATURES = 'multiprocess+;swbreak+;hwbreak+;qRelocInsn+;vContSupported+;xmlRegisters=i386';

export interface StubFeatures {
  /** Largest packet the stub accepts, in bytes (from PacketSize, hex). */
  packetSize?: number;
  multiprocess: boolean;
  targetDescription: boolean;
  noAckMode: boolean;
  /** QEMU: `Qqemu.PhyMemMode` is available. */
  phyMemMode: boolean;
  /** Every feature as sent: `name` → value, or true/false for `name+`/`name-`. */
  raw: Map<string, string | boolean>;
}

export function parseSupported(reply: string): Map<string, string | boolean> {
  const out = new Map<string, string | boolean>();
  for (const item of reply.split(';')) {
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq >= 0) out.set(item.slice(0, eq), item.slice(eq + 1));
    else if (item.endsWith('+')) out.set(item.slice(0, -1), true);
    else if (item.endsWith('-') || item.endsWith('?')) out.set(item.slice(0, -1), false);
    else out.set(item, true);
  }
  return out;
}

export async function negotiate(conn: GdbConnection): Promise<StubFeatures> {
  const reply = await conn.request(`qSupported:${CLIENT_FEATURES}`);
  const raw = classifyReply(reply).kind === 'data' ? parseSupported(reply) : new Map<string, string | boolean>();
  const size = raw.get('PacketSize');
  const packetSize = typeof size === 'string' && /^[0-9a-fA-F]+$/.test(size) ? parseInt(size, 16) : undefined;
  const features: StubFeatures = {
    packetSize,
    multiprocess: raw.get('multiprocess') === true,
    targetDescription: raw.get('qXfer:features:read') === true,
    noAckMode: raw.get('QStartNoAckMode') === true,
    phyMemMode: false,
    raw,
  };
  if (features.noAckMode) {
    expectOk('QStartNoAckMode', await conn.request('QStartNoAckMode'));
    conn.disableAcks(); // our '+' for that OK has gone out already
  }
  // Other stubs answer an unknown query with empty; QEMU lists its extensions.
  const qemu = await conn.request('qqemu.Supported');
  features.phyMemMode = classifyReply(qemu).kind === 'data' && qemu.split(';').includes('PhyMemMode');
  return features;
}
