import type { PhysMem } from '../memory/physMem';
import type { ControlRegs } from '../paging/modes';

/**
 * What a debugger needs of a machine, over a live stub or a dump. The CLI, the debug adapter and
 * the views all talk to a Target; only its implementations know where bytes come from.
 */
export interface Target {
  /** One line for the user: what this is and how physical memory is reached. */
  readonly description: string;
  /** Physical memory, cached for the current stop. */
  readonly phys: PhysMem;
  /** Number of vCPUs (threads), numbered from 0. */
  vcpuCount(): Promise<number>;
  /** The registers that choose the paging mode and root, with notes on any that were inferred. */
  controlRegs(vcpu: number): Promise<ControlRegs & { notes: string[] }>;
  close(): Promise<void>;
}
