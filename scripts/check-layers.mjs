// Folder-level import cycles under src/ (and media/): a folder that imports another that imports
// it back (directly or around a loop) cannot be understood, tested or moved on its own. Prints
// each cycle with one import of every edge; exits 1 when there is one. Part of `npm run lint`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '..'));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(ts|mts)$/.test(name)) yield p;
  }
}

/** `src/paging/x.ts` → `src/paging`; files straight under src/ are their own folder. */
const folderOf = (file) => {
  const parts = relative(ROOT, file).split(sep);
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.join('/');
};

const edges = new Map(); // folder → Map(folder → an example "file → import")
for (const top of ['src', 'media']) {
  for (const file of files(join(ROOT, top))) {
    const from = folderOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = folderOf(join(dirname(file), m[1]));
      if (to === from || to.startsWith('..')) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from).has(to)) edges.get(from).set(to, `${relative(ROOT, file)} imports ${m[1]}`);
    }
  }
}

// Tarjan's strongly connected components: every component of more than one folder holds a cycle.
let index = 0;
const stack = [];
const state = new Map();
const cycles = [];
function connect(v) {
  state.set(v, { index, low: index, on: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!state.has(w)) {
      connect(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).on) state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
  }
  if (state.get(v).low === state.get(v).index) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).on = false;
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1) cycles.push(comp.sort());
  }
}
for (const v of edges.keys()) if (!state.has(v)) connect(v);

if (cycles.length === 0) {
  console.log(`check-layers: ${edges.size} folders, no import cycles between them`);
} else {
  for (const comp of cycles) {
    console.error(`import cycle between ${comp.join(', ')}:`);
    for (const a of comp) for (const [b, why] of edges.get(a) ?? []) if (comp.includes(b)) console.error(`  ${a} -> ${b}: ${why}`);
  }
  process.exit(1);
}
