/**
 * The yardstick: the leanest gdb-remote client that can read QEMU's physical memory, one request
 * at a time (what a plain gdb script does). Written apart from src/gdbstub so that the figures
 * compare HyperFrame with something it does not share code with.
 */
import net from 'node:net';

function frame(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

export class RawStub {
  private buffer = '';
  private waiting: ((payload: string) => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      this.buffer += d.toString('latin1');
      for (;;) {
        const start = this.buffer.indexOf('$');
        const end = start < 0 ? -1 : this.buffer.indexOf('#', start);
        if (end < 0 || end + 3 > this.buffer.length) return;
        const body = this.buffer.slice(start + 1, end);
        this.buffer = this.buffer.slice(end + 3);
        socket.write('+');
        // QEMU's unasked stop reply at connect comes before anything is asked.
        const w = this.waiting;
        this.waiting = undefined;
        w?.(body);
      }
    });
  }

  static async connect(port: number): Promise<RawStub> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const s = new RawStub(socket);
    await new Promise((r) => setTimeout(r, 50)); // let the stop reply pass
    return s;
  }

  request(payload: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(frame(payload));
    });
  }

  /** Reads [pa, pa+bytes) in physical mode with back-to-back 0x800-byte `m` packets. */
  async readPhysical(places: readonly [bigint, number][]): Promise<number> {
    await this.request('Qqemu.PhyMemMode:1');
    let bytes = 0;
    for (const [pa, n] of places) {
      for (let at = 0; at < n; at += 0x800) {
        const reply = await this.request(`m${(pa + BigInt(at)).toString(16)},${Math.min(0x800, n - at).toString(16)}`);
        bytes += reply.length / 2;
      }
    }
    await this.request('Qqemu.PhyMemMode:0');
    return bytes;
  }

  async detach(): Promise<void> {
    await this.request('D');
    this.socket.destroy();
  }
}
