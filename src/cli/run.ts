import { isHyperFrameError } from '../util/errors';
import { DECODE_HELP, decodeCommand } from './decodeCommand';
import { type CliIo, processIo } from './io';
import { REGS_HELP, regsCommand } from './regsCommand';
import { SEARCH_HELP, searchCommand } from './searchCommand';
import { TRANSLATE_HELP, translateCommand } from './translateCommand';
import { WALK_HELP, walkCommand } from './walkCommand';
import { domainsCommand, frameCommand, m2pCommand, p2mCommand, regionCommand, startInfoCommand, XEN_HELP } from './xenCommands';

/** The same names as the Debug Console's: `decode` (`pte` is its alias, in both), `translate`, `walk`, `regs`. */
const COMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  decode: decodeCommand,
  pte: decodeCommand,
  translate: translateCommand,
  walk: walkCommand,
  search: searchCommand,
  regs: regsCommand,
  region: regionCommand,
  domains: domainsCommand,
  m2p: m2pCommand,
  frame: frameCommand,
  p2m: p2mCommand,
  startinfo: startInfoCommand,
};

/** SOURCE, numbers and exit status: the tail of every help text. */
const COMMON_HELP = `SOURCE is one of:
  --target HOST:PORT [--physical auto|file|proc|qemu|identity|OFFSET] [--timeout MS]
      a gdb-remote stub (QEMU -gdb tcp::1234): attach, read, detach leaving the VM running;
      --timeout: how long to wait for each answer (default 5000 ms).
      --physical says how to reach physical memory. auto takes the first that works of: QEMU's
      RAM as a shared file (file: -object memory-backend-file,share=on), QEMU's process memory
      at the addresses its monitor's gpa2hva gives (proc: /proc/PID/mem, QEMU on this host and
      the right to read it), QEMU's physical mode over the stub (qemu), identity with paging off,
      the direct map the --symbols files (xen-syms, vmlinux) reveal, or OFFSET (a direct map).
      MMIO and holes are always read through the stub. Text output names the path taken.
      --xen-offsets FILE: struct offsets for a Xen build HyperFrame does not know.
  --core FILE        an ELF core from QEMU's dump-guest-memory (registers from its notes)
  --raw FILE [--base PA]   a raw physical image (no registers: give --root and --mode)
  with any of them, --symbols FILE (repeatable): ELF images (xen-syms, vmlinux) and System.map
      files alike, whose symbols name addresses

Numbers: 0x-prefixed hex or decimal; digits may be grouped with _ or a backtick (0xffff8300\`00000000).
Exit status: 0 done, 1 no translation (search: no match), 2 bad input (one line on stderr).`;

export const USAGE = `HyperFrame: see memory the way the MMU sees it.

${DECODE_HELP}

${TRANSLATE_HELP}

${WALK_HELP}

${SEARCH_HELP}

${REGS_HELP}

${XEN_HELP}

${COMMON_HELP}`;

/** One command's help (`hyperframe walk --help`): its own paragraph, then SOURCE and the rest. */
export function commandHelp(cmd: string): string {
  const own: Record<string, string> = { decode: DECODE_HELP, pte: DECODE_HELP, translate: TRANSLATE_HELP, walk: WALK_HELP, search: SEARCH_HELP, regs: REGS_HELP };
  const name = cmd === 'pte' ? 'decode' : cmd;
  // The Xen commands share one text: their paragraphs start with `hyperframe NAME`.
  const text = own[cmd] ?? XEN_HELP.split('\n\n').filter((p) => p.startsWith(`hyperframe ${name} `)).join('\n\n');
  return `${text}\n\n${COMMON_HELP}`;
}

/** Runs one CLI invocation; returns the exit status. Errors become one line on stderr. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(USAGE);
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    io.err(`hyperframe: unknown command '${cmd}' (commands: ${Object.keys(COMMANDS).join(', ')}; --help for usage)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(cmd));
    return 0;
  }
  try {
    return await run(rest, io);
  } catch (e) {
    if (isHyperFrameError(e)) {
      io.err(`hyperframe ${cmd}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
