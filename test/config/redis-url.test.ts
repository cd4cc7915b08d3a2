/** REDIS_URL takes the forms `connectRedis` understands (src/app/runtime.ts), including a Redis Cluster's seed list. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from '../../src/config/config.js';

describe('REDIS_URL', () => {
  it.each([
    'redis://127.0.0.1:6379',
    'rediss://user:secret@redis.internal:6380/0',
    'redis+cluster://redis-1:6379',
    'redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002',
  ])('accepts %s', (url) => {
    expect(loadEnv({ REDIS_URL: url }).REDIS_URL).toBe(url);
  });

  it.each(['localhost', 'redis+cluster://redis-1', 'redis+cluster://a:1,', 'redis+cluster://a:1, b:2'])('refuses %s with a readable message', (url) => {
    expect(() => loadEnv({ REDIS_URL: url })).toThrow(ConfigError);
    expect(() => loadEnv({ REDIS_URL: url })).toThrow(/REDIS_URL: must be a redis:\/\/ URL, or redis\+cluster:\/\/host:port,host:port/);
  });
});
