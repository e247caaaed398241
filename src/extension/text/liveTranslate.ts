import * as vscode from 'vscode';
import type { LiveTranslation } from '../../textDecode/hoverText';
import type { SessionTracker } from '../session/sessionTracker';

/** What the hover asks of a debug session: where a VA lands under a vCPU's tables, if it can say. */
export interface LiveTranslate {
  /** Undefined without a stopped session, or when the adapter does not answer in time. */
  translate(va: bigint): Promise<LiveTranslation | undefined>;
}

/** How long a hover waits for the session before showing the offline readings alone. */
const WAIT_MS = 1500;

/** The vCPU whose thread VS Code has in focus in the session, else the one that stopped. */
function focusedVcpu(sessionId: string, stoppedVcpu: number | undefined): number | undefined {
  const item = vscode.debug.activeStackItem;
  return item && item.session.id === sessionId ? item.threadId - 1 : stoppedVcpu;
}

/**
 * `hyperframe/translate` on the active HyperFrame session while it is stopped. A failed request
 * (an older adapter, a VA the walk cannot reach) is "no session answer": the hover still shows
 * its offline readings.
 */
export function sessionTranslate(tracker: SessionTracker): LiveTranslate {
  return {
    async translate(va: bigint): Promise<LiveTranslation | undefined> {
      const t = tracker.active();
      // The first page is no address anyone hovers for: small numbers are counts and flags.
      if (!t || t.snapshot.state !== 'stopped' || va < 0x1000n || va >= 1n << 64n) return undefined;
      const vcpu = focusedVcpu(t.client.id, t.snapshot.stoppedVcpu);
      const ask = t.client.request('hyperframe/translate', { va: `0x${va.toString(16)}`, ...(vcpu !== undefined ? { vcpu } : {}) }).then(
        (r): LiveTranslation => ({ ...r, vcpu: r.vcpu ?? vcpu }),
        () => undefined,
      );
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, WAIT_MS, undefined)));
      try {
        return await Promise.race([ask, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
