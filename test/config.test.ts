import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function loadWith(env: Record<string, string>, files: Record<string, string> = {}) {
  return loadConfig(env, (p) => {
    const f = files[p];
    if (f === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return f;
  });
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has working defaults', () => {
    const c = loadWith({});
    expect(c).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', store: 'mongo', port: 8080, queuePrefix: 'midfunnel', workerConcurrency: 16, workspaces: [] });
    expect(c.mongoUrl).toBeUndefined();
  });

  it('names the bad setting and shows a valid example', () => {
    const msg = errorOf(() => loadWith({ PORT: 'eighty', REDIS_URL: 'localhost:6379' }));
    expect(msg).toContain('PORT="eighty" is not valid');
    expect(msg).toContain('example: PORT=8080');
    expect(msg).toContain('REDIS_URL="localhost:6379" is not valid');
    expect(msg).toContain('example: REDIS_URL=redis://127.0.0.1:6379');
  });

  it('rejects a short hash key and an unknown store', () => {
    expect(errorOf(() => loadWith({ MIDFUNNEL_HASH_KEY: 'short' }))).toContain('MIDFUNNEL_HASH_KEY');
    expect(errorOf(() => loadWith({ MIDFUNNEL_STORE: 'postgres' }))).toContain('example: MIDFUNNEL_STORE=mongo');
  });

  it('reads workspaces from YAML with ${ENV} substitution', () => {
    const yaml = `workspaces:\n  - id: acme\n    keywords: [price, 发货]\n    defaultRegion: CN\n    telegram:\n      bots:\n        - token: "\${TG_TOKEN}"\n`;
    const c = loadWith({ MIDFUNNEL_CONFIG: 'm.yaml', TG_TOKEN: '123456:ABCdefGHIjklMNOpqrSTUvwxYZ' }, { 'm.yaml': yaml });
    expect(c.workspaces).toEqual([
      {
        id: 'acme',
        alerts: { enabled: true, at: '09:00' },
        keywords: ['price', '发货'],
        defaultRegion: 'CN',
        telegram: { bots: [{ token: '123456:ABCdefGHIjklMNOpqrSTUvwxYZ' }] },
        whatsapp: { accounts: [] },
        allowedDomains: [],
        lookbackDays: 30,
        creditMode: 'consume',
        timezone: 'UTC',
        coupons: [],
        roles: { owners: [], managers: [], operators: [] },
        managersChats: [],
        campaigns: [],
        webhooks: [],
        referralMinDays: 3,
        retentionDays: 400,
        referralCountAdminAdds: false,
        language: 'en',
      },
    ]);
  });

  it('validates workspace settings with their own examples', () => {
    const yaml = `workspaces:\n  - id: acme\n    timezone: Mars/Olympus\n    allowedDomains: [Shop.Example.com]\n    roles: { managers: ['12345'] }\n    language: zh-CN\n`;
    const msg = errorOf(() => loadWith({ MIDFUNNEL_CONFIG: 'm.yaml' }, { 'm.yaml': yaml }));
    expect(msg).toContain('m.yaml.workspaces.0.timezone: an IANA time zone like Asia/Shanghai');
    expect(msg).toContain('m.yaml.workspaces.0.allowedDomains.0: a lower-case domain like shop.example.com');
    expect(msg).toContain('m.yaml.workspaces.0.roles.managers.0: telegram:<user id>, whatsapp:<phone> or whatsapp:<id>@lid');
    expect(msg).toContain('m.yaml.workspaces.0.language: en (English) or zh (simplified Chinese)');
  });

  it('reads JSON too, and reports bad entries by path', () => {
    const json = JSON.stringify({ workspaces: [{ id: 'Bad Id!' }] });
    const msg = errorOf(() => loadWith({ MIDFUNNEL_CONFIG: 'w.json' }, { 'w.json': json }));
    expect(msg).toContain('w.json.workspaces.0.id');
    expect(msg).toContain('example:');
  });

  it('explains a missing file, a missing env reference, broken YAML and duplicate workspaces', () => {
    expect(errorOf(() => loadWith({ MIDFUNNEL_CONFIG: 'nope.yaml' }))).toContain('cannot read the file (ENOENT)');
    expect(errorOf(() => loadWith({ MIDFUNNEL_CONFIG: 'm.yaml' }, { 'm.yaml': 'workspaces:\n  - id: a\n    telegram: { bots: [{ token: "${MISSING}" }] }' }))).toContain(
      'environment variable MISSING is not set',
    );
    expect(errorOf(() => loadWith({ MIDFUNNEL_CONFIG: 'm.yaml' }, { 'm.yaml': 'workspaces: [ {' }))).toContain('is not valid YAML');
    expect(errorOf(() => loadWith({ MIDFUNNEL_CONFIG: 'm.yaml' }, { 'm.yaml': 'workspaces: [{id: a}, {id: a}]' }))).toContain("workspace id 'a' appears twice");
  });
});
