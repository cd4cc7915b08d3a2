/**
 * Which Redis `npm start` uses, so it runs out of the box: `REDIS_URL`; else a server already
 * answering on 127.0.0.1:6379; else a `redis-server` started here with AOF in `REDIS_DATA_DIR` (so the
 * demo's payments survive a restart, docs/OPERATIONS.md › 6. Redis › Persistence), stopped with the
 * process. `--role api` and `--role worker` need `REDIS_URL`.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Env } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import { portAnswers, startLocalRedis } from '../redis/local-server.js';

export interface ResolvedRedis {
  url: string;
  source: 'REDIS_URL' | 'existing local' | 'started redis-server';
  /** AOF directory when started here. */
  dir?: string;
  stop(): Promise<void>;
}

export interface ResolveRedisOptions {
  /** Find or start a Redis when REDIS_URL is unset (`npm start` only). */
  mayStart: boolean;
  /** Port probed for an existing local Redis. Default 6379. */
  probePort?: number;
}

export async function resolveRedis(env: Env, logger: Logger, opts: ResolveRedisOptions): Promise<ResolvedRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'REDIS_URL', stop: async () => {} };
  if (!opts.mayStart) throw new ConfigError('REDIS_URL is required for `npm run api` / `npm run worker` (only `npm start` finds or starts a Redis itself)');
  const probe = opts.probePort ?? 6379;
  if (await portAnswers(probe)) return { url: `redis://127.0.0.1:${probe}`, source: 'existing local', stop: async () => {} };
  const dir = resolve(env.REDIS_DATA_DIR);
  mkdirSync(dir, { recursive: true });
  const local = await startLocalRedis({ dir, appendOnly: true });
  logger.info({ url: local.url, dir }, 'started redis-server (AOF on)');
  return { url: local.url, source: 'started redis-server', dir, stop: () => local.stop() };
}
