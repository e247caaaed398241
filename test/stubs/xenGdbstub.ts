/**
 * A TEST SERVER modelled on Xen's own hypervisor gdbstub, which cannot run here (it lives inside
 * Xen and speaks over a serial line). Modelled from xen/common/gdbstub.c, xen/arch/x86/gdbstub.c
 * and xen/arch/x86/x86_64/gdbstub.c at RELEASE-4.17.0 (github.com/xen-project/xen; the stub was
 * removed before 4.19.0 by "x86: Remove gdbstub"). It answers the packets that stub answers, in
 * its words, with its limits; the machine behind it is a real QEMU guest (QemuBacking).
 *
 * What the real stub does, and this model with it:
 * - It runs only inside a trap (a crash, a breakpoint in Xen, the '%' debug key on Xen's console):
 *   the machine is stopped when the debugger arrives, and nothing is sent unasked.
 * - `?` → `S05` (gdb_arch_signal_num always says SIGTRAP). `H…` → `OK` whatever follows: there
 *   are no threads, and the registers are the trapping CPU's.
 * - `g` → 24 registers as gdb's amd64 core without a target description: rax rbx rcx rdx rsi rdi
 *   rbp rsp r8..r15 rip (8 bytes each), eflags cs ss ds es fs gs (4 bytes each): 164 bytes, no
 *   control registers. `p n` the same one register, and 0xbaadf00ddeadbeef past 23. `G` → empty.
 *   `P n=v` → `OK` (ignored past 23).
 * - `m a,n` copies byte by byte through Xen's own page tables (copy_from_unsafe): a fault ends the
 *   reply short, and `E05` when not one byte was read (n = 0 too). `E03`/`E04` for a bad packet.
 *   The reply is built in out_buf[PAGE_SIZE] without a bound check: more than 2046 bytes would
 *   overrun it. This model refuses to play that out: it records a violation and hangs up, and the
 *   tests assert that no client asks for it. `M` writes byte by byte: `OK`, or `E11` at a fault.
 * - `c`/`s` (an optional address sets rip) resume; the stop reply `S05` comes at the next trap:
 *   `trap()` plays the '%' key. Meanwhile the console is the debugger's: printk text goes out as
 *   `O` packets (`printk()`). The line is not read while Xen runs: 0x03 does nothing.
 * - `D` and `k` → `OK`, and Xen runs on; the stub then reads nothing until the next trap.
 * - Everything else (q…, v…, Z/z, X, T, …) → empty. Packets of PAGE_SIZE or more are NAKed; an ack
 *   other than `+` resends the reply, at most 10 times.
 * Memory is read through the trapping CPU's page tables: QEMU's virtual mode on that vCPU.
 */
import { bigIntToLeHex, hexToBytes, leHexToBigInt, textToHex } from '../../src/gdbstub/codec';
import { QemuBacking } from './qemuBacking';
import { RspLine, type LineAnswer } from './rspLine';

const PAGE_SIZE = 4096;
/** '$', two hex digits per byte, '#', two checksum digits: all in out_buf[PAGE_SIZE]. */
export const XEN_MAX_READ_BYTES = Math.floor((PAGE_SIZE - 4) / 2);

/** gdb_arch_read_reg_array's order, and GDB_REG64/GDB_REG32 sizes. */
export const XEN_G_REGISTERS: readonly [string, number][] = [
  ...['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'].map((n): [string, number] => [n, 8]),
  ...['eflags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs'].map((n): [string, number] => [n, 4]),
];

/** The low `bytes` bytes of `value`, little-endian hex (a 64-bit rflags sent as 4 bytes). */
export function leHex(value: bigint, bytes: number): string {
  return bigIntToLeHex(value & ((1n << BigInt(8 * bytes)) - 1n), bytes);
}

/** Xen's simple_strtoul(cp, &end, 16): an optional 0x, then hex digits; returns value and rest. */
function strtoul16(text: string): { value: bigint; rest: string; digits: number } {
  const body = /^0[xX][0-9a-fA-F]/.test(text) ? text.slice(2) : text;
  const m = /^[0-9a-fA-F]*/.exec(body)![0];
  return { value: m ? BigInt('0x' + m) & 0xffff_ffff_ffff_ffffn : 0n, rest: body.slice(m.length), digits: m.length };
}

export class XenGdbstubModel {
  /** What the model would have had to do that the real stub cannot (overrun a buffer). */
  readonly violations: string[] = [];
  private attached = false;
  private trapped = true;
  private cpu = 0;
  private line!: RspLine;

  private constructor(private backing: QemuBacking) {}

  /** Listens on 127.0.0.1 with the QEMU at `qemuPort` stopped behind it (Xen trapped). */
  static async start(qemuPort: number): Promise<XenGdbstubModel> {
    const model = new XenGdbstubModel(await QemuBacking.attach(qemuPort));
    model.line = await RspLine.listen((p) => model.handle(p), { maxPacketBytes: PAGE_SIZE, maxResends: 10, listening: () => model.trapped }, async () => undefined);
    return model;
  }

  get port(): number {
    return this.line.port;
  }

  get received(): readonly string[] {
    return this.line.received;
  }

  get skippedBytes(): number {
    return this.line.skipped;
  }

  /** True while Xen sits in its trap handler (the machine stopped). */
  get isTrapped(): boolean {
    return this.trapped;
  }

  /** The '%' debug key on Xen's console: the machine stops and the stub takes the line again. */
  async trap(): Promise<void> {
    if (this.trapped) return;
    if (this.backing.isRunning) {
      await this.backing.stopFromOutside(); // the pending `c` then answers S05
      return;
    }
    // After D the stub had let go; a new trap starts it afresh, unattached: no S05 unasked.
    this.backing = await QemuBacking.attach(this.qemuPortOf());
    this.trapped = true;
    this.line.listenAgain();
  }

  /** Xen's console output while the debugger has it (after `c`): one `O` packet. */
  printk(text: string): Promise<boolean> {
    return this.line.emit('O' + textToHex(text));
  }

  /** Ends the model: the machine runs on (as after `D`), the port closes. */
  async close(): Promise<void> {
    await this.line.close();
    await this.backing.release().catch(() => undefined);
  }

  private qemuPortOf(): number {
    const peer = this.backing.client.connection.reconnectAddress;
    if (!peer) throw new Error('xen model: no QEMU address to trap into again');
    return peer.port;
  }

  private async handle(p: string): Promise<LineAnswer> {
    switch (p[0]) {
      case '?':
        return 'S05';
      case 'H':
        return 'OK';
      case 'g':
        return this.readRegisterArray();
      case 'G':
        return '';
      case 'm':
        return this.readMemory(p.slice(1));
      case 'M':
        return this.writeMemory(p.slice(1));
      case 'p':
        return this.readRegister(p.slice(1));
      case 'P':
        return this.writeRegister(p.slice(1));
      case 'D':
      case 'k':
        this.attached = false;
        this.trapped = false;
        await this.backing.release();
        return { last: 'OK' };
      case 's':
      case 'c':
        return this.resume(p);
      default:
        return '';
    }
  }

  private async readRegisterArray(): Promise<string> {
    const regs = await this.backing.registers(this.cpu);
    return XEN_G_REGISTERS.map(([name, bytes]) => leHex(regs.get(name) ?? 0n, bytes)).join('');
  }

  private async readRegister(args: string): Promise<string> {
    const n = strtoul16(args);
    if (n.digits === 0) return 'E03';
    if (n.rest !== '') return 'E04';
    const slot = n.value < BigInt(XEN_G_REGISTERS.length) ? XEN_G_REGISTERS[Number(n.value)] : undefined;
    if (!slot) return leHex(0xbaadf00ddeadbeefn, 8);
    return leHex((await this.backing.registers(this.cpu)).get(slot[0]) ?? 0n, slot[1]);
  }

  private async writeRegister(args: string): Promise<string> {
    const n = strtoul16(args);
    if (n.digits === 0) return 'E03';
    if (!n.rest.startsWith('=')) return 'E04';
    // str_to_native_ulong: up to 8 bytes, little-endian, as many whole pairs as were sent.
    const pairs = n.rest.slice(1, 17);
    const value = leHexToBigInt(pairs.slice(0, pairs.length & ~1)) ?? 0n;
    const slot = n.value < BigInt(XEN_G_REGISTERS.length) ? XEN_G_REGISTERS[Number(n.value)] : undefined;
    if (slot) await this.backing.writeRegister(this.cpu, slot[0], value & ((1n << BigInt(8 * slot[1])) - 1n));
    return 'OK';
  }

  /** "addr,len" as gdb_cmd_read_mem takes it. */
  private async readMemory(args: string): Promise<LineAnswer> {
    const a = strtoul16(args);
    if (a.digits === 0 || !a.rest.startsWith(',')) return 'E03';
    const n = strtoul16(a.rest.slice(1));
    if (n.rest !== '') return 'E04';
    if (n.value > BigInt(XEN_MAX_READ_BYTES)) {
      this.violations.push(`m${args}: ${n.value} bytes would overrun the stub's ${PAGE_SIZE}-byte out_buf`);
      return { close: true };
    }
    const r = await this.backing.readPaged(this.cpu, a.value, Number(n.value));
    if (r.data.length === 0) return 'E05';
    return Buffer.from(r.data).toString('hex');
  }

  /** "addr,len:hex" as gdb_cmd_write_mem takes it. */
  private async writeMemory(args: string): Promise<string> {
    const a = strtoul16(args);
    if (a.digits === 0 || !a.rest.startsWith(',')) return 'E03';
    const n = strtoul16(a.rest.slice(1));
    if (!n.rest.startsWith(':')) return 'E04';
    const hex = n.rest.slice(1);
    const len = Number(n.value);
    if (hex.length < len * 2) return 'E11'; // the real stub would read past the packet
    const data = hexToBytes(hex.slice(0, len * 2));
    const written = await this.backing.writePaged(this.cpu, a.value, data);
    return written === len ? 'OK' : 'E11';
  }

  /** `c[addr]` / `s[addr]`: resume (rip = addr when given); the answer is the next trap's S05. */
  private async resume(p: string): Promise<LineAnswer> {
    if (p.length > 1) {
      // str2ulong: at most 16 hex digits, read as written (no 0x).
      const digits = p.slice(1, 17);
      let addr = 0n;
      for (const c of digits) addr = (addr << 4n) | BigInt(/[0-9a-fA-F]/.test(c) ? parseInt(c, 16) : 0);
      await this.backing.writeRegister(this.cpu, 'rip', addr);
    }
    this.attached = true;
    this.trapped = false;
    const stop = p[0] === 's' ? await this.backing.step(this.cpu) : await this.backing.resume();
    this.trapped = true;
    this.cpu = this.backing.vcpuOf(stop) ?? 0;
    return this.attached ? 'S05' : null;
  }
}
