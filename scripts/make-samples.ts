// Writes the sample dumps the README and the demo use into dist/samples/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freebsdPaeCore, xenSampleCore } from '../test/fixtures/sampleDumps';

const dir = join(process.argv[2] ?? 'dist', 'samples');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'xen-x86_64.elf'), xenSampleCore());
writeFileSync(join(dir, 'freebsd-pae.elf'), freebsdPaeCore());
console.log(`wrote ${dir}/xen-x86_64.elf and ${dir}/freebsd-pae.elf`);
