import type { PhysMem } from '../memory/physMem';
import type { ControlRegs } from '../paging/modes';
import type { SegmentRegisters } from '../x86/segments';

/** A vCPU as the debugger shows it: numbered from 0 as QEMU's monitor numbers them. */
export interface VcpuInfo {
  id: number;
  /** "CPU 0", "CPU 1 (halted)". */
  name: string;
  /** What the stub says of it beyond its number ("halted"), if anything. */
  state?: string;
}

export type StopReason = 'entry' | 'pause' | 'step' | 'breakpoint' | 'data breakpoint' | 'signal' | 'exited';

/**
 * What the machine says stopped a vCPU, whatever the stub's words for it: a trap (a breakpoint,
 * watchpoint or single step), an interrupt (the stop a pause asked for), or another signal.
 */
export type StopCause = 'trap' | 'interrupt' | 'signal';

export interface StopEvent {
  /** What the target expected (a step, a pause) or made of the stop. */
  reason: StopReason;
  /** Undefined when the stop says nothing (an exit, a dump's snapshot). */
  cause?: StopCause;
  /** The signal number of a cause 'signal', for the user. */
  signal?: number;
  /** vCPU that stopped (the stub's stop thread), from 0. */
  vcpu?: number;
  /** Address of a data breakpoint hit. */
  dataAddress?: bigint;
  /** The stub's own words (`T05thread:p01.02;swbreak:;`), for the log. */
  detail?: string;
}

export type BreakpointKind = 'software' | 'hardware' | 'write' | 'read' | 'access';

/** How physical addresses are reached on a live target. */
export type PhysicalStrategy =
  | { kind: 'hostFile'; path: string } // guest RAM in a shared file QEMU maps (we launched it)
  | { kind: 'hostProcess'; pid: number } // guest RAM in QEMU's process, /proc/<pid>/mem at gpa2hva's addresses
  | { kind: 'qemu' } // QEMU's Qqemu.PhyMemMode
  | { kind: 'directMap'; offset: bigint } // virtual reads at offset + pa (Xen 0xffff830000000000, Linux page_offset_base)
  | { kind: 'identity' }; // paging off: virtual = physical

/** Something a debugger would use that this target lacks, and what to do instead, in one line. */
export interface Unavailable {
  /** 'control registers', 'physical memory mode', 'threads'. */
  feature: string;
  reason: string;
}

export interface TargetCapabilities {
  runControl: boolean;
  breakpoints: readonly BreakpointKind[];
  writeMemory: boolean;
  monitor: boolean;
  /** What the stub does not offer (seen when attaching: stubs other than QEMU's lack much). */
  unavailable?: readonly Unavailable[];
}

/**
 * What a debugger needs of a machine, over a live stub or a dump. The CLI, the debug adapter and
 * the views all talk to a Target; only its implementations know where bytes come from.
 */
export interface Target {
  /** One line for the user: what this is and how physical memory is reached. */
  readonly description: string;
  readonly capabilities: TargetCapabilities;
  /** Physical memory, cached until the target next runs or is written. */
  readonly phys: PhysMem;
  /** How a live target's physical memory is reached, for the user (undefined for dumps). */
  readonly physicalMemory?: string;

  /** Number of vCPUs (threads), numbered from 0. */
  vcpuCount(): Promise<number>;
  vcpus(): Promise<VcpuInfo[]>;
  /** All registers of a vCPU by lower-case name (rax, rip, cr3, efer, fs_base, …). */
  registers(vcpu: number): Promise<Map<string, bigint>>;
  writeRegister(vcpu: number, name: string, value: bigint): Promise<void>;
  /** The registers that choose the paging mode and root, with notes on any that were inferred. */
  controlRegs(vcpu: number): Promise<ControlRegs & { notes: string[] }>;

  /** Reads memory as `vcpu` sees it (through its own CR3). */
  readVirtual(vcpu: number, va: bigint, bytes: number): Promise<Uint8Array>;
  writeVirtual(vcpu: number, va: bigint, data: Uint8Array): Promise<void>;
  writePhysical(pa: bigint, data: Uint8Array): Promise<void>;
  /**
   * Runs `fn` as one batch of physical reads: on QEMU, physical mode is switched on once for the
   * whole batch (a walk, a tree level, a frame) rather than per read.
   */
  physicalBatch<T>(fn: () => Promise<T>): Promise<T>;

  /** Resumes every vCPU; the next stop arrives through `onStop`. */
  resume(): Promise<void>;
  /** Stops a running target; resolves with the stop. */
  pause(): Promise<StopEvent>;
  /** Steps one instruction on `vcpu` (others stay stopped where the stub allows). */
  step(vcpu: number): Promise<StopEvent>;
  /** Called for every stop that follows a `resume`. Returns a function that unsubscribes. */
  onStop(listener: (e: StopEvent) => void): () => void;
  /** Called once if the connection to a live target is lost. Returns a function that unsubscribes. */
  onDisconnect(listener: (reason: string) => void): () => void;
  /** The last stop (the state the target is in now), if stopped. */
  readonly lastStop: StopEvent | undefined;
  readonly running: boolean;

  insertBreakpoint(kind: BreakpointKind, address: bigint, bytes?: number): Promise<void>;
  removeBreakpoint(kind: BreakpointKind, address: bigint, bytes?: number): Promise<void>;
  /**
   * A monitor command (QEMU's HMP through qRcmd): its text output. With `vcpu`, the monitor's
   * current CPU is set to it first, and no other command comes between the two.
   */
  monitor(command: string, vcpu?: number): Promise<string>;
  /**
   * Segment registers' hidden parts (base, limit, attributes), LDTR, TR, GDTR and IDTR of a vCPU,
   * which gdb's registers do not carry. Throws (TARGET) when the target cannot tell.
   */
  segments(vcpu: number): Promise<SegmentRegisters>;

  /** Drops cached memory (after an outside change). */
  invalidate(): void;
  /**
   * Ends the session: restores virtual mode, removes breakpoints, detaches and leaves the machine
   * running unless `leavePaused`. Dumps just close their file.
   */
  close(opts?: { leavePaused?: boolean }): Promise<void>;
  /** Lets go at once, without a word to the stub (when a clean end takes too long); a dump closes its file. */
  abort(reason: string): void;
}
