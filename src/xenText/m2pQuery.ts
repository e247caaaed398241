/** What the M2P command's input box takes, as `hyperframe/xen/m2p` arguments. */

/** `0x10+4` → a run; `0x10 0x20` → a list; anything else undefined. */
export function m2pQuery(text: string): { mfn: string; count: number } | { mfns: string[] } | undefined {
  const num = /^(0x[0-9a-f]+|\d+)$/i;
  const run = /^\s*(0x[0-9a-f]+|\d+)\s*\+\s*(\d+)\s*$/i.exec(text);
  if (run) {
    const count = Number(run[2]);
    return count >= 1 && count <= 4096 ? { mfn: run[1], count } : undefined;
  }
  const mfns = text.split(/[\s,]+/).filter(Boolean);
  return mfns.length >= 1 && mfns.length <= 4096 && mfns.every((m) => num.test(m)) ? { mfns } : undefined;
}
