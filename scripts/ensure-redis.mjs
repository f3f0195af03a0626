// Makes sure a Redis answers at REDIS_URL (default redis://127.0.0.1:6379): if none does
// and `redis-server` is installed, starts one (no persistence) and waits for it.
import { spawnSync } from 'node:child_process';
import net from 'node:net';

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const host = url.hostname || '127.0.0.1';
const port = Number(url.port || 6379);

function ping() {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => done(d.toString().startsWith('+PONG') || d.toString().startsWith('-NOAUTH')));
  });
}

export async function ensureRedis() {
  if (await ping()) return `Redis answers at ${host}:${port}`;
  const isLocal = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  if (!isLocal) throw new Error(`no Redis answers at ${host}:${port} (REDIS_URL); start one or fix REDIS_URL`);
  const which = spawnSync('sh', ['-c', 'command -v redis-server']);
  if (which.status !== 0) throw new Error(`no Redis answers at ${host}:${port} and redis-server is not installed (apt-get install redis-server)`);
  const r = spawnSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('redis-server failed to start');
  for (let i = 0; i < 50; i++) {
    if (await ping()) return `started redis-server on ${host}:${port}`;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`started redis-server but it does not answer at ${host}:${port}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureRedis().then(
    (msg) => console.log(`[redis] ${msg}`),
    (err) => {
      console.error(`[redis] ${err.message}`);
      process.exit(1);
    },
  );
}
