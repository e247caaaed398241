/**
 * A TEST SERVER modelled on gdbsx, Xen's gdbserver for guests, which cannot run here (it needs a
 * Xen host with dom0 privileges). Modelled from tools/debugger/gdbsx/gx/gx_main.c, gx_comm.c,
 * gx_utils.c, tools/debugger/gdbsx/xg/xg_main.c and xen/arch/x86/gdbsx.c at RELEASE-4.17.0
 * (github.com/xen-project/xen; the protocol side is unchanged through RELEASE-4.22.0). It answers
 * the packets gdbsx answers, in its words, with its limits; the guest behind it is a real QEMU
 * guest (QemuBacking), playing an HVM domain.
 *
 * What gdbsx does, and this model with it:
 * - `gdbsx -a DOMID 64|32 PORT` pauses the domain before it listens; nothing is sent unasked.
 *   `?` → `T05thread:0;`. vCPUs are threads numbered from 0: `qfThreadInfo` → `m0,1l` (the `l`
 *   inside the same packet; `qsThreadInfo` is not known and gets empty). `H[cgs]N` → `OK` and
 *   selects vCPU N (-1 means 0); other `H` → empty. `T…` → `OK`.
 * - `g` (of the selected vCPU): for 64-bit guests rax rbx rcx rdx rsi rdi rbp rsp r8..r15 rip as
 *   8 bytes, eflags cs ss ds es fs gs as 4 (164 bytes); for 32-bit guests eax ecx edx ebx esp ebp
 *   esi edi eip eflags cs ss ds es fs gs as 4 (64 bytes). No control registers. An unreadable
 *   vCPU gives an empty reply. `G` → `OK`/`E01`. No `p`/`P`: empty.
 * - `m a,n`: the length is read from at most 4 hex digits. Memory is read through vCPU 0's page
 *   tables, whatever `H` selected (dbg_hvm_va2mfn uses d->vcpu[0]), page by page; any page that
 *   does not translate fails the whole read with `E01`; `n` = 0 gives an empty reply. The reply
 *   is written into a 4096-byte buffer: more than 2047 bytes would overrun that heap buffer; this
 *   model records a violation and hangs up instead, and the tests assert no client asks for it.
 *   `M` → `OK`/`E01`.
 * - `qRcmd` (gdb's `monitor`): `pgd3 HEX` sets the value PV guests' reads start from (Xen's
 *   dbg_pv_va2mfn; an HVM domain ignores it) and answers, hex-encoded and without `O`,
 *   "pgd3val set to: %016llx\n" (or "Invalid  pgd3val …"); anything else "Bad monitor command\n".
 *   Every other `q` → empty: no qSupported, no qC, no qXfer, no qAttached.
 * - `vCont?` → empty; `vCont;c`/`vCont;s` come back unchanged (the handler leaves the buffer).
 *   `c` unpauses the domain and waits until it is paused again: `T05thread:N;` for a vCPU in a
 *   breakpoint, else `T02thread:0;` (`xl pause`: `pauseDomain()` here). `s` → `T05thread:N;`.
 *   0x03 is never read while the domain runs and is skipped later: there is no interrupt.
 * - `D` → no reply at all: gdbsx unpauses the domain and exits, closing the connection. A client
 *   that goes away does the same. `k`, `C`, `S`, `R`, `d` → empty; `Z`/`z` (compiled out) → empty.
 * - Bytes are read 7-bit; hex digits (checksums included) only in lower case; an ack other than
 *   `+` resends the reply, forever.
 */
import { hexToText, textToHex } from '../../src/gdbstub/codec';
import { QemuBacking } from './qemuBacking';
import { RspLine, type LineAnswer } from './rspLine';
import { XEN_G_REGISTERS, leHex } from './xenGdbstub';

const BUFSIZE = 4096;
/** Two hex digits per byte and the NUL in remote_buf[BUFSIZE]. */
export const GDBSX_MAX_READ_BYTES = Math.floor((BUFSIZE - 1) / 2);

/** struct xg_gdb_regs32: gdbserver's reg-i386-linux order. */
const I386_G_REGISTERS: readonly [string, number][] = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs'].map((n) => [n, 4]);

/** gx_fromhex: lower-case hex only; anything else is 0 (after a complaint on stderr). */
function fromhex(c: string): number {
  return /[0-9a-f]/.test(c) ? parseInt(c, 16) : 0;
}

/** Hex digits up to `stop` (or the end), as gx_decode_*_packet accumulate them. */
function hexUntil(text: string, stop: string): { value: bigint; rest: string } {
  let value = 0n;
  let i = 0;
  for (; i < text.length && text[i] !== stop; i++) value = ((value << 4n) | BigInt(fromhex(text[i]))) & 0xffff_ffff_ffff_ffffn;
  return { value, rest: text.slice(i + 1) };
}

export interface GdbsxOptions {
  /** The bitness given on gdbsx's command line. */
  bitness: 64 | 32;
}

export class GdbsxModel {
  readonly violations: string[] = [];
  private currentVcpu = 0;
  private pgd3val = 0n;
  private ended = false;
  private line!: RspLine;

  private constructor(
    private readonly backing: QemuBacking,
    private readonly options: GdbsxOptions,
  ) {}

  static async start(qemuPort: number, options: GdbsxOptions = { bitness: 64 }): Promise<GdbsxModel> {
    const model = new GdbsxModel(await QemuBacking.attach(qemuPort), options);
    const digit = (c: string): number => fromhex(c);
    model.line = await RspLine.listen((p) => model.handle(p), { sevenBit: true, checksumDigit: digit }, () => model.exit());
    return model;
  }

  get port(): number {
    return this.line.port;
  }

  get received(): readonly string[] {
    return this.line.received;
  }

  /** True once gdbsx has let the domain go and exited. */
  get hasExited(): boolean {
    return this.ended;
  }

  /** The pgd3 value set through `monitor pgd3`. */
  get pgd3(): bigint {
    return this.pgd3val;
  }

  /** `xl pause DOMID` on dom0: a pending `c` then answers `T02thread:0;`. */
  async pauseDomain(): Promise<void> {
    if (this.backing.isRunning) await this.backing.stopFromOutside();
  }

  /** Resolves once the client has gone and gdbsx has exited. */
  whenExited(): Promise<void> {
    return this.ended ? Promise.resolve() : this.line.whenPeerGone();
  }

  async close(): Promise<void> {
    await this.line.close();
    await this.exit();
  }

  /** xg_detach_deinit: debugging off, the domain unpaused; then gdbsx exits. */
  private async exit(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.backing.release().catch(() => undefined);
    await this.line.close().catch(() => undefined);
  }

  private async handle(p: string): Promise<LineAnswer> {
    switch (p[0]) {
      case 'q':
        return this.query(p);
      case 'D':
        await this.exit();
        return { close: true };
      case '?':
        return 'T05thread:0;';
      case 'H':
        return this.selectThread(p);
      case 'g':
        return this.readRegisters();
      case 'G':
        return this.writeRegisters(p.slice(1));
      case 'm':
        return this.readMemory(p.slice(1));
      case 'M':
        return this.writeMemory(p.slice(1));
      case 'c':
        return this.resume();
      case 's':
        await this.backing.step(this.currentVcpu);
        return `T05thread:${this.currentVcpu.toString(16)};`;
      case 'T':
        return 'OK';
      case 'v':
        if (p.startsWith('vCont;')) return p[6] === 'S' || p[6] === 'C' ? '' : p;
        return '';
      default:
        return ''; // d, k, C, S, R, Z, z, p, P, X, …
    }
  }

  private query(p: string): string {
    if (p === 'qfThreadInfo') {
      return `m${Array.from({ length: this.backing.vcpuCount }, (_, v) => v.toString(16)).join(',')}l`;
    }
    if (!p.startsWith('qRcmd,')) return '';
    const text = hexToText(p.slice(6).slice(0, p.slice(6).length & ~1));
    let out: string;
    if (text.startsWith('pgd3 ')) {
      // strtoull(…, 16) takes an optional 0x; the whole rest must be hex.
      const m = /^(?:0[xX])?([0-9a-fA-F]*)(.*)$/s.exec(text.slice(5))!;
      const value = m[1] ? BigInt('0x' + m[1]) : 0n;
      if (m[2] === '' && value > 0n) {
        this.pgd3val = value;
        out = `pgd3val set to: ${value.toString(16).padStart(16, '0')}\n`;
      } else {
        this.pgd3val = 0n;
        out = `Invalid  pgd3val ${value.toString(16).padStart(16, '0')}\n`;
      }
    } else out = 'Bad monitor command\n';
    return textToHex(out);
  }

  private selectThread(p: string): string {
    if (!'cgs'.includes(p[1] ?? 'x') || p.length < 2) return '';
    const text = p.slice(2);
    const n = text.startsWith('-') ? -Number.parseInt(text.slice(1) || '0', 16) : Number.parseInt(text || '0', 16);
    this.currentVcpu = Number.isNaN(n) || n === -1 ? 0 : n >>> 0;
    return 'OK';
  }

  private layout(): readonly [string, number][] {
    return this.options.bitness === 32 ? I386_G_REGISTERS : XEN_G_REGISTERS;
  }

  private async readRegisters(): Promise<string> {
    if (this.currentVcpu >= this.backing.vcpuCount) return ''; // getvcpucontext fails: rbuf[0] = 0
    const regs = await this.backing.registers(this.currentVcpu);
    // A 32-bit layout takes the low halves of QEMU's 64-bit registers (e<name> = r<name>).
    const value = (name: string): bigint => regs.get(name) ?? regs.get(name.replace(/^e(?=[a-z]{2}$)/, 'r')) ?? 0n;
    return this.layout().map(([name, bytes]) => leHex(value(name), bytes)).join('');
  }

  private async writeRegisters(hex: string): Promise<string> {
    const layout = this.layout();
    if (this.currentVcpu >= this.backing.vcpuCount) return 'E01';
    let at = 0;
    for (const [name, bytes] of layout) {
      const part = hex.slice(at * 2, (at + bytes) * 2).padEnd(bytes * 2, '0');
      let v = 0n;
      for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(fromhex(part[2 * i]) * 16 + fromhex(part[2 * i + 1]));
      const target = this.options.bitness === 32 && name !== 'eflags' && /^e[a-z]{2}$/.test(name) ? name.replace(/^e/, 'r') : name;
      await this.backing.writeRegister(this.currentVcpu, target, v);
      at += bytes;
    }
    return 'OK';
  }

  /** gx_decode_m_packet: address up to ',', then at most 4 hex digits of length. */
  private async readMemory(args: string): Promise<LineAnswer> {
    const a = hexUntil(args, ',');
    let len = 0;
    for (const c of a.rest.slice(0, 4)) len = (len << 4) | fromhex(c);
    if (len > GDBSX_MAX_READ_BYTES) {
      this.violations.push(`m${args}: ${len} bytes would overrun gdbsx's ${BUFSIZE}-byte packet buffer`);
      return { close: true };
    }
    const r = await this.backing.readPaged(0, a.value, len); // d->vcpu[0]'s tables, always
    if (!r.complete) return 'E01';
    return Buffer.from(r.data).toString('hex');
  }

  /** gx_decode_M_packet: address up to ',', length up to ':', then the data. */
  private async writeMemory(args: string): Promise<string> {
    const a = hexUntil(args, ',');
    const colon = a.rest.indexOf(':');
    const len = Number(hexUntil(a.rest, ':').value);
    const hex = colon >= 0 ? a.rest.slice(colon + 1) : '';
    const data = new Uint8Array(len);
    for (let i = 0; i < len; i++) data[i] = fromhex(hex[2 * i] ?? '0') * 16 + fromhex(hex[2 * i + 1] ?? '0');
    return (await this.backing.writePaged(0, a.value, data)) === len ? 'OK' : 'E01';
  }

  /** xg_resume_n_wait: unpause, wait for the domain to be paused, then who is in a breakpoint. */
  private async resume(): Promise<string> {
    const stop = await this.backing.resume();
    const inBreakpoint = stop.kind === 'signal' && stop.signal === 5 ? this.backing.vcpuOf(stop) : undefined;
    if (inBreakpoint === undefined) {
      this.currentVcpu = 0;
      return 'T02thread:0;';
    }
    this.currentVcpu = inBreakpoint;
    return `T05thread:${inBreakpoint.toString(16)};`;
  }
}
