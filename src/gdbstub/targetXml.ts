/**
 * Target descriptions: fetching `qXfer:features:read:<annex>` in `m`/`l` chunks and reading the
 * few things we need from the XML (architecture, and each `<reg>` in document order, following
 * `<xi:include>`). The XML gdb stubs emit is flat and simple, so a small tag scanner does; it
 * skips comments, DOCTYPE and processing instructions and ignores the type definitions.
 */
import { HyperFrameError } from '../util/errors';
import { GdbConnection } from './connection';
import { classifyReply, replyError } from './replies';

export interface XmlTag {
  name: string;
  attrs: Record<string, string>;
  /** `<a>` opens, `</a>` closes, `<a/>` is both. */
  kind: 'open' | 'close' | 'empty';
  /** Text between this tag and the next one (entity-decoded, trimmed). */
  textAfter: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

const MAX_CODE_POINT = 0x10ffff;

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (!e.startsWith('#')) return ENTITIES[e] ?? m;
    const code = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    if (!(code <= MAX_CODE_POINT)) {
      throw new HyperFrameError('PROTOCOL', `target description: character reference '${m.slice(0, 24)}' is past the last Unicode code point`);
    }
    return String.fromCodePoint(code);
  });
}

/** Every element tag of a document, in order. */
export function scanXml(xml: string): XmlTag[] {
  const tags: XmlTag[] = [];
  let i = 0;
  const fail = (what: string): HyperFrameError =>
    new HyperFrameError('PROTOCOL', `target description: ${what} at offset ${i}`);
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    if (tags.length > 0) tags[tags.length - 1].textAfter += decodeEntities(xml.slice(i, lt)).trim();
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) throw fail('unterminated comment');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<?', i) || xml.startsWith('<!', i)) {
      const end = xml.indexOf('>', i);
      if (end < 0) throw fail('unterminated declaration');
      i = end + 1;
      continue;
    }
    const m = /^<(\/?)([A-Za-z_][\w:.-]*)/.exec(xml.slice(i, i + 200));
    if (!m) throw fail('bad tag');
    i += m[0].length;
    const attrs: Record<string, string> = {};
    const attrRe = /\s*([A-Za-z_][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
    while (true) {
      attrRe.lastIndex = i;
      const a = attrRe.exec(xml);
      if (!a) break;
      attrs[a[1]] = decodeEntities(a[3] ?? a[4] ?? '');
      i = attrRe.lastIndex;
    }
    const close = /^\s*(\/?)>/.exec(xml.slice(i, i + 64));
    if (!close) throw fail(`bad tag <${m[2]}>`);
    i += close[0].length;
    const kind = m[1] === '/' ? 'close' : close[1] === '/' ? 'empty' : 'open';
    tags.push({ name: m[2], attrs, kind, textAfter: '' });
  }
  return tags;
}

export interface RegisterInfo {
  name: string;
  bitsize: number;
  regnum: number;
  /** gdb's register group ("general", "float", "vector", "system"…), when the XML gives one. */
  group?: string;
  /** gdb's type name ("int", "code_ptr", "i387_ext", "vec128", "i386_eflags"…). */
  type?: string;
  /** The `<feature name=…>` the register came from ("org.gnu.gdb.i386.core"). */
  feature?: string;
}

export interface TargetDescription {
  architecture?: string;
  registers: RegisterInfo[];
  /** Every annex read, for diagnostics (`target.xml`, `i386-64bit.xml`). */
  annexes: string[];
}

/** Includes nest one or two levels in practice (QEMU: target.xml > i386-64bit.xml). */
const MAX_INCLUDE_DEPTH = 8;

/**
 * Walks the description from `root`, fetching includes through `fetch`. Register numbers follow
 * gdb's rule: an explicit `regnum`, else one more than the previous register (the first is 0).
 */
export async function parseTargetDescription(
  root: string,
  fetch: (annex: string) => Promise<string>,
): Promise<TargetDescription> {
  const result: TargetDescription = { registers: [], annexes: [] };
  let nextRegnum = 0;
  const path: string[] = [];
  const visit = async (annex: string): Promise<void> => {
    const refuse = (why: string) => new HyperFrameError('PROTOCOL', `target description ${why} ('${path.join("' > '")}' > '${annex}')`);
    if (path.includes(annex)) throw refuse(`includes '${annex}' recursively`);
    if (result.annexes.includes(annex)) throw refuse(`includes '${annex}' twice`);
    if (path.length > MAX_INCLUDE_DEPTH) throw refuse(`nests includes deeper than ${MAX_INCLUDE_DEPTH} levels`);
    result.annexes.push(annex);
    path.push(annex);
    let feature: string | undefined;
    for (const tag of scanXml(await fetch(annex))) {
      if (tag.name === 'architecture' && tag.kind === 'open') result.architecture = tag.textAfter;
      else if (tag.name === 'feature') feature = tag.kind === 'close' ? undefined : tag.attrs.name;
      else if (tag.name === 'xi:include' && tag.attrs.href) await visit(tag.attrs.href);
      else if (tag.name === 'reg' && tag.kind !== 'close') {
        const { name, bitsize, regnum, group, type } = tag.attrs;
        const bits = Number(bitsize);
        if (!name || !Number.isInteger(bits) || bits <= 0) {
          throw new HyperFrameError('PROTOCOL', `target description '${annex}': bad <reg name="${name}" bitsize="${bitsize}">`);
        }
        const num = regnum !== undefined ? Number(regnum) : nextRegnum;
        if (!Number.isInteger(num) || num < 0) {
          throw new HyperFrameError('PROTOCOL', `target description '${annex}': bad regnum '${regnum}' for ${name}`);
        }
        nextRegnum = num + 1;
        result.registers.push({ name, bitsize: bits, regnum: num, group, type, feature });
      }
    }
    path.pop();
  };
  await visit(root);
  return result;
}

/**
 * Reads one qXfer object: `m<data>` means more follows, `l<data>` the last piece. `chunkBytes` is
 * what we ask per request (from PacketSize).
 */
export async function readXferObject(conn: GdbConnection, object: string, annex: string, chunkBytes: number): Promise<string> {
  let out = '';
  for (let offset = 0; ; ) {
    const packet = `qXfer:${object}:read:${annex}:${offset.toString(16)},${chunkBytes.toString(16)}`;
    const reply = await conn.request(packet);
    const r = classifyReply(reply);
    if (r.kind !== 'data' || (reply[0] !== 'm' && reply[0] !== 'l')) {
      throw replyError(packet, r, `reading '${annex}' (qXfer:${object})`);
    }
    out += reply.slice(1);
    offset += reply.length - 1;
    if (reply[0] === 'l') return out;
    if (reply.length === 1) throw new HyperFrameError('PROTOCOL', `qXfer '${annex}': empty 'm' chunk at ${offset}`);
  }
}

export function fetchTargetDescription(conn: GdbConnection, chunkBytes: number): Promise<TargetDescription> {
  return parseTargetDescription('target.xml', (annex) => readXferObject(conn, 'features', annex, chunkBytes));
}
