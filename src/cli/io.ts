/** Where a command writes: the real process streams, or buffers in tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the reader has taken what was written (a pipe to a slow reader fills up). */
  drain?(): Promise<void> | undefined;
}

export const processIo: CliIo = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  drain: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', resolve)) : undefined),
};

/** Bytes of text gathered before one write: a walk prints hundreds of thousands of lines. */
const CHUNK_CHARS = 1 << 16;

/**
 * Lines gathered into large writes (one `io.out` per ~64 KiB, lines joined with newlines, so the
 * text is the same as line by line). Call `flush()` at the end.
 */
export class LineBuffer {
  private lines: string[] = [];
  private chars = 0;

  constructor(private readonly io: CliIo) {}

  line(text: string): void {
    this.lines.push(text);
    this.chars += text.length + 1;
    if (this.chars >= CHUNK_CHARS) this.flush();
  }

  flush(): void {
    if (this.lines.length === 0) return;
    this.io.out(this.lines.join('\n'));
    this.lines = [];
    this.chars = 0;
  }

  /** Waits while the reader lags behind, so that a long walk holds one batch of lines, not all. */
  drained(): Promise<void> | undefined {
    return this.io.drain?.();
  }
}
