/**
 * Breakpoints and watchpoints through `Z`/`z`. An empty reply means the stub lacks that kind
 * (gdbsx has no `Z` at all); we say which one in words. Inserted ones are remembered so that a
 * detach can take them out again.
 */
import { hex } from '../util/numbers';
import { GdbConnection } from './connection';
import { StubError, classifyReply, replyError } from './replies';

export type BreakpointType = 'software' | 'hardware' | 'write' | 'read' | 'access';

const Z_NUMBER: Record<BreakpointType, number> = { software: 0, hardware: 1, write: 2, read: 3, access: 4 };
const Z_NAME: Record<BreakpointType, string> = {
  software: 'software breakpoints',
  hardware: 'hardware breakpoints',
  write: 'write watchpoints',
  read: 'read watchpoints',
  access: 'access watchpoints',
};

export interface Breakpoint {
  type: BreakpointType;
  address: bigint;
  /** Breakpoints: instruction bytes (1 on x86); watchpoints: bytes watched. */
  kind: number;
}

export class Breakpoints {
  private readonly inserted = new Map<string, Breakpoint>();

  constructor(private readonly conn: GdbConnection) {}

  list(): Breakpoint[] {
    return [...this.inserted.values()];
  }

  async insert(type: BreakpointType, address: bigint, kind = 1): Promise<void> {
    await this.send('Z', { type, address, kind });
    this.inserted.set(key({ type, address, kind }), { type, address, kind });
  }

  async remove(type: BreakpointType, address: bigint, kind = 1): Promise<void> {
    await this.send('z', { type, address, kind });
    this.inserted.delete(key({ type, address, kind }));
  }

  /** Removes every inserted one, trying all; the first failure is rethrown at the end. */
  async removeAll(): Promise<void> {
    let first: unknown;
    for (const bp of this.list()) {
      try {
        await this.remove(bp.type, bp.address, bp.kind);
      } catch (e) {
        first ??= e;
        this.inserted.delete(key(bp));
      }
    }
    if (first) throw first;
  }

  private async send(op: 'Z' | 'z', bp: Breakpoint): Promise<void> {
    const n = Z_NUMBER[bp.type];
    const packet = `${op}${n},${bp.address.toString(16)},${bp.kind.toString(16)}`;
    const r = classifyReply(await this.conn.request(packet));
    if (r.kind === 'ok') return;
    if (r.kind === 'empty') {
      throw new StubError(packet, undefined, `this stub does not support ${Z_NAME[bp.type]} (Z${n})`);
    }
    const verb = op === 'Z' ? 'insert' : 'remove';
    throw replyError(packet, r, `${verb} ${bp.type} at ${hex(bp.address)} (${packet})`);
  }
}

function key(bp: Breakpoint): string {
  return `${bp.type}:${bp.address}:${bp.kind}`;
}
