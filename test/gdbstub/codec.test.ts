import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PacketDecoder,
  bigIntToLeHex,
  checksum,
  decodeBody,
  encodePacket,
  escapePayload,
  hexToBytes,
  hexToText,
  leHexToBigInt,
  textToHex,
} from '../../src/gdbstub/codec';
import { frame } from './fakeStub';

const packets = (events: ReturnType<PacketDecoder['push']>): string[] =>
  events.flatMap((e) => (e.type === 'packet' ? [e.payload] : []));

describe('checksum and framing', () => {
  it('sums bytes modulo 256', () => {
    expect(checksum('')).toBe(0);
    expect(checksum('OK')).toBe(0x9a);
    expect(checksum('\xff\xff')).toBe(0xfe);
  });

  it('frames the packets seen on the wire with QEMU', () => {
    expect(encodePacket('?')).toBe('$?#3f');
    expect(encodePacket('OK')).toBe('$OK#9a');
    expect(encodePacket('T02thread:01;')).toBe('$T02thread:01;#04');
    expect(encodePacket('')).toBe('$#00');
  });

  it('escapes # $ } * as 0x7d followed by the byte xor 0x20, checksumming the escaped form', () => {
    expect(escapePayload('a#b$c}d*e')).toBe('a}\x03b}\x04c}]d}\x0ae');
    expect(encodePacket('X0,1:}')).toBe('$X0,1:}]#' + checksum('X0,1:}]').toString(16).padStart(2, '0'));
  });
});

describe('decoding bodies', () => {
  it('expands run-length encoding as in the GDB manual', () => {
    expect(decodeBody('0* ')).toBe('0000'); // ' ' = 32: three more
    expect(decodeBody('0*"00')).toBe('00000000'); // '"' = 34: five more, then two
    expect(decodeBody('ab*!c')).toBe('abbbbbc'); // '!' = 33: four more
  });

  it('undoes escapes, including an escaped run-length marker', () => {
    expect(decodeBody('}\x03}\x04}]}\x0a')).toBe('#$}*');
    expect(decodeBody('}]*!')).toBe('}}}}}'); // repeat applies to the decoded byte
  });

  it('refuses a dangling escape or a repeat with nothing to repeat', () => {
    expect(() => decodeBody('ab}')).toThrow(/escape/);
    expect(() => decodeBody('*!')).toThrow(/run-length/);
  });

  it('round-trips any binary payload through escape and decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const payload = Buffer.from(bytes).toString('latin1');
        const dec = new PacketDecoder();
        expect(packets(dec.push(encodePacket(payload)))).toEqual([payload]);
      }),
    );
  });
});

describe('PacketDecoder', () => {
  it('assembles a packet split across arbitrary TCP chunks', () => {
    const wire = '+' + frame('T05thread:p01.01;') + frame('O48690a') + frame('OK');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const dec = new PacketDecoder();
        const events = [];
        let at = 0;
        for (const p of [...points, wire.length]) {
          events.push(...dec.push(wire.slice(at, p)));
          at = p;
        }
        expect(events[0]).toEqual({ type: 'ack' });
        expect(packets(events)).toEqual(['T05thread:p01.01;', 'O48690a', 'OK']);
      }),
    );
  });

  it('yields several packets from one chunk, with acks and naks in between', () => {
    const events = new PacketDecoder().push('+$OK#9a-$E22#a9+');
    expect(events.map((e) => e.type)).toEqual(['ack', 'packet', 'nak', 'packet', 'ack']);
    expect(packets(events)).toEqual(['OK', 'E22']);
  });

  it('reports a bad checksum instead of a packet', () => {
    const events = new PacketDecoder().push('$OK#00');
    expect(events).toEqual([{ type: 'badPacket', raw: 'OK', reason: 'checksum 9a != 00' }]);
  });

  it('skips garbage between packets and restarts on a stray $', () => {
    const events = new PacketDecoder().push('junk\r\n$trunc$OK#9a');
    expect(packets(events)).toEqual(['OK']);
    expect(events.filter((e) => e.type === 'garbage').reduce((n, e) => n + (e.type === 'garbage' ? e.bytes : 0), 0)).toBe(12);
  });
});

describe('hex helpers', () => {
  it('converts bytes and text', () => {
    expect(hexToBytes('00ff7f')).toEqual(new Uint8Array([0, 255, 127]));
    expect(() => hexToBytes('abc')).toThrow(/hex/);
    expect(() => hexToBytes('zz')).toThrow(/hex/);
    expect(hexToText(textToHex('info status'))).toBe('info status');
  });

  it('reads and writes little-endian register values of any width', () => {
    expect(leHexToBigInt('b10f060000000000')).toBe(0x60fb1n);
    expect(leHexToBigInt('xxxxxxxx')).toBeUndefined();
    const st0 = 0x4000c90fdaa22168c235n; // 80-bit
    expect(leHexToBigInt(bigIntToLeHex(st0, 10))).toBe(st0);
    const xmm = (1n << 127n) | 0x1234n;
    expect(bigIntToLeHex(xmm, 16)).toBe('3412' + '00'.repeat(13) + '80');
    expect(() => bigIntToLeHex(0x1_0000n, 2)).toThrow(/fit/);
  });
});
