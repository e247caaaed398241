// Builds the demo's guest, test/guests' long4spin, into the folder given, with the tests' own
// recipe (test/guests/build.ts). Bundled and run by scripts/demo.sh:
//   node out/demo-guest.mjs <test/guests> <output folder>   -> prints the ELF's path
import { resolve } from 'node:path';
import { buildGuestIn } from '../test/guests/build';

const [guestsDir, buildDir] = process.argv.slice(2);
if (!guestsDir || !buildDir) {
  console.error('usage: demo-guest <test/guests folder> <output folder>');
  process.exit(2);
}
const elf = await buildGuestIn('long4spin', { guestsDir: resolve(guestsDir), buildDir: resolve(buildDir) });
console.log(elf);
