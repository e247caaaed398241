/**
 * The built CLI as a user runs it: a whole process (Node's start-up included), its output thrown
 * away, timed from spawn to exit, with its peak RSS (read by a preloaded one-liner, rss.cjs).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface CliRun {
  ms: number;
  rssMiB: number;
  code: number;
}

export async function runCliProcess(args: string[]): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), 'hf-bench-'));
  const rssFile = join(dir, 'rss');
  const devNull = openSync('/dev/null', 'w');
  try {
    const start = performance.now();
    const child = spawn(process.execPath, ['--require', join(ROOT, 'bench', 'rss.cjs'), join(ROOT, 'dist', 'cli.js'), ...args], {
      stdio: ['ignore', devNull, 'inherit'],
      env: { ...process.env, HF_RSS_FILE: rssFile },
    });
    const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
    const ms = performance.now() - start;
    return { ms, rssMiB: Number(readFileSync(rssFile, 'utf8')) / 1024, code };
  } finally {
    closeSync(devNull);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The best (fastest) of `n` runs, and the largest RSS seen. */
export async function bestOf(n: number, args: string[]): Promise<CliRun> {
  let best: CliRun | undefined;
  let rss = 0;
  for (let i = 0; i < n; i++) {
    const r = await runCliProcess(args);
    if (r.code !== 0) throw new Error(`hyperframe ${args.join(' ')} exited with ${r.code}`);
    rss = Math.max(rss, r.rssMiB);
    if (!best || r.ms < best.ms) best = r;
  }
  return { ...best!, rssMiB: rss };
}
