#!/usr/bin/env node
// The `hyperframe` command: the bundled entry point.
import { runCli } from './run';

// `hyperframe walk … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// Exit once stdout has taken everything: a pipe to a slower reader holds what did not fit yet.
const exitAfterOutput = (code: number): void => void process.stdout.write('', () => process.exit(code));

runCli(process.argv.slice(2)).then(
  (code) => exitAfterOutput(code),
  (e: unknown) => {
    process.stderr.write(`hyperframe: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(3);
  },
);
