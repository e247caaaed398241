/**
 * Target descriptions as a stub (or a proxy in front of it) may send them: mutated XML, entities,
 * and include graphs with cycles, diamonds and long chains. The scanner and the parser refuse with
 * HyperFrameError; every annex is fetched at most once and the walk of includes always ends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTargetDescription, scanXml } from '../../src/gdbstub/targetXml';
import { HyperFrameError } from '../../src/util/errors';
import { fuzzParams, onlyTyped, onlyTypedAsync, within } from './fuzzRuns';

/** A description as QEMU writes one (its shape, shortened), the seed of the mutations. */
const SEED_XML = `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<!-- a comment -->
<target><architecture>i386:x86-64</architecture>
<xi:include href="i386-64bit.xml"/>
<feature name="org.gnu.gdb.i386.core">
  <flags id="i386_eflags" size="4"><field name="CF" start="0" end="0"/></flags>
  <reg name="rax" bitsize="64" type="int64" regnum="0"/>
  <reg name='rip' bitsize='64' type='code_ptr' group="general"/>
  <reg name="cr3" bitsize="64" regnum="0x10"/>
</feature></target>`;

/** Pieces that exercise the scanner's edges: entities of every form, half tags, stray brackets. */
const XML_PIECES = [
  '<', '>', '/>', '</', '<?', '<!', '<!--', '-->', '"', "'", '=', ' ', '\n', '&', ';',
  '&amp;', '&lt;', '&#65;', '&#x41;', '&#x110000;', '&#99999999999;', '&#xFFFFFFFFFF;', '&#xD800;', '&bogus;',
  '<reg name="r" bitsize="8"/>', '<reg name="r" bitsize="-1"/>', '<reg name="r" bitsize="8" regnum="1e400"/>',
  '<xi:include href="a"/>', '<feature name="f">', '</feature>', '<architecture>', 'x86', '\u0000', '\uffff',
];

const mutatedXml = fc
  .tuple(fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...XML_PIECES)), { maxLength: 8 }), fc.boolean())
  .map(([edits, cut]) => {
    let xml = SEED_XML;
    for (const [at, len, piece] of edits) {
      const i = at % (xml.length + 1);
      xml = xml.slice(0, i) + piece + xml.slice(i + (len % 4));
    }
    return cut ? xml.slice(0, edits.length * 37) : xml;
  });

const randomXml = fc.array(fc.constantFrom(...XML_PIECES), { maxLength: 30 }).map((p) => p.join(''));

/** An include graph: annex i includes the listed annexes (names may not exist, or repeat). */
const includeGraph = fc.array(fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 4 }), { minLength: 1, maxLength: 12 });

function annexXml(i: number, includes: number[]): string {
  const inc = includes.map((j) => `<xi:include href="f${j}.xml"/>`).join('');
  return `<target><feature name="f${i}"><reg name="r${i}" bitsize="32"/>${inc}<reg name="s${i}" bitsize="64"/></feature></target>`;
}

describe('target descriptions under fuzzing', () => {
  it('scans mutated and random XML, or refuses it with a typed error', () => {
    fc.assert(
      fc.property(fc.oneof(mutatedXml, randomXml), (xml) => {
        const tags = onlyTyped(() => scanXml(xml));
        // Every tag starts at its own '<' of the text.
        if (tags !== undefined) expect(tags.length).toBeLessThanOrEqual(xml.split('<').length - 1);
      }),
      fuzzParams(5000),
    );
  });

  it('parses mutated descriptions to registers, or refuses them with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedXml, async (xml) => {
        const desc = await onlyTypedAsync(() => parseTargetDescription('target.xml', async (a) => (a === 'target.xml' ? xml : SEED_XML)));
        if (desc === undefined) return;
        for (const r of desc.registers) {
          expect(Number.isInteger(r.bitsize) && r.bitsize > 0).toBe(true);
          expect(Number.isSafeInteger(r.regnum) && r.regnum >= 0).toBe(true);
        }
      }),
      fuzzParams(3000),
    );
  });

  it('walks any include graph to its end, fetching each annex once', async () => {
    await fc.assert(
      fc.asyncProperty(includeGraph, async (graph) => {
        const fetched: string[] = [];
        const fetch = async (annex: string): Promise<string> => {
          fetched.push(annex);
          const i = Number(/^f(\d+)\.xml$/.exec(annex)?.[1] ?? -1);
          if (graph[i] === undefined) throw new HyperFrameError('TARGET', `no annex '${annex}'`);
          return annexXml(i, graph[i]);
        };
        const desc = await within(5000, onlyTypedAsync(() => parseTargetDescription('f0.xml', fetch)), 'the include walk');
        expect(new Set(fetched).size).toBe(fetched.length);
        expect(fetched.length).toBeLessThanOrEqual(graph.length + 1);
        if (desc === undefined) return;
        // Without a refusal the walk was a tree of known annexes, read in document order.
        expect(desc.annexes).toEqual(fetched);
        expect(desc.registers.length).toBe(2 * fetched.length);
      }),
      fuzzParams(3000),
    );
  });
});

describe('target description findings, kept as plain tests', () => {
  it('refuses a character reference past U+10FFFF (was: a RangeError from String.fromCodePoint)', () => {
    expect(() => scanXml('<reg name="&#xFFFFFFFFFF;"/>')).toThrow(HyperFrameError);
    expect(() => scanXml('<a/>&#1114112;<b/>')).toThrow(/character reference '&#1114112;' is past the last Unicode code point/);
    expect(scanXml('<a n="&#x10FFFF;"/>')[0].attrs.n).toBe('\u{10ffff}');
  });

  it('tells an annex included twice and a chain too deep from a cycle', async () => {
    const diamond: Record<string, string> = { 't.xml': annexXml(0, [1, 2]), 'f1.xml': annexXml(1, [3]), 'f2.xml': annexXml(2, [3]), 'f3.xml': annexXml(3, []) };
    await expect(parseTargetDescription('t.xml', async (a) => diamond[a])).rejects.toThrow("includes 'f3.xml' twice ('t.xml' > 'f2.xml' > 'f3.xml')");
    const chain = async (a: string) => annexXml(Number(a.slice(1, -4)), [Number(a.slice(1, -4)) + 1]);
    await expect(parseTargetDescription('f0.xml', chain)).rejects.toThrow(/nests includes deeper than 8 levels/);
    const cycle = async (a: string) => annexXml(0, [a === 'f0.xml' ? 1 : 0]);
    await expect(parseTargetDescription('f0.xml', cycle)).rejects.toThrow("includes 'f0.xml' recursively ('f0.xml' > 'f1.xml' > 'f0.xml')");
  });
});
