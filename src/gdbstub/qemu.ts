/**
 * QEMU's physical-memory mode (`Qqemu.PhyMemMode:1`): while it is on, `m`/`M` take physical
 * addresses. The mode is global to the stub and even survives a reconnect, so it is only ever on
 * for the length of a batch: the first batch switches it on, overlapping and nested batches share
 * that one switch, and the last one to finish switches it off (also when it threw). Virtual reads
 * wait for physical batches to drain, and vice versa; the connection's in-order queue does the
 * rest (a switch enqueued before a read is executed before it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { HyperFrameError } from '../util/errors';
import { WritablePhysMem } from '../memory/physMem';
import { GdbConnection } from './connection';
import { expectOk } from './replies';

export type AddressMode = 'virtual' | 'physical';

export class PhysicalModeGate {
  /** Counters for tests and diagnostics. */
  switches = 0;
  private holders = 0;
  private holderMode: AddressMode = 'virtual';
  private readonly waiters: { mode: AddressMode; wake: () => void }[] = [];
  /** The mode the stub will be in once the queued switch (if any) is done; unknown after a failure. */
  private stubMode: AddressMode | 'unknown';
  private lastSwitch: Promise<void> = Promise.resolve();
  private readonly context = new AsyncLocalStorage<AddressMode>();

  constructor(
    private readonly conn: GdbConnection,
    /** qqemu.Supported listed PhyMemMode. */
    readonly supported: boolean,
  ) {
    // A previous client may have left the mode on; the first use resets it.
    this.stubMode = supported ? 'unknown' : 'virtual';
  }

  withPhysical<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.supported) {
      return Promise.reject(
        new HyperFrameError('TARGET', 'this stub has no physical-memory mode (qqemu.Supported lacks PhyMemMode); read physical memory through a direct map'),
      );
    }
    return this.run('physical', fn);
  }

  withVirtual<T>(fn: () => Promise<T>): Promise<T> {
    return this.supported ? this.run('virtual', fn) : fn();
  }

  /** Waits for running batches and leaves the stub in virtual mode (before detach or close). */
  async restoreVirtual(): Promise<void> {
    if (this.supported && !this.conn.closed) await this.run('virtual', async () => undefined);
  }

  private async run<T>(mode: AddressMode, fn: () => Promise<T>): Promise<T> {
    const inside = this.context.getStore();
    if (inside && inside !== mode) {
      // Waiting here would wait for ourselves.
      throw new HyperFrameError('BAD_ARGUMENT', `a ${mode} memory access inside a ${inside} batch cannot proceed; finish the batch first`);
    }
    await this.acquire(mode);
    let result: T;
    try {
      await this.switchStub(mode);
      result = await this.context.run(mode, fn);
    } catch (e) {
      await this.release().catch(() => undefined); // keep the batch's own error
      throw e;
    }
    await this.release();
    return result;
  }

  private acquire(mode: AddressMode): Promise<void> {
    // Joining a batch of the same mode is always allowed (nested batches must not wait).
    if ((this.holders > 0 && this.holderMode === mode) || (this.holders === 0 && this.waiters.length === 0)) {
      this.holders++;
      this.holderMode = mode;
      return Promise.resolve();
    }
    return new Promise((wake) => this.waiters.push({ mode, wake }));
  }

  private async release(): Promise<void> {
    if (--this.holders > 0) return;
    const restore = this.holderMode === 'physical' ? this.switchStub('virtual') : undefined;
    const next = this.waiters[0];
    if (next) {
      // Wake every waiter of the next mode together; they share one switch.
      this.holderMode = next.mode;
      for (let i = 0; i < this.waiters.length; ) {
        if (this.waiters[i].mode !== next.mode) {
          i++;
          continue;
        }
        this.holders++;
        this.waiters.splice(i, 1)[0].wake();
      }
    }
    await restore;
  }

  private switchStub(mode: AddressMode): Promise<void> {
    if (this.stubMode === mode) return this.lastSwitch;
    this.stubMode = mode;
    const packet = `Qqemu.PhyMemMode:${mode === 'physical' ? 1 : 0}`;
    this.switches++;
    const done = this.conn.request(packet).then((reply) => expectOk(packet, reply, `switching to ${mode} addresses (${packet})`));
    // After a failed switch nobody knows the mode: the next use switches explicitly again.
    done.catch(() => {
      if (this.lastSwitch === done) this.stubMode = 'unknown';
    });
    this.lastSwitch = done;
    return done;
  }
}

/** What StubPhysMem needs from the client. */
export interface PhysicalAccess {
  readPhysical(pa: bigint, bytes: number): Promise<Uint8Array>;
  writePhysical(pa: bigint, data: Uint8Array): Promise<void>;
}

/**
 * Physical memory of a live QEMU as a PhysMem. Each read joins the current physical batch when
 * there is one, so wrap a walk in `client.withPhysical(…)` to pay for one switch, not one per read.
 */
export class StubPhysMem implements WritablePhysMem {
  constructor(
    private readonly access: PhysicalAccess,
    readonly description: string,
  ) {}

  read(pa: bigint, bytes: number): Promise<Uint8Array> {
    return this.access.readPhysical(pa, bytes);
  }

  write(pa: bigint, data: Uint8Array): Promise<void> {
    return this.access.writePhysical(pa, data);
  }
}
