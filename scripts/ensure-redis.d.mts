/** Types of ensure-redis.mjs (for TypeScript scripts that import it). */
export function ensureRedis(): Promise<string>;
