// `npm test`: what CI runs. Makes sure Redis is up, type-checks, checks import
// boundaries, lints (floating promises), then runs every test once. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
run('npx', ['tsc', '--noEmit', '-p', 'web']);
console.log('[typecheck] clean');
run('node', ['scripts/check-imports.mjs']);
run('npx', ['eslint', '--no-error-on-unmatched-pattern', '--max-warnings', '0', 'src', 'app', 'workers', 'bots', 'bench', 'test']);
console.log('[lint] clean');
// vitest's own summary, plus one plain closing line (`tests: N passed, N failed, N skipped`)
// from its JSON report, for tools that read the last lines of a run.
const results = join(tmpdir(), `midfunnel-vitest-${process.pid}.json`);
const r = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' },
});
try {
  const j = JSON.parse(readFileSync(results, 'utf8'));
  console.log(`tests: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${j.numPendingTests + (j.numTodoTests ?? 0)} skipped`);
  rmSync(results, { force: true });
} catch {
  console.log('tests: no report was written');
}
process.exit(r.status ?? 1);
