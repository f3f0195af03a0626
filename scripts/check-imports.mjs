// Import boundaries: `src/` is the product core and never imports `bots/`, `workers/`
// or `app/`; `bots/` and `workers/` meet only through queues and the store, so neither
// imports the other. Exits 1 listing every violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const RULES = {
  src: ['bots', 'workers', 'app'],
  bots: ['workers', 'app'],
  workers: ['bots', 'app'],
};

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const bad = [];
for (const [area, forbidden] of Object.entries(RULES)) {
  let list;
  try {
    list = [...files(join(root, area))];
  } catch {
    continue;
  }
  for (const file of list) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = relative(root, resolve(dirname(file), m[1]));
      const top = target.split('/')[0];
      if (forbidden.includes(top)) bad.push(`${relative(root, file)} imports ${target} (${area}/ must not import ${top}/)`);
    }
  }
}
if (bad.length > 0) {
  console.error(`[imports] boundary violations:\n  ${bad.join('\n  ')}`);
  process.exit(1);
}
console.log('[imports] boundaries respected');

// No import cycles (value or type imports) among the project's own modules: every area can be
// read, tested and loaded bottom-up.
const graph = new Map();
for (const area of ['src', 'bots', 'workers', 'app']) {
  let list;
  try {
    list = [...files(join(root, area))];
  } catch {
    continue;
  }
  for (const file of list) {
    const text = readFileSync(file, 'utf8');
    const deps = new Set();
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      deps.add(resolve(dirname(file), m[1]).replace(/\.js$/, '.ts'));
    }
    graph.set(file, deps);
  }
}
const state = new Map();
const cycles = [];
const stack = [];
function visit(node) {
  state.set(node, 'open');
  stack.push(node);
  for (const dep of graph.get(node) ?? []) {
    if (!graph.has(dep)) continue;
    const s = state.get(dep);
    if (s === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => relative(root, f)).join(' → '));
    else if (s === undefined) visit(dep);
  }
  stack.pop();
  state.set(node, 'done');
}
for (const node of graph.keys()) if (!state.has(node)) visit(node);
if (cycles.length > 0) {
  console.error(`[imports] import cycles:\n  ${cycles.join('\n  ')}`);
  process.exit(1);
}
console.log('[imports] no import cycles');
