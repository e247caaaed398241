// Bundles the extension, the debug adapter and the CLI with esbuild, then writes the sample dumps.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';

const common = { bundle: true, platform: 'node', target: 'node18', format: 'cjs', sourcemap: true, logLevel: 'warning' };
const entries = [
  { in: 'src/extension/extension.ts', out: 'extension' },
  { in: 'src/debugAdapter/main.ts', out: 'debugAdapter' },
  { in: 'src/cli/main.ts', out: 'cli' },
].filter((e) => existsSync(e.in));

await build({ ...common, entryPoints: entries, outdir: 'dist', external: ['vscode'] });
// The frame editor's webview runs in a browser: its own bundle and styles in dist/media.
await build({ bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: true, logLevel: 'warning', entryPoints: ['media/frameEditor/main.ts'], outfile: 'dist/media/frameEditor.js' });
mkdirSync('dist/media', { recursive: true });
copyFileSync('media/frameEditor/frameEditor.css', 'dist/media/frameEditor.css');
// iced-x86 loads its WebAssembly from next to the code that requires it: in the bundle, dist/.
mkdirSync('dist', { recursive: true });
copyFileSync('node_modules/iced-x86/iced_x86_bg.wasm', 'dist/iced_x86_bg.wasm');
await build({ ...common, entryPoints: ['scripts/make-samples.ts'], outfile: 'out/make-samples.js' });
execFileSync(process.execPath, ['out/make-samples.js', 'dist'], { stdio: 'inherit' });
console.log(`built ${entries.map((e) => `dist/${e.out}.js`).join(', ')}`);
