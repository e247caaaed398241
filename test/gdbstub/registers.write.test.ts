/**
 * Register writes on a stub without `P` (Xen's own stub, gdbsx), which leaves only `G`: every
 * register at once, built from the `g` reply. A FAKE stub, since QEMU always takes `P`.
 */
import { describe, expect, it } from 'vitest';
import { GdbClient } from '../../src/gdbstub/client';
import { FakeStub, le } from './fakeStub';

// gdb's amd64 core layout, 164 bytes: rax rbx rcx rdx rsi rdi rbp rsp r8..r15 (8 each), rip (8),
// eflags cs ss ds es fs gs (4 each).
const RIP = le(0xffff82d040200000n, 8);
const TAIL = le(0x246n, 4) + le(0xe008n, 4) + '00'.repeat(20);

/** Runs `fn` against a stub without qSupported, p or P, whose `g` answers `regs`; `G` is recorded. */
async function withStub(regs: string, fn: (stub: FakeStub, client: GdbClient) => Promise<void>): Promise<void> {
  const stub = await FakeStub.start((p) => {
    if (p === '?') return 'S05';
    if (p === 'g') return regs;
    if (p.startsWith('G')) return 'OK';
    return '';
  });
  try {
    const client = await GdbClient.connect('127.0.0.1', stub.port, { timeoutMs: 2000 });
    try {
      await fn(stub, client);
    } finally {
      client.connection.close();
    }
  } finally {
    await stub.close();
  }
}

describe("register writes through 'G'", () => {
  it('patches only the register written and sends every other byte back as read', async () => {
    const g = le(0x1111n, 8) + le(0x2222n, 8) + '00'.repeat(8 * 14) + RIP + TAIL;
    await withStub(g, async (s, c) => {
      await c.writeRegister('rbx', 0x1122334455667788n);
      expect(s.received.filter((p) => p.startsWith('G'))).toEqual(['G' + le(0x1111n, 8) + '8877665544332211' + '00'.repeat(8 * 14) + RIP + TAIL]);
    });
  });

  it("refuses when the 'g' reply marks other registers unavailable, and sends no 'G'", async () => {
    // rcx and r15 unavailable (xx), as stubs send registers they cannot read.
    const g = le(0x1111n, 8) + le(0x2222n, 8) + 'xx'.repeat(8) + '00'.repeat(8 * 12) + 'xx'.repeat(8) + RIP + TAIL;
    await withStub(g, async (s, c) => {
      await expect(c.writeRegister('rbx', 1n)).rejects.toMatchObject({
        code: 'TARGET',
        message: "cannot write rbx: the stub has no 'P' packet, and 'G' would have to send back rcx, r15, which its 'g' reply marks unavailable (xx)",
      });
      expect(s.received.some((p) => p.startsWith('G'))).toBe(false);
    });
  });

  it('writes a register that is itself unavailable when all the others are known', async () => {
    const g = le(0x1111n, 8) + 'xx'.repeat(8) + '00'.repeat(8 * 14) + RIP + TAIL;
    await withStub(g, async (s, c) => {
      await c.writeRegister('rbx', 5n);
      expect(s.received.filter((p) => p.startsWith('G'))).toEqual(['G' + le(0x1111n, 8) + le(5n, 8) + '00'.repeat(8 * 14) + RIP + TAIL]);
    });
  });
});
