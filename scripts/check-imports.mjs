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
