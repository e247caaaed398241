import { readFile } from 'node:fs/promises';
import { parseOffsetsFile, type XenBuild } from '../xen';
import { HyperFrameError } from '../util/errors';

/** Reads and parses an offsets file (the parsing is xen/'s, pure; the reading is here). */
export async function loadOffsetsFile(path: string): Promise<XenBuild> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HyperFrameError('BAD_FILE', `cannot read the Xen offsets file '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseOffsetsFile(text, path);
}
