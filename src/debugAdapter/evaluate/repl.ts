import { HyperFrameError } from '../../util/errors';
import { hex } from '../../util/numbers';
import { readSpace } from '../memoryRefs';
import { registerLines } from '../registersText';
import { decodeCommand, translateCommand, walkCommand } from './pagingCommands';
import type { ReplEnv } from './replEnv';

/** Bytes `phys` dumps when no length is given, and at most. */
const PHYS_DEFAULT_BYTES = 256;
const PHYS_MAX_BYTES = 64 * 1024;

export const REPL_HELP = `Debug Console commands (anything else is an expression):
  decode VALUE [--mode M] [--level N] [--max-phys-bits N]
                                     decode a paging-structure entry (mode: legacy32 pae long4 long5 ept eptp;
                                     default the vCPU's; without --level it says which level it guessed); alias: pte
  translate VA                       walk VA through the vCPU's tables, every step; then the PFN, the memory
                                     type, the leaf entry's VA through a self-map slot
  walk [--leaves] [--split-pa] [--filter F] [--range FROM-TO] [--has VA] [--find-alias PA] [--limit N]
                                     what the vCPU's tables map, as merged ranges (or one line per page);
                                     the options of the CLI's walk (hyperframe walk --help)
  phys PA [LEN]                      hex dump of physical memory (default ${PHYS_DEFAULT_BYTES} bytes)
  regs                               the vCPU's registers, control registers decoded
  monitor CMD                        a QEMU monitor command, on the vCPU in focus (monitor info tlb)
  help                               this text
Expressions: numbers (0x10, 16, 0xffff_8000\`00000000), registers ($rip $cr3 $rax, or bare rip),
symbols (their address), + - * / % & | ^ << >> ~ ! unary minus, comparisons == != < <= > >= && ||,
memory *(u8|u16|u32|u64 *)EXPR and *EXPR (u64, virtual under the vCPU), phys(u64, EXPR) (physical),
(u32)EXPR keeps the low bytes. Arguments of commands are expressions without spaces ($cr3+0x10).`;

type Command = (rest: string, env: ReplEnv) => Promise<string[]>;

/** The same names as the CLI's: `decode` (`pte` is its alias, in both), `translate`, `walk`. */
const COMMANDS: Record<string, Command> = {
  decode: decodeCommand,
  pte: decodeCommand,
  translate: translateCommand,
  walk: walkCommand,
  phys: physCommand,
  regs: regsCommand,
  monitor: monitorCommand,
  help: async () => [REPL_HELP],
};

/** The command a Debug Console line starts with, or undefined when it is an expression. */
export function replCommand(line: string): { name: string; rest: string } | undefined {
  const m = /^\s*([a-z]+)(?:\s+(.*))?$/s.exec(line);
  if (!m || !(m[1] in COMMANDS)) return undefined;
  const rest = m[2] ?? '';
  if (m[1] === 'phys' && rest.startsWith('(')) return undefined; // phys(u64, …) is an expression
  if (/^\s*[-+*/%&|^<>=!]/.test(rest) && !rest.trim().startsWith('--')) return undefined; // `walk + 8`: a symbol in arithmetic
  return { name: m[1], rest };
}

export async function runReplCommand(name: string, rest: string, env: ReplEnv): Promise<string> {
  const run = COMMANDS[name];
  if (!run) throw new HyperFrameError('BAD_ARGUMENT', `unknown command '${name}': try help`);
  return (await run(rest, env)).join('\n');
}

async function physCommand(rest: string, env: ReplEnv): Promise<string[]> {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  if (words.length < 1 || words.length > 2) throw new HyperFrameError('BAD_ARGUMENT', 'phys takes an address and an optional length: phys 0x1000 64');
  const pa = await env.value(words[0]);
  const len = words[1] === undefined ? PHYS_DEFAULT_BYTES : Number(await env.value(words[1]));
  if (len < 1 || len > PHYS_MAX_BYTES) throw new HyperFrameError('BAD_ARGUMENT', `phys dumps 1..${PHYS_MAX_BYTES} bytes (asked ${len})`);
  const r = await readSpace(env.ctx.target, { kind: 'physical' }, pa, len);
  const lines = hexDump(pa, r.data);
  if (r.unreadableBytes) lines.push(`… ${r.unreadableBytes} bytes from ${hex(pa + BigInt(r.data.length))} unreadable${r.error ? `: ${r.error}` : ''}`);
  return lines;
}

/** 16 bytes a line: address, bytes, printable characters. */
export function hexDump(address: bigint, data: Uint8Array): string[] {
  const out: string[] = [];
  for (let o = 0; o < data.length; o += 16) {
    const row = data.subarray(o, o + 16);
    const bytes = [...row].map((b, i) => b.toString(16).padStart(2, '0') + (i === 7 ? ' ' : '')).join(' ');
    const text = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${hex(address + BigInt(o), 16)}  ${bytes.padEnd(48)}  |${text}|`);
  }
  return out;
}

async function regsCommand(rest: string, env: ReplEnv): Promise<string[]> {
  if (rest.trim()) throw new HyperFrameError('BAD_ARGUMENT', 'regs takes no argument (it shows the vCPU in focus)');
  return registerLines(env.vcpu, await env.state.registers(env.vcpu), await env.state.segments(env.vcpu), await env.state.paging(env.vcpu));
}

async function monitorCommand(rest: string, env: ReplEnv): Promise<string[]> {
  const cmd = rest.trim();
  if (!cmd) throw new HyperFrameError('BAD_ARGUMENT', 'monitor takes a command: monitor info tlb');
  if (!env.ctx.target.capabilities.monitor) throw new HyperFrameError('TARGET', 'this target has no monitor');
  // `cpu N` itself goes through as typed; anything else runs on the vCPU in focus.
  const text = await env.ctx.target.monitor(cmd, /^cpu\b/.test(cmd) ? undefined : env.vcpu);
  return [text.replace(/\r/g, '').replace(/\n+$/, '')];
}
