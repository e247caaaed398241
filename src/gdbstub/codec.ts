/**
 * GDB Remote Serial Protocol framing: `$payload#cs`, `+`/`-` acknowledgements, `}` escapes and `*`
 * run-length encoding, plus the hex helpers every command needs.
 *
 * Payloads are carried as "byte strings" (latin1: one char per byte, 0..255) so that binary
 * replies (qXfer, X) and ordinary ASCII replies share one type without copies.
 */
import { HyperFrameError } from '../util/errors';

/** The byte a client sends, outside any packet, to interrupt a running target. */
export const INTERRUPT_BYTE = 0x03;

const ESCAPE = 0x7d; // '}'
const RLE = 0x2a; // '*'
const ESCAPED = new Set([0x23, 0x24, 0x7d, 0x2a]); // '#', '$', '}', '*'

/** Modulo-256 sum of the payload bytes, as the protocol wants it. */
export function checksum(raw: string): number {
  let sum = 0;
  for (let i = 0; i < raw.length; i++) sum = (sum + raw.charCodeAt(i)) & 0xff;
  return sum;
}

/** Escapes the bytes that may not appear literally inside a packet (`# $ } *`). */
export function escapePayload(payload: string): string {
  let out = '';
  for (let i = 0; i < payload.length; i++) {
    const c = payload.charCodeAt(i);
    out += ESCAPED.has(c) ? String.fromCharCode(ESCAPE, c ^ 0x20) : payload[i];
  }
  return out;
}

/** Length a payload will have on the wire once escaped (to size binary writes). */
export function escapedLength(payload: string): number {
  let n = payload.length;
  for (let i = 0; i < payload.length; i++) if (ESCAPED.has(payload.charCodeAt(i))) n++;
  return n;
}

/** `$payload#cs` with the payload escaped. Text commands contain none of the escaped bytes. */
export function encodePacket(payload: string): string {
  const body = escapePayload(payload);
  return '$' + body + '#' + checksum(body).toString(16).padStart(2, '0');
}

/**
 * Bodies and decoded payloads longer than this are refused rather than buffered: a stub's replies
 * are a few KiB (QEMU's PacketSize is 4 KiB), and run-length lets a 4 MiB body claim 400 MiB.
 */
export const MAX_PAYLOAD_BYTES = 1 << 22;

/**
 * Undoes escapes and run-length encoding of a received packet body (checksum already verified).
 * `x*N` repeats the previous decoded byte `N - 29` more times.
 */
export function decodeBody(raw: string): string {
  if (raw.indexOf('}') < 0 && raw.indexOf('*') < 0) return raw; // the common case
  const out: string[] = [];
  let bytes = 0;
  let prev = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    let piece: string;
    if (c === ESCAPE) {
      if (i + 1 >= raw.length) throw new HyperFrameError('PROTOCOL', 'packet ends inside an escape');
      piece = prev = String.fromCharCode(raw.charCodeAt(++i) ^ 0x20);
    } else if (c === RLE) {
      if (prev === '' || i + 1 >= raw.length) {
        throw new HyperFrameError('PROTOCOL', 'run-length marker without a byte to repeat');
      }
      const count = raw.charCodeAt(++i) - 29;
      if (count < 0) throw new HyperFrameError('PROTOCOL', `bad run-length count in packet`);
      piece = prev.repeat(count);
    } else {
      piece = prev = raw[i];
    }
    bytes += piece.length;
    if (bytes > MAX_PAYLOAD_BYTES) {
      throw new HyperFrameError('PROTOCOL', `run-length expands the packet past ${MAX_PAYLOAD_BYTES} bytes`);
    }
    out.push(piece);
  }
  return out.join('');
}

export type DecoderEvent =
  | { type: 'ack' }
  | { type: 'nak' }
  | { type: 'packet'; payload: string; wireBytes: number }
  | { type: 'badPacket'; raw: string; reason: string }
  | { type: 'garbage'; bytes: number };

/**
 * Incremental decoder for the byte stream from a stub. Feed it TCP chunks in any split; it yields
 * acks, naks and complete packets. A `$` inside a body or its checksum restarts the frame (the peer
 * resynced).
 */
export class PacketDecoder {
  private state: 'idle' | 'body' | 'cs1' | 'cs2' = 'idle';
  private body: string[] = [];
  private bodyBytes = 0;
  private cs = '';

  push(chunk: Uint8Array | string): DecoderEvent[] {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    const events: DecoderEvent[] = [];
    let garbage = 0;
    const flushGarbage = (): void => {
      if (garbage > 0) events.push({ type: 'garbage', bytes: garbage });
      garbage = 0;
    };
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      switch (this.state) {
        case 'idle':
          if (ch === '$') {
            flushGarbage();
            this.startBody();
          } else if (ch === '+') {
            flushGarbage();
            events.push({ type: 'ack' });
          } else if (ch === '-') {
            flushGarbage();
            events.push({ type: 'nak' });
          } else {
            garbage++;
          }
          break;
        case 'body': {
          // Take the run up to the next '#' or '$' in one slice: replies are kilobytes of hex.
          let j = i;
          while (j < text.length && text.charCodeAt(j) !== 0x23 && text.charCodeAt(j) !== 0x24) j++;
          this.body.push(text.slice(i, j));
          this.bodyBytes += j - i;
          i = j;
          if (this.bodyBytes > MAX_PAYLOAD_BYTES) {
            events.push({ type: 'badPacket', raw: '', reason: 'packet too long' });
            this.state = 'idle';
            this.body = [];
          } else if (j < text.length && text[j] === '#') {
            this.state = 'cs1';
          } else if (j < text.length) {
            garbage += this.bodyBytes + 1; // a '$' inside a body: the peer started over
            flushGarbage();
            this.startBody();
          }
          break;
        }
        case 'cs1':
        case 'cs2':
          if (ch === '$') {
            // Checksum digits are hex: a '$' here starts a new frame (the peer started over).
            garbage += this.bodyBytes + (this.state === 'cs1' ? 2 : 3);
            flushGarbage();
            this.startBody();
          } else if (this.state === 'cs1') {
            this.cs = ch;
            this.state = 'cs2';
          } else {
            this.cs += ch;
            this.state = 'idle';
            events.push(this.finish());
          }
          break;
      }
    }
    flushGarbage();
    return events;
  }

  private startBody(): void {
    this.state = 'body';
    this.body = [];
    this.bodyBytes = 0;
  }

  private finish(): DecoderEvent {
    const raw = this.body.join('');
    this.body = [];
    if (!/^[0-9a-fA-F]{2}$/.test(this.cs)) return { type: 'badPacket', raw, reason: `bad checksum digits '${this.cs}'` };
    const want = parseInt(this.cs, 16);
    const got = checksum(raw);
    if (want !== got) {
      return { type: 'badPacket', raw, reason: `checksum ${hexByte(got)} != ${hexByte(want)}` };
    }
    try {
      return { type: 'packet', payload: decodeBody(raw), wireBytes: raw.length + 4 };
    } catch (e) {
      return { type: 'badPacket', raw, reason: e instanceof Error ? e.message : String(e) };
    }
  }
}

function hexByte(n: number): string {
  return n.toString(16).padStart(2, '0');
}

// ---- hex helpers ----------------------------------------------------------------------------

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

export function isHex(text: string): boolean {
  return HEX_RE.test(text);
}

export function bytesToHex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

/** Hex pairs to bytes; refuses odd lengths and non-hex digits (a garbled reply). */
export function hexToBytes(hex: string): Uint8Array {
  // Node's decoder stops at the first pair that is not hex: a short result is the check.
  const bytes = Buffer.from(hex, 'hex');
  if (hex.length % 2 !== 0 || bytes.length !== hex.length / 2) throw new HyperFrameError('PROTOCOL', `expected hex bytes, got '${preview(hex)}'`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length); // a view, not a copy
}

export function textToHex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

export function hexToText(hex: string): string {
  return Buffer.from(hexToBytes(hex)).toString('utf8');
}

export function bytesToLatin1(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
}

export function latin1ToBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

/**
 * A register value as the stub sends it (target byte order, little-endian on x86) to a bigint.
 * Returns undefined for `xx…`, the protocol's "value unavailable".
 */
export function leHexToBigInt(hex: string): bigint | undefined {
  if (/^x+$/i.test(hex)) return undefined;
  const bytes = hexToBytes(hex);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** A value to `bytes` little-endian bytes of hex; refuses values that do not fit. */
export function bigIntToLeHex(value: bigint, bytes: number): string {
  if (value < 0n || value >> BigInt(bytes * 8) !== 0n) {
    throw new HyperFrameError('BAD_ARGUMENT', `value 0x${value.toString(16)} does not fit in ${bytes} bytes`);
  }
  let out = '';
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out += Number(v & 0xffn).toString(16).padStart(2, '0');
    v >>= 8n;
  }
  return out;
}

/** The first characters of a payload for messages (packets can be kilobytes long). */
export function preview(payload: string, max = 40): string {
  const printable = payload.replace(/[^\x20-\x7e]/g, '.');
  return printable.length > max ? printable.slice(0, max) + '…' : printable;
}
