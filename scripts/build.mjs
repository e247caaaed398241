// Bundles the extension, the debug adapter and the CLI with esbuild.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = [
  { in: 'src/extension/extension.ts', out: 'extension' },
  { in: 'src/debugAdapter/main.ts', out: 'debugAdapter' },
  { in: 'src/cli/main.ts', out: 'cli' },
].filter((e) => existsSync(e.in));

await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode'],
  logLevel: 'warning',
});
console.log(`built ${entries.map((e) => `dist/${e.out}.js`).join(', ')}`);
