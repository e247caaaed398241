/**
 * Where a frame editor's bytes come from: a live debug session's physical memory, or a dump file
 * opened on its own. The editor reads only what is on screen, through this.
 */
export interface SourceRead {
  data: Uint8Array;
  /** Bytes after `data` that could not be read. */
  unreadable: number;
}

export interface FrameSource {
  /** For the header: the session's name, or the file's. */
  readonly name: string;
  /** First and last readable physical address, when known (a file); sessions have no end. */
  readonly start: bigint;
  readonly length?: number;
  read(pa: bigint, length: number): Promise<SourceRead>;
  /** Undefined when the source cannot be written (a dump). */
  write?(pa: bigint, data: Uint8Array): Promise<void>;
  /** Why edits are refused now (the target runs), or undefined. */
  readOnlyReason(): string | undefined;
}
