/** `npm run bench` starts from a fresh build and an empty figures file. */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIGURES_FILE } from './figures';

export default function setup(): void {
  rmSync(FIGURES_FILE, { force: true });
  execFileSync(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: join(dirname(fileURLToPath(import.meta.url)), '..') });
}
