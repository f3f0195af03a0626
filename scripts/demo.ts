/**
 * `npm run demo`: the whole product on this machine in about a minute. A generated brand
 * community (3 Telegram groups, 2 WhatsApp groups, 4 campaigns, ~5,000 members, ~600
 * orders over 120 days) goes through the real connectors, queues, workers and reconciler;
 * then the bot's answers to a manager are printed, and the server keeps running until
 * Ctrl-C, with a one-time dashboard link. `npm run demo -- --once` prints and exits (what CI
 * runs); `--screenshots <dir>` also saves the dashboard's views and the bot's `/report` chart
 * as PNGs there. See scripts/demo/.
 */
import { parseArgs } from 'node:util';
import { ensureRedis } from './ensure-redis.mjs';
import { runDemo } from './demo/run-demo.js';
import { takeScreenshots } from './demo/screenshots.js';

const { values } = parseArgs({ options: { once: { type: 'boolean', default: false }, 'no-progress': { type: 'boolean', default: false }, screenshots: { type: 'string' } }, strict: true });

try {
  const said = await ensureRedis();
  if (!said.startsWith('Redis answers')) process.stderr.write(`[redis] ${said}\n`);
} catch (err) {
  process.stderr.write(
    `[redis] ${(err as Error).message}\n` +
      'The demo needs a Redis for its queues. Start one, e.g.:\n' +
      '  redis-server --port 6379 --save "" --appendonly no   (apt-get install redis-server)\n' +
      '  docker run --rm -p 6379:6379 redis:7\n' +
      'or point REDIS_URL at one.\n',
  );
  process.exit(1);
}

const run = await runDemo({ progress: !values['no-progress'] && process.stderr.isTTY === true, ...(process.env.DEMO_QUEUE_PREFIX ? { queuePrefix: process.env.DEMO_QUEUE_PREFIX } : {}) });
if (values.screenshots !== undefined) {
  try {
    const written = await takeScreenshots(run, values.screenshots);
    process.stderr.write(`screenshots: ${written.join(', ')}\n`);
  } catch (err) {
    process.stderr.write(`screenshots not taken: ${(err as Error).message}\n`);
    await run.close();
    process.exit(1);
  }
}
if (values.once) {
  await run.close();
  process.exit(0);
}
const link = await run.dashboardLink();
process.stdout.write(
  `\nThe server keeps running at ${run.url} (tracked links at ${run.url}/l/serum26, reports at ${run.url}/v1/reports/…).\n` +
    `Dashboard (one-time link, 10 minutes; the demo's data is in ${run.period}: pick it as the range): ${link}\nCtrl-C to stop.\n`,
);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void run.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
