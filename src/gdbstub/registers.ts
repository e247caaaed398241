/**
 * Registers by name. The layout comes from the target description when the stub has one, else
 * from gdb's built-in amd64/i386 `g` layouts chosen by the length of the `g` reply (Xen's own
 * stub and gdbsx send no description). Values are bigints, little-endian on the wire, whatever
 * their width (80-bit st, 128-bit xmm).
 */
import { HyperFrameError } from '../util/errors';
import { bigIntToLeHex, hexToBytes, leHexToBigInt } from './codec';
import { GdbConnection } from './connection';
import { RegisterInfo } from './targetXml';
import { classifyReply, expectOk, replyError, ThreadId } from './replies';

export interface RegisterSlot extends RegisterInfo {
  bytes: number;
  /** Byte offset inside the `g` reply. */
  gOffset: number;
}

export class RegisterLayout {
  readonly registers: readonly RegisterSlot[];
  /** Bytes of a `g` reply holding every register of the layout. */
  readonly gBytes: number;
  private readonly byName = new Map<string, RegisterSlot>();

  constructor(
    registers: readonly RegisterInfo[],
    /** Where the layout came from: "target.xml" or "fallback amd64 (164-byte g)". */
    readonly source: string,
    readonly architecture?: string,
  ) {
    let offset = 0;
    // `g` holds the registers in register-number order, packed.
    const sorted = [...registers].sort((a, b) => a.regnum - b.regnum);
    this.registers = sorted.map((r) => {
      const bytes = Math.ceil(r.bitsize / 8);
      const slot = { ...r, bytes, gOffset: offset };
      offset += bytes;
      return slot;
    });
    this.gBytes = offset;
    for (const r of this.registers) this.byName.set(r.name.toLowerCase(), r);
  }

  find(name: string): RegisterSlot | undefined {
    return this.byName.get(name.toLowerCase());
  }

  get(name: string): RegisterSlot {
    const r = this.find(name);
    if (!r) throw new HyperFrameError('BAD_ARGUMENT', `no register '${name}' on this target (${this.source})`);
    return r;
  }

  /** Splits a `g` reply; registers past its end (or sent as `xx`) are left out. */
  decodeG(hex: string): Map<string, bigint> {
    const values = new Map<string, bigint>();
    for (const r of this.registers) {
      const end = (r.gOffset + r.bytes) * 2;
      if (end > hex.length) break;
      const v = leHexToBigInt(hex.slice(r.gOffset * 2, end));
      if (v !== undefined) values.set(r.name, v);
    }
    return values;
  }
}

// ---- gdb's fallback layouts --------------------------------------------------------------------

function regs(names: string[], bitsize: number, type: string, group: string): Omit<RegisterInfo, 'regnum'>[] {
  return names.map((name) => ({ name, bitsize, type, group }));
}
const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const FPU_CONTROL = ['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'];
const SEGMENTS = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'];

function numbered(list: Omit<RegisterInfo, 'regnum'>[]): RegisterInfo[] {
  return list.map((r, regnum) => ({ ...r, regnum }));
}

const AMD64: RegisterInfo[] = numbered([
  ...regs(['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', ...range('r', 16).slice(8)], 64, 'int64', 'general'),
  ...regs(['rip'], 64, 'code_ptr', 'general'),
  ...regs(['eflags'], 32, 'i386_eflags', 'general'),
  ...regs(SEGMENTS, 32, 'int32', 'general'),
  ...regs(range('st', 8), 80, 'i387_ext', 'float'),
  ...regs(FPU_CONTROL, 32, 'int', 'float'),
  ...regs(range('xmm', 16), 128, 'vec128', 'vector'),
  ...regs(['mxcsr'], 32, 'i386_mxcsr', 'vector'),
]);

const I386: RegisterInfo[] = numbered([
  ...regs(['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'], 32, 'int32', 'general'),
  ...regs(['eip'], 32, 'code_ptr', 'general'),
  ...regs(['eflags'], 32, 'i386_eflags', 'general'),
  ...regs(SEGMENTS, 32, 'int32', 'general'),
  ...regs(range('st', 8), 80, 'i387_ext', 'float'),
  ...regs(FPU_CONTROL, 32, 'int', 'float'),
  ...regs(range('xmm', 8), 128, 'vec128', 'vector'),
  ...regs(['mxcsr'], 32, 'i386_mxcsr', 'vector'),
]);

/** The registers of `list` that fit entirely in `bytes`. */
function prefix(list: RegisterInfo[], bytes: number): RegisterInfo[] {
  const out: RegisterInfo[] = [];
  let offset = 0;
  for (const r of list) {
    offset += Math.ceil(r.bitsize / 8);
    if (offset > bytes) break;
    out.push(r);
  }
  return out;
}

/**
 * Picks gdb's amd64 or i386 layout for a `g` reply of `gBytes`: 164 = amd64 core (Xen, gdbsx 64),
 * 64 = i386 core (gdbsx 32), 308/312 = i386 with SSE (312: Linux orig_eax); other lengths of 164
 * and more are amd64, shorter ones i386, each cut to the registers that fit.
 */
export function fallbackLayout(gBytes: number): RegisterLayout {
  const i386 = gBytes === 308 || gBytes === 312 || (gBytes >= 64 && gBytes < 164);
  if (gBytes < 64) {
    throw new HyperFrameError('PROTOCOL', `'g' reply of ${gBytes} bytes matches no known x86 layout and the stub sent no target description`);
  }
  const arch = i386 ? 'i386' : 'amd64';
  return new RegisterLayout(prefix(i386 ? I386 : AMD64, gBytes), `fallback ${arch} (${gBytes}-byte g)`, i386 ? 'i386' : 'i386:x86-64');
}

// ---- commands ------------------------------------------------------------------------------------

/** Selects the vCPU that `g`/`p`/`P`/`G` will address (Hg), or does nothing for undefined. */
export type SelectThread = (thread: ThreadId | undefined) => Promise<void>;

export class RegisterAccess {
  /** False once the stub answered `p`/`P` with empty: use `g`/`G` instead. */
  private pSupported = true;
  private bigPSupported = true;

  constructor(
    private readonly conn: GdbConnection,
    readonly layout: RegisterLayout,
    private readonly select: SelectThread,
  ) {}

  async readAll(thread?: ThreadId): Promise<Map<string, bigint>> {
    return this.layout.decodeG(await this.readG(thread));
  }

  async read(name: string, thread?: ThreadId): Promise<bigint> {
    const r = this.layout.get(name);
    await this.select(thread);
    if (this.pSupported) {
      const packet = `p${r.regnum.toString(16)}`;
      const reply = await this.conn.request(packet);
      const c = classifyReply(reply);
      if (c.kind === 'data') return this.value(r, reply);
      if (c.kind !== 'empty') throw replyError(packet, c, `reading ${r.name} (${packet})`);
      this.pSupported = false;
    }
    const hex = await this.readG(undefined);
    if ((r.gOffset + r.bytes) * 2 > hex.length) {
      throw new HyperFrameError('TARGET', `${r.name} is not in the 'g' reply and the stub has no 'p' packet`);
    }
    return this.value(r, hex.slice(r.gOffset * 2, (r.gOffset + r.bytes) * 2));
  }

  async write(name: string, value: bigint, thread?: ThreadId): Promise<void> {
    const r = this.layout.get(name);
    const hex = bigIntToLeHex(value, r.bytes);
    await this.select(thread);
    if (this.bigPSupported) {
      const packet = `P${r.regnum.toString(16)}=${hex}`;
      const reply = await this.conn.request(packet);
      if (reply !== '') return expectOk(packet, reply, `writing ${r.name}`);
      this.bigPSupported = false;
    }
    const g = await this.readG(undefined);
    if ((r.gOffset + r.bytes) * 2 > g.length) {
      throw new HyperFrameError('TARGET', `${r.name} is not in the 'g' reply and the stub has no 'P' packet`);
    }
    // `G` writes every register: sending back the `xx` of unavailable ones would set them to garbage.
    const unavailable = this.unavailableIn(g, r);
    if (unavailable.length) {
      throw new HyperFrameError('TARGET', `cannot write ${r.name}: the stub has no 'P' packet, and 'G' would have to send back ${unavailable.join(', ')}, which its 'g' reply marks unavailable (xx)`);
    }
    const patched = g.slice(0, r.gOffset * 2) + hex + g.slice((r.gOffset + r.bytes) * 2);
    expectOk('G', await this.conn.request(`G${patched}`), `writing ${r.name} (G)`);
  }

  private async readG(thread: ThreadId | undefined): Promise<string> {
    await this.select(thread);
    const reply = await this.conn.request('g');
    const c = classifyReply(reply);
    if (c.kind !== 'data') throw replyError('g', c, 'reading registers (g)');
    hexToBytes(reply.replace(/x/gi, '0')); // validates: a garbled reply is a PROTOCOL error
    return reply;
  }

  /** Registers other than `except` that `g` sent as `xx`, and any such bytes past the layout. */
  private unavailableIn(g: string, except: RegisterSlot): string[] {
    const out = this.layout.registers.filter((o) => o !== except && /x/i.test(g.slice(o.gOffset * 2, (o.gOffset + o.bytes) * 2))).map((o) => o.name);
    if (/x/i.test(g.slice(this.layout.gBytes * 2))) out.push(`bytes past offset ${this.layout.gBytes}`);
    return out;
  }

  private value(r: RegisterSlot, hex: string): bigint {
    const v = leHexToBigInt(hex);
    if (v === undefined) throw new HyperFrameError('TARGET', `${r.name} is unavailable on this target`);
    return v;
  }
}
