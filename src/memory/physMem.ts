/**
 * Where physical bytes come from. Everything that walks tables or shows frames reads through this
 * one interface; a source is a dump file, a live stub in physical mode, or a stub through a direct
 * map. Reads outside what the source holds reject with a HyperFrameError('OUT_OF_RANGE').
 */
export interface PhysMem {
  read(pa: bigint, bytes: number): Promise<Uint8Array>;
  /** One line for the user: what this source is ("ELF core vmcore.elf, 3 segments, 512 MiB"). */
  readonly description: string;
  /**
   * Whether [pa, pa+bytes) is all RAM (true), holds no RAM at all (false: MMIO, holes), or
   * unknown (undefined, also for a mix), for sources that know where RAM is.
   */
  isRam?(pa: bigint, bytes: number): boolean | undefined;
}

/** Physical memory that can be written: a live target's. */
export interface WritablePhysMem extends PhysMem {
  write(pa: bigint, data: Uint8Array): Promise<void>;
}
