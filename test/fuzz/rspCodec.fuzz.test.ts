/**
 * The RSP codec against whatever a stub (or a relay, or line noise) can send: random and mutated
 * streams, escapes, run-length, lengths past the decoder's limit. The decoder itself never throws
 * (a bad frame is an event); the helpers refuse with HyperFrameError; no input makes a payload
 * larger than the decoder's limit, whatever its run-length markers claim.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checksum,
  decodeBody,
  type DecoderEvent,
  encodePacket,
  hexToBytes,
  leHexToBigInt,
  MAX_PAYLOAD_BYTES,
  PacketDecoder,
} from '../../src/gdbstub/codec';
import { classifyReply, parseStopReply, parseThreadId } from '../../src/gdbstub/replies';
import { fuzzParams, onlyTyped } from './fuzzRuns';

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** A packet as a stub frames it: `$body#cs`, the body taken as it is (escapes and `*` included). */
const framed = (body: string): string => `$${body}#${checksum(body).toString(16).padStart(2, '0')}`;

/** Bytes a stream is made of: mostly the protocol's own characters, so that frames really form. */
const wireByte = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0x24, 0x23, 0x7d, 0x2a, 0x2b, 0x2d, 0x03) }, // $ # } * + - ^C
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xff }) },
);
const wireText = fc.array(wireByte, { maxLength: 200 }).map((b) => latin1(Uint8Array.from(b)));

/** Well-formed packets of any payload, then mutated: bytes flipped, dropped, inserted. */
const mutatedStream = fc
  .tuple(
    fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((b) => encodePacket(latin1(b))), fc.constantFrom('+', '-', '\x03')), { maxLength: 6 }),
    fc.array(fc.tuple(fc.nat(), wireByte, fc.constantFrom('flip', 'drop', 'insert')), { maxLength: 6 }),
  )
  .map(([parts, edits]) => {
    const bytes = [...Buffer.from(parts.join(''), 'latin1')];
    for (const [at, b, how] of edits) {
      if (bytes.length === 0) break;
      const i = at % bytes.length;
      if (how === 'flip') bytes[i] = b;
      else if (how === 'drop') bytes.splice(i, 1);
      else bytes.splice(i, 0, b);
    }
    return latin1(Uint8Array.from(bytes));
  });

/** Any count byte but the two that would end the frame ('#', '$'), up to the largest (0xff). */
const rleCount = fc.integer({ min: 0, max: 255 }).filter((c) => c !== 0x23 && c !== 0x24);
/** A body with run-length markers that claim the most the count byte can say. */
const rleBody = fc
  .array(fc.oneof(fc.constantFrom('0', 'f', '}]', '}\x03'), rleCount.map((c) => '*' + String.fromCharCode(c))), { minLength: 1, maxLength: 100 })
  .map((parts) => parts.join(''));

/** Cuts `text` at the given points (chunks of any split, as TCP delivers them). */
function chunks(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let at = 0;
  for (const p of [...points, text.length]) {
    out.push(text.slice(at, p));
    at = p;
  }
  return out;
}

/** Events as a comparable list; garbage counts are merged, since their grouping follows the chunks. */
function normalise(events: DecoderEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const e of events) {
    const last = out.at(-1) as { type?: string; bytes?: number } | undefined;
    if (e.type === 'garbage' && last?.type === 'garbage') last.bytes! += e.bytes;
    else out.push({ ...e });
  }
  return out;
}

function checkEvents(events: DecoderEvent[], wireBytes: number): void {
  for (const e of events) {
    if (e.type === 'packet') {
      expect(e.payload.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
      expect(e.wireBytes).toBeLessThanOrEqual(wireBytes);
    }
    if (e.type === 'badPacket') expect(e.reason.length).toBeGreaterThan(0);
  }
  // Every event stands for at least one byte of the stream.
  expect(events.length).toBeLessThanOrEqual(wireBytes);
}

describe('RSP codec under fuzzing', () => {
  it('decodes random and mutated streams without throwing, in any split, to the same events', () => {
    fc.assert(
      fc.property(fc.oneof(wireText, mutatedStream), fc.array(fc.nat(), { maxLength: 5 }), (stream, cuts) => {
        const whole = new PacketDecoder().push(stream);
        checkEvents(whole, stream.length);
        const dec = new PacketDecoder();
        const split = chunks(stream, cuts).flatMap((c) => dec.push(Buffer.from(c, 'latin1')));
        expect(normalise(split)).toEqual(normalise(whole));
      }),
      fuzzParams(5000),
    );
  });

  it('round-trips any payload, and frames after line noise still decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), wireText, (bytes, noise) => {
        const payload = latin1(bytes);
        const dec = new PacketDecoder();
        dec.push(noise);
        // Whatever the noise left half-open, a fresh '$' starts over: the packet after it decodes.
        const events = dec.push(encodePacket(payload));
        const got = events.filter((e) => e.type === 'packet');
        expect(got.at(-1)).toEqual({ type: 'packet', payload, wireBytes: encodePacket(payload).length });
      }),
      fuzzParams(5000),
    );
  });

  it('expands run-length only to what the count byte says, within the payload limit', () => {
    fc.assert(
      fc.property(rleBody, fc.integer({ min: 1, max: 1000 }), (body, copies) => {
        // Copies of one body make packets of up to 20 MiB of claims in a few hundred KiB.
        const raw = body.repeat(copies);
        const out = onlyTyped(() => decodeBody(raw));
        if (out === undefined) return;
        expect(out.length).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
        // Each byte of the body yields at most 255 - 29 bytes (the largest count a byte can say).
        expect(out.length).toBeLessThanOrEqual(raw.length * 226);
        const dec = new PacketDecoder().push(framed(raw));
        expect(dec).toEqual([{ type: 'packet', payload: out, wireBytes: raw.length + 4 }]);
      }),
      fuzzParams(200, 5000),
    );
  });

  it('decodes any body, or refuses it with a typed error', () => {
    fc.assert(
      fc.property(wireText, (raw) => {
        const out = onlyTyped(() => decodeBody(raw));
        if (out !== undefined) expect(out.length).toBeLessThanOrEqual(raw.length * 226);
      }),
      fuzzParams(5000),
    );
  });

  it('reads hex, thread ids and replies from any text: typed errors or undefined, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(wireText, fc.stringMatching(/^[0-9a-fA-Fxp.;:TSWXE-]{0,40}$/)), (text) => {
        const bytes = onlyTyped(() => hexToBytes(text));
        if (bytes !== undefined) expect(bytes.length * 2).toBe(text.length);
        onlyTyped(() => leHexToBigInt(text));
        onlyTyped(() => parseThreadId(text));
        const stop = parseStopReply(text);
        if (stop !== undefined) expect(stop.raw).toBe(text);
        expect(['ok', 'error', 'empty', 'data']).toContain(classifyReply(text).kind);
      }),
      fuzzParams(5000),
    );
  });
});

describe('RSP codec findings, kept as plain tests', () => {
  it('refuses a body whose run-length markers claim more than the payload limit (was: out of memory)', () => {
    // 4 MiB of '0*~' claim 97 bytes per 2: ~130 MiB decoded; the decoder crashed the process.
    const body = '0' + '0*~'.repeat(1_300_000);
    expect(() => decodeBody(body)).toThrow(/run-length expands the packet past/);
    const events = new PacketDecoder().push(framed(body) + encodePacket('OK'));
    expect(events.map((e) => e.type)).toEqual(['badPacket', 'packet']);
  });

  it("starts over at a '$' inside a frame's checksum (was: the next packet's '$' read as a checksum digit)", () => {
    const events = new PacketDecoder().push('$ab#' + encodePacket('OK'));
    expect(events).toEqual([{ type: 'garbage', bytes: 4 }, { type: 'packet', payload: 'OK', wireBytes: 6 }]);
    expect(new PacketDecoder().push('$ab#1' + encodePacket('OK'))).toEqual([{ type: 'garbage', bytes: 5 }, { type: 'packet', payload: 'OK', wireBytes: 6 }]);
  });

  it('drops a body longer than the limit and decodes the packet after it', () => {
    const dec = new PacketDecoder();
    const long = '$' + '0'.repeat(MAX_PAYLOAD_BYTES + 10) + '#00';
    const events = [...dec.push(long.slice(0, 1000)), ...dec.push(long.slice(1000)), ...dec.push(encodePacket('OK'))];
    expect(events.filter((e) => e.type !== 'garbage')).toEqual([
      { type: 'badPacket', raw: '', reason: 'packet too long' },
      { type: 'packet', payload: 'OK', wireBytes: 6 },
    ]);
  });
});
