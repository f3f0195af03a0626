/**
 * Configuration, parsed once at start with zod. Environment variables carry the
 * deployment settings; an optional YAML or JSON file (`MIDFUNNEL_CONFIG`) carries the
 * workspaces, their accounts and keywords. A bad value stops the process with a
 * message naming the setting and showing a valid example.
 *
 * Inside the file, `${NAME}` is replaced by the environment variable NAME, so secrets
 * (bot tokens, webhook secrets) can stay out of the file.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './webhooks/webhook-event.js';
import { parseTarget } from './campaigns/campaign-target.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const workspaceId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);

export const workspaceConfigSchema = z.object({
  id: workspaceId,
  name: z.string().min(1).max(100).optional(),
  /** Keywords watched in this workspace's groups. */
  keywords: z.array(z.string().min(1).max(128)).max(50_000).default([]),
  /** Default region for national phone numbers (ISO 3166 alpha-2), e.g. CN. */
  defaultRegion: z.string().regex(/^[A-Z]{2}$/).default('US'),
  telegram: z
    .object({
      bots: z.array(z.object({ token: z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/), webhookSecret: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/).optional() })).default([]),
    })
    .default({ bots: [] }),
  whatsapp: z
    .object({ accounts: z.array(z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) })).default([]) })
    .default({ accounts: [] }),
  /** HMAC secret the shop signs conversion webhooks with (`X-Midfunnel-Signature`). */
  secret: z.string().min(16, 'at least 16 characters').optional(),
  /** Domains tracked links may point to (subdomains included); nothing else can be linked. */
  allowedDomains: z.array(z.string().regex(/^(?=.{1,253}$)([a-z0-9-]+\.)+[a-z]{2,63}$/, 'a lower-case domain like shop.example.com')).default([]),
  /** Days before a conversion whose touches count toward it. */
  lookbackDays: z.number().int().min(1).max(365).default(30),
  /** Days raw touches and click records are kept (deleted daily after that; conversions, credits and report counters stay). */
  retentionDays: z.number().int().min(30).max(3650).default(400),
  /** `consume`: a journey ends at the conversion it led to; `every`: touches count toward every conversion in their window. */
  creditMode: z.enum(['consume', 'every']).default('consume'),
  /** IANA time zone for per-day statistics and digests. */
  timezone: z.string().refine((tz) => { try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; } }, 'an IANA time zone like Asia/Shanghai').default('UTC'),
  /** ISO 4217 code campaign spend is entered in and ROAS computed in (USD when unset), and amounts are shown in by the dashboard (nothing is converted). */
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like CNY').optional(),
  /** Coupon codes and the campaign / group that owns each (matching a conversion by coupon). */
  coupons: z.array(z.object({ code: z.string().min(1).max(64), campaign: z.string().min(1).max(128).optional(), chatId: z.string().min(1).max(200).optional(), platform: z.enum(['telegram', 'whatsapp', 'web']).default('web') })).default([]),
  /**
   * People and their roles, as `telegram:<user id>` (WhatsApp: `whatsapp:<phone>`).
   * Group administrators are operators of their own groups without being listed.
   */
  roles: z
    .object({
      owners: z.array(z.string().regex(/^(telegram:\d+|whatsapp:\+?\d+|whatsapp:\d+@(?:c\.us|lid))$/, 'telegram:<user id>, whatsapp:<phone> or whatsapp:<id>@lid')).default([]),
      managers: z.array(z.string().regex(/^(telegram:\d+|whatsapp:\+?\d+|whatsapp:\d+@(?:c\.us|lid))$/, 'telegram:<user id>, whatsapp:<phone> or whatsapp:<id>@lid')).default([]),
      operators: z.array(z.string().regex(/^(telegram:\d+|whatsapp:\+?\d+|whatsapp:\d+@(?:c\.us|lid))$/, 'telegram:<user id>, whatsapp:<phone> or whatsapp:<id>@lid')).default([]),
    })
    .default({ owners: [], managers: [], operators: [] }),
  /** Keys that read this workspace's reports over HTTP (`Authorization: Bearer <key>`); 32+ random characters recommended. */
  apiKeys: z.array(z.string().regex(/^[\x21-\x7e]{16,512}$/, 'at least 16 printable characters without spaces (openssl rand -hex 32)')).max(100).optional(),
  /** Chats where manager reports may be answered besides private chats, as `telegram:<chat id>`. */
  managersChats: z.array(z.string().regex(/^(telegram:-?\d+|whatsapp:\S+)$/, 'telegram:<chat id>')).default([]),
  /**
   * Campaigns' goals and targets (`src/campaigns`), e.g. `{ name: spring, goal: awareness,
   * target: 500 joins, from: 2026-03-01, to: 2026-03-31 }`; `/goal` and `midfunnel campaigns
   * set` store records that take precedence over these.
   */
  campaigns: z
    .array(
      z.object({
        name: z.string().min(1).max(128),
        goal: z.enum(['awareness', 'engagement', 'conversion']),
        from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day like 2026-03-01').optional(),
        to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day like 2026-03-31').optional(),
        /** `500 joins`, `20% day 28` (share still a member at day 28), or `roas 3`. */
        target: z.union([z.string().max(40), z.number()]).optional(),
      }).superRefine((c, ctx) => {
        if (c.target === undefined) return;
        try {
          parseTarget(c.target, c.goal);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: ['target'], message: err instanceof Error ? err.message : String(err) });
        }
      }),
    )
    .default([]),
  /** Outgoing webhooks: signed events delivered to integrators (see `src/webhooks`). */
  webhooks: z
    .array(
      z.object({
        /** Names the subscription in listings and job ids. */
        id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, '1-32 of a-z 0-9 _ -'),
        url: z.url({ protocol: /^https?$/ }),
        /** HMAC key the deliveries are signed with. */
        secret: z.string().min(16, 'at least 16 characters'),
        events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1),
      }),
    )
    .default([])
    .refine((list) => new Set(list.map((w) => w.id)).size === list.length, 'webhook ids must be unique within a workspace'),
  /** Daily alerts to the managers' chats (`/alerts on|off` overrides `enabled`); `at` is the local time (workspace time zone) they are checked. */
  alerts: z
    .object({ enabled: z.boolean().default(true), at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time like 09:00').default('09:00') })
    .default({ enabled: true, at: '09:00' }),
  /** Language of the messages that answer no one (daily alerts, scheduled digests): `en` or `zh` (simplified Chinese). Answers to a person follow their Telegram language; WhatsApp, which tells none, answers in this one. */
  language: z.enum(['en', 'zh'], { error: 'en (English) or zh (simplified Chinese)' }).default('en'),
  /** Referral chains: an invitee who leaves within this many days does not count for their inviter. */
  referralMinDays: z.number().int().min(0).max(365).default(3),
  /** Whether a member added by a group administrator (a moderator's act, not an invitation) counts as the admin's invitee. */
  referralCountAdminAdds: z.boolean().default(false),
});
export type WorkspaceConfig = z.infer<typeof workspaceConfigSchema>;

const fileSchema = z.object({ workspaces: z.array(workspaceConfigSchema).default([]) });

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Named address ranges `TRUST_PROXY` accepts besides addresses and CIDRs. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, a CIDR (`10.0.0.0/8`, `fd00::/8`) or a named range. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGES.includes(entry)) return true;
  const [addr = '', bits, ...rest] = entry.split('/');
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * `TRUST_PROXY`: `false` (default), a hop count, or a comma-separated list of proxy
 * addresses / CIDRs. Only then is `X-Forwarded-For` read.
 */
const trustProxySchema = z.string().transform((raw, ctx): false | number | string[] => {
  const v = raw.trim().toLowerCase();
  if (v === '' || v === 'false' || v === '0') return false;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n > 100) ctx.addIssue({ code: 'custom', message: 'a hop count is at most 100' });
    return n;
  }
  const list = v.split(',').map((e) => e.trim()).filter(Boolean);
  const bad = list.filter((e) => !isProxyAddress(e));
  if (bad.length > 0 || list.length === 0) {
    ctx.addIssue({ code: 'custom', message: `not a proxy address or CIDR: ${bad.join(', ') || raw}` });
  }
  return list;
});

/** Each environment setting with its schema, default, and the example shown when it is wrong. */
const ENV = {
  REDIS_URL: { schema: z.string().regex(/^rediss?:\/\/\S+$/), default: 'redis://127.0.0.1:6379', example: 'redis://127.0.0.1:6379' },
  MONGO_URL: { schema: z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/).optional(), default: undefined, example: 'mongodb://127.0.0.1:27017/midfunnel' },
  MIDFUNNEL_STORE: { schema: z.enum(['mongo', 'memory']), default: 'mongo', example: 'mongo (or memory, for a demo: nothing is kept)' },
  MIDFUNNEL_DATA_DIR: { schema: z.string().min(1), default: '.data', example: '/var/lib/midfunnel' },
  MIDFUNNEL_HASH_KEY: { schema: z.string().min(16).optional(), default: undefined, example: 'a random string of 32+ characters (openssl rand -hex 32)' },
  MIDFUNNEL_CONFIG: { schema: z.string().min(1).optional(), default: undefined, example: './midfunnel.yaml' },
  HOST: { schema: z.string().min(1), default: '0.0.0.0', example: '0.0.0.0' },
  PORT: { schema: z.coerce.number().int().min(0).max(65535), default: '8080', example: '8080' },
  LOG_LEVEL: { schema: z.enum(logLevels), default: 'info', example: 'info (one of fatal, error, warn, info, debug, trace, silent)' },
  QUEUE_PREFIX: { schema: z.string().regex(/^[a-z0-9_-]{1,32}$/), default: 'midfunnel', example: 'midfunnel' },
  WORKER_CONCURRENCY: { schema: z.coerce.number().int().min(1).max(256), default: '16', example: '16' },
  REFIT_DELAY_MS: { schema: z.coerce.number().int().min(0).max(86_400_000), default: '300000', example: '300000 (wait after new data before a month\'s models are refitted)' },
  TELEGRAM_API_ROOT: { schema: z.url(), default: 'https://api.telegram.org', example: 'https://api.telegram.org' },
  PUBLIC_BASE_URL: { schema: z.url().optional(), default: undefined, example: 'https://midfunnel.example.com' },
  TRUST_PROXY: { schema: trustProxySchema, default: 'false', example: 'false (the socket address is the client), 1 (one proxy hop), or 10.0.0.0/8,127.0.0.1 (proxy addresses / CIDRs)' },
  HEALTH_PORT: { schema: z.coerce.number().int().min(0).max(65535).optional(), default: undefined, example: '8081 (roles without the HTTP server serve /healthz, /readyz and /metrics here)' },
} as const;

type EnvKey = keyof typeof ENV;
type EnvValues = { [K in EnvKey]: z.infer<(typeof ENV)[K]['schema']> };

export interface Config {
  redisUrl: string;
  store: 'mongo' | 'memory';
  mongoUrl: string | undefined;
  dataDir: string;
  /** Undefined when not set: the start-up then keeps a generated key in the data folder. */
  hashKey: string | undefined;
  host: string;
  port: number;
  logLevel: (typeof logLevels)[number];
  queuePrefix: string;
  workerConcurrency: number;
  /** Wait after a month's data changed before its data-driven models are refitted (more changes meanwhile join that refit). */
  refitDelayMs: number;
  telegramApiRoot: string;
  publicBaseUrl: string | undefined;
  /** Which peers may set the client address in `X-Forwarded-For`: none (false), a hop count, or proxy addresses / CIDRs. */
  trustProxy: false | number | string[];
  /** Port of the health and metrics server of processes without the http role; undefined: none. */
  healthPort: number | undefined;
  workspaces: WorkspaceConfig[];
}

function formatIssues(where: string, error: z.ZodError, example?: string): string {
  const lines = error.issues.map((i) => {
    const path = i.path.length > 0 ? `${where}.${i.path.join('.')}` : where;
    return `${path}: ${i.message}`;
  });
  return lines.join('\n') + (example ? `\n  example: ${where}=${example}` : '');
}

/** Replaces `${NAME}` in every string of a parsed file with the environment variable NAME. */
function substituteEnv(value: unknown, env: Record<string, string | undefined>, path: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
      const v = env[name];
      if (v === undefined) throw new ConfigError(`${path}: environment variable ${name} is not set (referenced as \${${name}})`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, `${path}.${k}`)]));
  }
  return value;
}

/** Parses the workspaces file text (YAML or JSON by extension or content). */
export function parseWorkspacesFile(text: string, path: string, env: Record<string, string | undefined>): WorkspaceConfig[] {
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`MIDFUNNEL_CONFIG (${path}) is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(substituteEnv(raw ?? {}, env, path));
  if (!parsed.success) {
    throw new ConfigError(
      `${formatIssues(path, parsed.error)}\n  example:\n    workspaces:\n      - id: acme\n        keywords: [price, 发货]\n        telegram: { bots: [{ token: "\${TELEGRAM_TOKEN_ACME}" }] }`,
    );
  }
  const ids = new Set<string>();
  for (const w of parsed.data.workspaces) {
    if (ids.has(w.id)) throw new ConfigError(`${path}: workspace id '${w.id}' appears twice`);
    ids.add(w.id);
  }
  // A report API key names its workspace: one key in two workspaces could read either.
  const keyOwners = new Map<string, string>();
  for (const w of parsed.data.workspaces) {
    for (const [i, key] of (w.apiKeys ?? []).entries()) {
      const owner = keyOwners.get(key);
      if (owner !== undefined && owner !== w.id) throw new ConfigError(`${path}: workspaces.${w.id}.apiKeys[${i}] is also a key of workspace '${owner}'; give each workspace its own keys`);
      keyOwners.set(key, w.id);
    }
  }
  return parsed.data.workspaces;
}

/** Reads and validates the configuration; throws ConfigError with every bad setting named. */
export function loadConfig(env: Record<string, string | undefined>, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): Config {
  const values: Partial<Record<EnvKey, unknown>> = {};
  const problems: string[] = [];
  for (const key of Object.keys(ENV) as EnvKey[]) {
    const spec = ENV[key];
    const raw = env[key] === '' ? undefined : (env[key] ?? spec.default);
    const r = (spec.schema as z.ZodType).safeParse(raw);
    if (r.success) values[key] = r.data;
    else problems.push(`${key}=${JSON.stringify(env[key])} is not valid: ${r.error.issues[0]?.message ?? 'invalid'}\n  example: ${key}=${spec.example}`);
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const v = values as EnvValues;
  let workspaces: WorkspaceConfig[] = [];
  if (v.MIDFUNNEL_CONFIG) {
    let text: string;
    try {
      text = readFile(v.MIDFUNNEL_CONFIG);
    } catch (err) {
      throw new ConfigError(`MIDFUNNEL_CONFIG=${v.MIDFUNNEL_CONFIG}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n  example: MIDFUNNEL_CONFIG=./midfunnel.yaml`);
    }
    workspaces = parseWorkspacesFile(text, v.MIDFUNNEL_CONFIG, env);
  }
  return {
    redisUrl: v.REDIS_URL,
    store: v.MIDFUNNEL_STORE,
    mongoUrl: v.MONGO_URL,
    dataDir: v.MIDFUNNEL_DATA_DIR,
    hashKey: v.MIDFUNNEL_HASH_KEY,
    host: v.HOST,
    port: v.PORT,
    logLevel: v.LOG_LEVEL,
    queuePrefix: v.QUEUE_PREFIX,
    workerConcurrency: v.WORKER_CONCURRENCY,
    refitDelayMs: v.REFIT_DELAY_MS,
    telegramApiRoot: v.TELEGRAM_API_ROOT,
    publicBaseUrl: v.PUBLIC_BASE_URL,
    trustProxy: v.TRUST_PROXY,
    healthPort: v.HEALTH_PORT,
    workspaces,
  };
}

/** The configuration table the README shows, generated from the same definitions. */
export function configTable(): Array<{ name: string; default: string; example: string }> {
  return (Object.keys(ENV) as EnvKey[]).map((k) => ({ name: k, default: ENV[k].default ?? '', example: ENV[k].example }));
}
