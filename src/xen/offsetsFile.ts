import { HyperFrameError } from '../util/errors';
import { SHARED_INFO_X86_64 } from './knownBuilds';
import type { PageInfoLayout } from './pageInfo';
import type { BuildConfig, DomainOffsets, SharedInfoOffsets, VcpuOffsets, XenBuild } from './structLayouts';

/**
 * Offsets for a build HyperFrame does not know, from a JSON file the user writes (the CLI's
 * --xen-offsets, the launch configuration's xenOffsets; docs/xen-offsets.md describes it):
 *
 *   { "name": "Xen 4.17.3 (my build)", "version": "4.17.3",
 *     "config": { "bigmem": false, "pv32": true, "shadowPaging": true },
 *     "domain": { "domain_id": 0, … }, "vcpu": { "vcpu_id": 0, … },
 *     "pageInfo": { "size": 32, "countInfo": 8, "typeInfo": 16, "v": 24, "vBytes": 4, "tail": 28, "tailBytes": 4 } }
 *
 * Every field of `domain`, `vcpu` and `pageInfo` is required: a missing one is named, not
 * guessed. `sharedInfo` defaults to the x86_64 ABI, which no build changes.
 */

const DOMAIN_KEYS: readonly (keyof DomainOffsets)[] = [
  'domain_id', 'max_vcpus', 'vcpu', 'shared_info', 'tot_pages', 'xenheap_pages', 'outstanding_pages', 'max_pages', 'extra_pages',
  'next_in_list', 'options', 'is_dying', 'is_privileged', 'pause_count', 'refcnt', 'vm_assist',
  'arch_pv_nr_l4_pages', 'arch_pv_is_32bit', 'arch_pv_xpti', 'arch_pv_pcid',
];
const VCPU_KEYS: readonly (keyof VcpuOffsets)[] = ['vcpu_id', 'processor', 'vcpu_info', 'domain', 'is_running', 'pause_flags', 'arch_guest_table_user', 'arch_guest_table', 'arch_cr3'];
const PAGE_INFO_KEYS: readonly (keyof PageInfoLayout)[] = ['size', 'countInfo', 'typeInfo', 'v', 'vBytes', 'tail', 'tailBytes'];
const SHARED_INFO_KEYS: readonly (keyof SharedInfoOffsets)[] = ['arch_max_pfn', 'arch_pfn_to_mfn_frame_list_list', 'arch_p2m_cr3', 'arch_p2m_vaddr', 'arch_p2m_generation'];

/** Largest offset accepted: struct domain and struct vcpu are a few KiB, never 64 KiB. */
const MAX_OFFSET = 0xffff;

type Json = Record<string, unknown>;

function object(v: unknown, where: string, file: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HyperFrameError('BAD_FILE', `${file}: ${where} must be an object`);
  return v as Json;
}

function offsets<K extends string>(v: unknown, keys: readonly K[], where: string, file: string): Record<K, number> {
  const o = object(v, `'${where}'`, file);
  const missing = keys.filter((k) => o[k] === undefined);
  if (missing.length) throw new HyperFrameError('BAD_FILE', `${file}: '${where}' lacks ${missing.map((k) => `'${k}'`).join(', ')}`);
  const out = {} as Record<K, number>;
  for (const k of keys) {
    const x = o[k];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > MAX_OFFSET) {
      throw new HyperFrameError('BAD_FILE', `${file}: ${where}.${k} must be an offset in bytes (0..${MAX_OFFSET}), not ${JSON.stringify(x)}`);
    }
    out[k] = x;
  }
  return out;
}

function config(v: unknown, file: string): BuildConfig {
  const o = object(v ?? {}, "'config'", file);
  const flag = (k: keyof BuildConfig): boolean => {
    if (o[k] === undefined) return false;
    if (typeof o[k] !== 'boolean') throw new HyperFrameError('BAD_FILE', `${file}: config.${k} must be true or false`);
    return o[k] as boolean;
  };
  return { bigmem: flag('bigmem'), pv32: flag('pv32'), shadowPaging: flag('shadowPaging') };
}

/** A build from the text of an offsets file (`file` names it in messages). */
export function parseOffsetsFile(text: string, file: string): XenBuild {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HyperFrameError('BAD_FILE', `${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const o = object(json, 'the top level', file);
  const version = o.version;
  if (typeof version !== 'string' || !/^\d+\.\d+(\.\d+)?/.test(version)) throw new HyperFrameError('BAD_FILE', `${file}: 'version' must be Xen's version, e.g. "4.17.3"`);
  const pageInfo = offsets(o.pageInfo, PAGE_INFO_KEYS, 'pageInfo', file) as unknown as PageInfoLayout;
  if (pageInfo.vBytes !== 4 && pageInfo.vBytes !== 8) throw new HyperFrameError('BAD_FILE', `${file}: pageInfo.vBytes must be 4 or 8`);
  if (pageInfo.tailBytes !== 4 && pageInfo.tailBytes !== 8) throw new HyperFrameError('BAD_FILE', `${file}: pageInfo.tailBytes must be 4 or 8`);
  return {
    name: typeof o.name === 'string' && o.name.trim() ? o.name : `Xen ${version} (offsets from ${file})`,
    version,
    config: config(o.config, file),
    domain: offsets(o.domain, DOMAIN_KEYS, 'domain', file),
    vcpu: offsets(o.vcpu, VCPU_KEYS, 'vcpu', file),
    pageInfo,
    sharedInfo: o.sharedInfo === undefined ? SHARED_INFO_X86_64 : offsets(o.sharedInfo, SHARED_INFO_KEYS, 'sharedInfo', file),
    source: file,
  };
}
