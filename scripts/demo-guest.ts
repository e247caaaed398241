// Prepares the demo's guests in the folder given, with the tests' own recipes:
//   node out/demo-guest.mjs <test/guests> <output folder>          long4spin (test/guests/build.ts)
//   node out/demo-guest.mjs --xen <output folder>                  Xen 4.17 + a PV dom0 from Debian's
//       packages (test/xen/xenGuest.ts, test/linux/linuxGuest.ts; cached in test/*/.cache), copied
//       as xen, xen-syms, vmlinuz and initrd.cpio.gz
// Bundled and run by scripts/demo.sh. Prints what it made; exits 1 with one line when it cannot.
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildGuestIn } from '../test/guests/build';
import { prepareLinux } from '../test/linux/linuxGuest';
import { prepareXen } from '../test/xen/xenGuest';

const args = process.argv.slice(2);
try {
  if (args[0] === '--xen') {
    if (!args[1]) throw new Error('usage: demo-guest --xen <output folder>');
    const out = resolve(args[1]);
    await mkdir(out, { recursive: true });
    const { xen, xenSyms } = await prepareXen();
    const { kernel, initrd } = await prepareLinux();
    for (const [from, name] of [
      [xen, 'xen'],
      [xenSyms, 'xen-syms'],
      [kernel, 'vmlinuz'],
      [initrd, 'initrd.cpio.gz'],
    ]) {
      await copyFile(from, join(out, name));
    }
    console.log(out);
  } else {
    const [guestsDir, buildDir] = args;
    if (!guestsDir || !buildDir) throw new Error('usage: demo-guest <test/guests folder> <output folder>');
    console.log(await buildGuestIn('long4spin', { guestsDir: resolve(guestsDir), buildDir: resolve(buildDir) }));
  }
} catch (e) {
  console.error(`demo-guest: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
