import { HyperFrameError } from '../util/errors';
import { xen417X8664, type XenLayout } from './layouts';
import { xen417CompatGuest, xenX8632 } from './layouts32';

/** Architectures the `region` command and the Xen Layout view know. */
export const XEN_ARCHES = ['x86_64', 'x86_32-pae', 'x86_32', 'x86_64-compat'] as const;
export type XenArch = (typeof XEN_ARCHES)[number];

/** Which side of a PV guest's tables: a PV vCPU's (slots 272-511 are the guest's) or Xen's idle tables (direct map to slot 510). */
export type XenContextKind = 'pv' | 'idle';

export interface LayoutQuery {
  /** Xen's version, "4.17", "4.13.2", "3.0" (default 4.17 for x86_64, 3.0 for x86_32). */
  xen?: string;
  arch?: XenArch;
  context?: XenContextKind;
  bigmem?: boolean;
}

function version(text: string): [number, number] {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?(?:[+~-].*)?$/.exec(text.trim());
  if (!m) throw new HyperFrameError('BAD_ARGUMENT', `bad Xen version '${text}': expected MAJOR.MINOR, e.g. 4.17`);
  return [Number(m[1]), Number(m[2])];
}

const before = (v: [number, number], major: number, minor: number): boolean => v[0] < major || (v[0] === major && v[1] < minor);

export function parseArch(text: string): XenArch {
  const t = text.trim().toLowerCase();
  const alias: Record<string, XenArch> = { x86_64: 'x86_64', amd64: 'x86_64', 'x86_32-pae': 'x86_32-pae', pae: 'x86_32-pae', x86_32: 'x86_32', i386: 'x86_32', 'x86_64-compat': 'x86_64-compat', compat: 'x86_64-compat' };
  const arch = alias[t];
  if (!arch) throw new HyperFrameError('BAD_ARGUMENT', `unknown architecture '${text}': expected one of ${XEN_ARCHES.join(', ')}`);
  return arch;
}

/**
 * The layout for a Xen version and architecture: x86_64 4.14 and later (4.17's config.h), x86_64
 * 4.4-4.13 (the high compat M2P and the image at 0xffff82d080000000), the 32-bit hypervisor
 * 3.x-4.2 with and without PAE, and a 32-bit PV guest's view of a 64-bit Xen.
 */
export function layoutFor(q: LayoutQuery = {}): XenLayout {
  const arch = q.arch ?? 'x86_64';
  switch (arch) {
    case 'x86_64': {
      const v = version(q.xen ?? '4.17');
      if (before(v, 4, 4)) throw new HyperFrameError('BAD_ARGUMENT', `Xen ${q.xen} x86_64: layouts before 4.4 are not described (4.4-4.13 and 4.14 onwards are)`);
      return xen417X8664({ bigmem: q.bigmem, pvContext: (q.context ?? 'pv') === 'pv', highCompatM2p: before(v, 4, 14) });
    }
    case 'x86_32-pae':
    case 'x86_32': {
      const v = version(q.xen ?? '3.0');
      if (!before(v, 4, 3)) throw new HyperFrameError('BAD_ARGUMENT', `Xen ${q.xen} has no 32-bit hypervisor: x86_32 was dropped in 4.3 (use --arch x86_64, or x86_64-compat for a 32-bit PV guest's view)`);
      return xenX8632({ pae: arch === 'x86_32-pae' });
    }
    case 'x86_64-compat':
      return xen417CompatGuest();
  }
}
