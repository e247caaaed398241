import { layoutFor } from '../../xen';
import { m2pHoverLine, xenHoverLine } from '../../xenText/viewText';
import type { XenHover } from '../text/textProviders';
import type { XenSessionCache, XenTracked } from './xenSessionCache';

/**
 * The Xen lines of the number hover: the region of Xen's layout a value in slots 256-271 lies in
 * (the running build's layout in a Xen session, Xen 4.17's otherwise), and for an `mfn` value the
 * pfn the M2P gives in a Xen session. No `vscode`.
 */
export function xenHover(cache: XenSessionCache, active: () => XenTracked | undefined): XenHover {
  return {
    async lines(value: bigint, isMfn: boolean): Promise<string[]> {
      const t = active();
      const xen = t ? await cache.isXen(t) : false;
      const layout = xen ? await cache.layout(t!) : layoutFor();
      const out: string[] = [];
      const region = xenHoverLine(value, layout);
      if (region) out.push(region);
      if (xen && isMfn && value < 1n << 40n) {
        const m = await t!.client.request('hyperframe/xen/m2p', { mfns: [`0x${value.toString(16)}`] });
        if (m.entries[0]) out.push(m2pHoverLine(value, m.entries[0]));
      }
      return out;
    },
  };
}
