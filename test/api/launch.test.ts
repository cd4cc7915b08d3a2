/** Start-up decisions: which Redis, which credentials, constant-time comparisons. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, matchesAny } from '../../src/api/auth.js';
import { ConfigError, loadEnv } from '../../src/config/config.js';
import { resolveCredentials } from '../../src/launch/credentials.js';
import { resolveRedis } from '../../src/launch/redis.js';
import { freePort, startLocalRedis } from '../../src/redis/local-server.js';

const logger = pino({ level: 'silent' });
const REAL = { MYPAY_URL: 'https://pay.usecase.cc/api/init', MYPAY_STORE_UID: '289151880002', MYPAY_STORE_KEY: 'KYTjd9ACcjGaTK6V3zWmMkyrQS08Ndcx' };

describe('credentials', () => {
  it('demo mode generates an API key and a dashboard login, fresh each start', () => {
    const a = resolveCredentials(loadEnv({}), true);
    const b = resolveCredentials(loadEnv({}), true);
    expect(a.generated).toEqual({ apiKey: a.apiKeys[0], admin: true });
    expect(a.apiKeys[0]).toMatch(/^demo_[A-Za-z0-9_-]{32}$/);
    expect(a.admin.user).toBe('admin');
    expect(a.admin.password.length).toBeGreaterThanOrEqual(24);
    expect(b.apiKeys[0]).not.toBe(a.apiKeys[0]);
    expect(b.admin.password).not.toBe(a.admin.password);
  });

  it('uses the configured ones as they are, generating nothing', () => {
    const c = resolveCredentials(loadEnv({ API_KEYS: 'k1, k2', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'pw' }), true);
    expect(c).toEqual({ apiKeys: ['k1', 'k2'], admin: { user: 'ops', password: 'pw' }, generated: {} });
  });

  it.each([
    ['no API_KEYS', { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'pw' }, /API_KEYS is required/],
    ['no dashboard login', { API_KEYS: 'k' }, /ADMIN_USER and ADMIN_PASSWORD are required/],
    ['a user without a password', { API_KEYS: 'k', ADMIN_USER: 'ops' }, /must be set together/],
  ])('refuses to start against a real gateway with %s', (_name, vars, message) => {
    expect(() => resolveCredentials(loadEnv({ ...REAL, ...vars }), false)).toThrow(ConfigError);
    expect(() => resolveCredentials(loadEnv({ ...REAL, ...vars }), false)).toThrow(message);
  });
});

describe('constant-time comparison', () => {
  it('matches equal strings only, whatever their lengths', () => {
    expect(constantTimeEqual('secret', 'secret')).toBe(true);
    expect(constantTimeEqual('secret', 'secreT')).toBe(false);
    expect(constantTimeEqual('secret', 'secret-but-longer')).toBe(false);
    expect(constantTimeEqual('', 'x')).toBe(false);
    expect(matchesAny('b', ['a', 'b', 'c'])).toBe(true);
    expect(matchesAny('d', ['a', 'b', 'c'])).toBe(false);
  });
});

describe('which Redis npm start uses', () => {
  it('REDIS_URL when set; api/worker roles refuse to run without it', async () => {
    expect(await resolveRedis(loadEnv({ REDIS_URL: 'redis://10.0.0.1:6380' }), logger, { mayStart: false })).toMatchObject({ url: 'redis://10.0.0.1:6380', source: 'REDIS_URL' });
    await expect(resolveRedis(loadEnv({}), logger, { mayStart: false })).rejects.toThrow(/REDIS_URL is required/);
  });

  it('a Redis already answering locally', async () => {
    const local = await startLocalRedis();
    try {
      expect(await resolveRedis(loadEnv({}), logger, { mayStart: true, probePort: local.port })).toMatchObject({ url: local.url, source: 'existing local' });
    } finally {
      await local.stop();
    }
  });

  it('else a redis-server of its own with AOF in REDIS_DATA_DIR, whose data survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mypay-start-'));
    const env = loadEnv({ REDIS_DATA_DIR: join(dir, 'redis') });
    try {
      const first = await resolveRedis(env, logger, { mayStart: true, probePort: await freePort() });
      expect(first.source).toBe('started redis-server');
      const c1 = new Redis(first.url);
      await c1.set('kept', 'yes');
      await c1.quit();
      await first.stop();
      expect(readdirSync(join(dir, 'redis')).join(',')).toMatch(/appendonly/);

      const second = await resolveRedis(env, logger, { mayStart: true, probePort: await freePort() });
      const c2 = new Redis(second.url);
      expect(await c2.get('kept')).toBe('yes');
      await c2.quit();
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
