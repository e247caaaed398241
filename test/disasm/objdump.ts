/** One instruction as `objdump -d` prints it, continuation lines of long encodings joined. */
export interface ObjdumpLine {
  address: bigint;
  bytes: number[];
  /** Whitespace collapsed, lower-cased, annotations split off. */
  body: string;
  /** `<name+0x1a>` after a branch target or in a `# addr <name>` comment. */
  label?: string;
  /** The address of a `# addr` comment (RIP-relative operands). */
  commentVa?: bigint;
}

export function parseObjdump(out: string): ObjdumpLine[] {
  const lines: ObjdumpLine[] = [];
  for (const raw of out.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\s*(?:\t(.*))?$/.exec(raw);
    if (!m) continue;
    const bytes = m[2].split(' ').map((b) => parseInt(b, 16));
    if (m[3] === undefined) {
      lines[lines.length - 1].bytes.push(...bytes); // the rest of a long encoding
      continue;
    }
    lines.push({ address: BigInt('0x' + m[1]), bytes, ...splitText(m[3]) });
  }
  return lines;
}

function splitText(text: string): Pick<ObjdumpLine, 'body' | 'label' | 'commentVa'> {
  let t = text.replace(/\s+/g, ' ').trim();
  let label: string | undefined;
  let commentVa: bigint | undefined;
  const comment = /^(.*?) ?# ([0-9a-f]+)(?: <([^>]+)>)?$/.exec(t);
  if (comment) {
    t = comment[1];
    commentVa = BigInt('0x' + comment[2]);
    label = comment[3];
  }
  // Branch targets: `call 4010c5 <g>` — objdump omits the 0x that gdb (and we) print.
  const branch = /^(.*? )([0-9a-f]+) <([^>]+)>$/.exec(t);
  if (branch) {
    t = `${branch[1]}0x${branch[2]}`;
    label = branch[3];
  }
  return { body: t.toLowerCase(), label, commentVa };
}
