/**
 * Gives a test file an isolated Redis, in this order:
 * 1. `REDIS_URL` if set (isolation by a unique key prefix per file; see {@link TestRedis.prefix}),
 * 2. a Testcontainers `redis:7` container when a Docker engine answers,
 * 3. a `redis-server` spawned on a free loopback port,
 * 4. otherwise a clear error saying what to install.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { startLocalRedis } from '../../src/redis/local-server.js';

export interface TestRedis {
  url: string;
  /** A BullMQ/key prefix unique to this file, so files sharing one `REDIS_URL` never collide. */
  prefix: string;
  source: 'REDIS_URL' | 'testcontainers' | 'redis-server';
  stop(): Promise<void>;
}

function dockerEngineMayAnswer(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

export async function startTestRedis(): Promise<TestRedis> {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return { url: fromEnv, prefix, source: 'REDIS_URL', stop: async () => {} };

  if (dockerEngineMayAnswer()) {
    try {
      const { RedisContainer } = await import('@testcontainers/redis');
      const container = await new RedisContainer('redis:7.0').withCommand(['redis-server', '--maxmemory-policy', 'noeviction']).start();
      return { url: container.getConnectionUrl(), prefix, source: 'testcontainers', stop: async () => void (await container.stop()) };
    } catch {
      // No engine after all: fall through to a local server.
    }
  }
  try {
    const local = await startLocalRedis();
    return { url: local.url, prefix, source: 'redis-server', stop: () => local.stop() };
  } catch (err) {
    throw new Error(
      `No Redis for tests: set REDIS_URL, run a Docker engine, or install redis-server (apt install redis-server). Cause: ${(err as Error).message}`,
    );
  }
}
