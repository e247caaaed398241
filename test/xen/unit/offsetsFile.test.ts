import { describe, expect, it } from 'vitest';
import { buildById, DEBIAN_XEN_4177, parseOffsetsFile } from '../../../src/xen';

const { name: _n, buildId: _b, source: _s, ...debian } = DEBIAN_XEN_4177;

describe('offsets files for builds HyperFrame does not know', () => {
  it('a file with every field reads back as the build it describes', () => {
    const b = parseOffsetsFile(JSON.stringify({ ...debian, name: 'Xen 4.17.7 (rebuilt)' }), 'mine.json');
    expect(b).toMatchObject({ name: 'Xen 4.17.7 (rebuilt)', version: '4.17.7', domain: DEBIAN_XEN_4177.domain, vcpu: DEBIAN_XEN_4177.vcpu, pageInfo: DEBIAN_XEN_4177.pageInfo, source: 'mine.json' });
    expect(b.sharedInfo).toEqual(DEBIAN_XEN_4177.sharedInfo);
    expect(b.buildId).toBeUndefined();
    expect(parseOffsetsFile(JSON.stringify({ ...debian, name: undefined }), 'x.json').name).toBe('Xen 4.17.7 (offsets from x.json)');
  });

  it('names what is missing or wrong, one line each', () => {
    const { tot_pages: _t, max_pages: _m, ...partial } = debian.domain;
    expect(() => parseOffsetsFile(JSON.stringify({ ...debian, domain: partial }), 'f.json')).toThrow("f.json: 'domain' lacks 'tot_pages', 'max_pages'");
    expect(() => parseOffsetsFile(JSON.stringify({ ...debian, vcpu: { ...debian.vcpu, processor: -4 } }), 'f.json')).toThrow('f.json: vcpu.processor must be an offset in bytes (0..65535), not -4');
    expect(() => parseOffsetsFile(JSON.stringify({ ...debian, version: 'latest' }), 'f.json')).toThrow(`f.json: 'version' must be Xen's version, e.g. "4.17.3"`);
    expect(() => parseOffsetsFile('{', 'f.json')).toThrow(/^f\.json is not JSON: /);
    expect(() => parseOffsetsFile(JSON.stringify({ ...debian, pageInfo: { ...debian.pageInfo, vBytes: 2 } }), 'f.json')).toThrow('f.json: pageInfo.vBytes must be 4 or 8');
  });

  it('known builds are found by build-id, in any case', () => {
    expect(buildById('151B373FD64B321593BF987FD923CD10DABADAC4')).toBe(DEBIAN_XEN_4177);
    expect(buildById('00')).toBeUndefined();
  });
});
