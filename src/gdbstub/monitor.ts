/**
 * Monitor commands (`qRcmd,<hex>`): the stub streams `O<hex>` output packets, then `OK`. For
 * QEMU these are HMP commands (`info tlb`, `info registers`, `xp`, …); for gdbsx its own few.
 */
import { hexToText, isHex, textToHex } from './codec';
import { GdbConnection } from './connection';
import { StubError, classifyReply, replyError } from './replies';

export interface MonitorOptions {
  /** Time allowed without any output; long listings keep the request alive as they stream. */
  timeoutMs?: number;
  onOutput?: (text: string) => void;
}

export async function runMonitorCommand(conn: GdbConnection, command: string, options: MonitorOptions = {}): Promise<string> {
  const chunks: string[] = [];
  const packet = `qRcmd,${textToHex(command)}`;
  const reply = await conn.request(packet, {
    timeoutMs: options.timeoutMs,
    onConsole: (text) => {
      chunks.push(text);
      options.onOutput?.(text);
    },
  });
  const r = classifyReply(reply);
  const what = `monitor command '${command}'`;
  if (r.kind === 'ok') return chunks.join('');
  if (r.kind === 'empty') throw new StubError(packet, undefined, `this stub has no monitor commands (qRcmd); cannot run ${what}`);
  // Older stubs answer with the output itself, hex-encoded, instead of O packets.
  if (r.kind === 'data' && isHex(reply)) return chunks.join('') + hexToText(reply);
  throw replyError(packet, r, what);
}
