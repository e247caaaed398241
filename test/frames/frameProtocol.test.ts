import { describe, expect, it } from 'vitest';
import { parseFromWebview } from '../../src/shared/frameProtocol';

describe('messages from the frame editor’s webview are checked before anything acts on them', () => {
  it('accepts the messages of the protocol', () => {
    expect(parseFromWebview({ type: 'read', id: 3, pa: '0x1000', length: 4096 })).toEqual({ ok: true, message: { type: 'read', id: 3, pa: '0x1000', length: 4096 } });
    expect(parseFromWebview({ type: 'edit', pa: '0x1000', value: 255, extra: 'ignored' })).toEqual({ ok: true, message: { type: 'edit', pa: '0x1000', value: 255 } });
    expect(parseFromWebview({ type: 'decodeTable', id: 1, pa: '0x1000', table: { mode: 'pae', level: 3, baseVa: '0x0' } }).ok).toBe(true);
  });

  it.each([
    [null, /not a message/],
    ['read', /not a message/],
    [{ type: 'read', id: -1, pa: '0x1000', length: 1 }, /id must be/],
    [{ type: 'read', id: 1, pa: '4096', length: 1 }, /pa must be a 0x… address/],
    [{ type: 'read', id: 1, pa: '0x1000', length: 1e9 }, /length must be 1\.\.65536/],
    [{ type: 'read', id: 1, pa: '0x' + 'f'.repeat(17), length: 1 }, /pa must be/],
    [{ type: 'edit', pa: '0x1000', value: 256 }, /value must be a byte/],
    [{ type: 'edit', pa: '0x1000', value: '1' }, /value must be a byte/],
    [{ type: 'decodeTable', id: 1, pa: '0x1000', table: { mode: 'long9', level: 1, baseVa: '0x0' } }, /table.mode/],
    [{ type: 'decodeTable', id: 1, pa: '0x1000', table: { mode: 'long4', level: 7, baseVa: '0x0' } }, /table.level/],
    [{ type: 'openFrame', pa: '0x1000', table: 'x' }, /table must be an object/],
    [{ type: 'eval', code: 'alert(1)' }, /unknown message type "eval"/],
  ])('refuses %j with a reason', (raw, reason) => {
    const r = parseFromWebview(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
  });
});
