// `npm test`: what CI runs. Makes sure Redis is up, type-checks, checks import
// boundaries, lints (floating promises), then runs every test once. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { ensureRedis } from './ensure-redis.mjs';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

try {
  console.log(`[redis] ${await ensureRedis()}`);
} catch (err) {
  console.error(`[redis] ${err.message}`);
  process.exit(1);
}
run('npx', ['tsc', '--noEmit']);
console.log('[typecheck] clean');
run('node', ['scripts/check-imports.mjs']);
run('npx', ['eslint', '--no-error-on-unmatched-pattern', '--max-warnings', '0', 'src', 'app', 'workers', 'bots', 'bench', 'test']);
console.log('[lint] clean');
run('npx', ['vitest', 'run', ...process.argv.slice(2)]);
