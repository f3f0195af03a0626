/**
 * The keyed-hash secret. Set `MIDFUNNEL_HASH_KEY` in production (and keep it: changing
 * it makes every stored phone/email hash unmatchable). When unset, a random key is
 * generated once and kept in `<data dir>/hash-key` (mode 600), so a quick start keeps
 * matching across restarts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function resolveHashKey(configured: string | undefined, dataDir: string): Promise<{ key: string; source: 'env' | 'file' | 'generated' }> {
  if (configured) return { key: configured, source: 'env' };
  const path = join(dataDir, 'hash-key');
  try {
    const key = (await readFile(path, 'utf8')).trim();
    if (key.length >= 16) return { key, source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  await writeFile(path, key + '\n', { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return { key: (await readFile(path, 'utf8')).trim(), source: 'generated' };
}
