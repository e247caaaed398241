/**
 * Xen's own console as a test oracle. On the serial line three Ctrl-A switch input from dom0 to
 * Xen (and three more back); Xen then takes single-key debug commands: `q` dumps every domain —
 * page counts, vCPUs and their CPUs, and `XenPage <mfn>: caf=…, taf=…` for each xenheap page
 * (xen/common/keyhandler.c, arch/x86/domain.c). dom0's shell shares the same line (hvc0 through
 * Xen's console), which gives its own reports: /proc/cmdline, /proc/kallsyms.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BootedXen } from './xenGuest';
import { DOM0_PROMPT } from './xenGuest';

const CTRL_A3 = '\x01\x01\x01';

export interface QDomain {
  id: number;
  refcnt: number;
  dying: number;
  pauseCount: number;
  nrPages: number;
  xenheapPages: number;
  maxPages: number;
  xenPages: { mfn: bigint; caf: bigint; taf: bigint }[];
  vcpus: { id: number; cpu: number; pauseFlags: bigint }[];
}

/** Presses a debug key and returns what Xen printed for it, once `until` shows; input goes back to dom0. */
export async function debugKey(g: BootedXen, key: string, until: RegExp, timeoutMs = 60_000): Promise<string> {
  const from = g.serial().length;
  g.send(CTRL_A3);
  await g.waitSerial('*** Serial input to Xen', 20_000, from);
  const keyFrom = g.serial().length;
  g.send(key);
  try {
    await g.waitSerial(until, timeoutMs, keyFrom);
    return g.serial().slice(keyFrom);
  } finally {
    const back = g.serial().length;
    g.send(CTRL_A3);
    await g.waitSerial('*** Serial input to DOM0', 20_000, back);
  }
}

/** Xen's 'q' dump, parsed per domain. */
export async function dumpDomains(g: BootedXen): Promise<QDomain[]> {
  const text = await debugKey(g, 'q', /Shared frames \d+ -- Saved frames \d+/);
  const out: QDomain[] = [];
  let d: QDomain | undefined;
  let lastVcpu: QDomain['vcpus'][number] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\(XEN\)\s*/, '');
    let m: RegExpExecArray | null;
    if ((m = /^General information for domain (\d+):/.exec(line))) {
      d = { id: Number(m[1]), refcnt: -1, dying: -1, pauseCount: -1, nrPages: -1, xenheapPages: -1, maxPages: -1, xenPages: [], vcpus: [] };
      out.push(d);
    } else if (d && (m = /^refcnt=(\d+) dying=(\d+) pause_count=(\d+)/.exec(line))) {
      [d.refcnt, d.dying, d.pauseCount] = [Number(m[1]), Number(m[2]), Number(m[3])];
    } else if (d && (m = /^nr_pages=(\d+) xenheap_pages=(\d+) .*max_pages=(\d+)/.exec(line))) {
      [d.nrPages, d.xenheapPages, d.maxPages] = [Number(m[1]), Number(m[2]), Number(m[3])];
    } else if (d && (m = /^XenPage ([0-9a-f]+): caf=([0-9a-f]+), taf=([0-9a-f]+)/.exec(line))) {
      d.xenPages.push({ mfn: BigInt(`0x${m[1]}`), caf: BigInt(`0x${m[2]}`), taf: BigInt(`0x${m[3]}`) });
    } else if (d && (m = /^VCPU(\d+): CPU(\d+) /.exec(line))) {
      lastVcpu = { id: Number(m[1]), cpu: Number(m[2]), pauseFlags: -1n };
      d.vcpus.push(lastVcpu);
    } else if (lastVcpu && (m = /^pause_count=\d+ pause_flags=([0-9a-f]+)/.exec(line))) {
      lastVcpu.pauseFlags = BigInt(`0x${m[1]}`);
    }
  }
  return out;
}

let shellSeq = 0;

/** Runs a command in dom0's shell and returns its output lines (Xen's own log lines dropped). */
export async function dom0Shell(g: BootedXen, command: string, timeoutMs = 150_000): Promise<string[]> {
  const tag = `HF-OUT-${++shellSeq}`;
  // Typed before the shell's first prompt, characters are lost: wait for one.
  await g.waitSerial(DOM0_PROMPT, timeoutMs);
  const from = g.serial().length;
  // The shell computes the markers ($((0)) → 0), so the echoed command line never holds them.
  g.type(`echo ${tag}-B$((0)); ${command}; echo ${tag}-E$((0))`);
  await g.waitSerial(new RegExp(`^${tag}-E0$`, 'm'), timeoutMs, from);
  const text = g.serial().slice(from);
  const start = text.search(new RegExp(`^${tag}-B0$`, 'm'));
  const end = text.search(new RegExp(`^${tag}-E0$`, 'm'));
  const body = text.slice(text.indexOf('\n', start) + 1, end);
  await g.waitSerial(DOM0_PROMPT, 10_000, from + end);
  return body.split('\n').filter((l) => l !== '' && !l.startsWith('(XEN)'));
}

/**
 * A System.map for dom0's kernel from the running kernel's own /proc/kallsyms (the same lines):
 * Debian's linux-image ships only a placeholder System.map, the real one being in a 900 MB -dbg
 * package. Only the named symbols are kept, to keep the serial line short.
 */
export async function dom0SystemMap(g: BootedXen, dir: string, names: readonly string[]): Promise<{ path: string; lines: string[] }> {
  const lines = (await dom0Shell(g, `grep -E ' (${names.join('|')})$' /proc/kallsyms`)).filter((l) => /^[0-9a-f]{16} [a-zA-Z] \S+$/.test(l));
  const path = join(dir, 'System.map');
  await writeFile(path, `${lines.join('\n')}\n`);
  return { path, lines };
}
