/**
 * Wires the parsed configuration into the core, the gateway client and the worker context, so the
 * API process, the worker process and `npm start` build them the same way.
 */
import { Redis, Cluster } from 'ioredis';
import type { Logger } from 'pino';
import { loadStores, type Env, type StoreCredentials } from '../config/config.js';
import { createGatewayClient, type GatewayClient } from '../gateway/index.js';
import { gatewayOptionsFromEnv } from '../gateway/from-env.js';
import { createBulkSendGate } from '../batch/send-gate.js';
import { createCore, REDIS_OPTIONS, type Core } from '../queues/core.js';
import type { SettingsInput } from '../queues/settings.js';
import type { WorkerContext, WorkerEvent } from '../workers/context.js';

export function settingsFromEnv(env: Env): SettingsInput {
  return {
    leaseMs: env.LEASE_MS,
    sweepIntervalMs: env.SWEEP_INTERVAL_MS,
    retryDeadlineMs: env.RETRY_DEADLINE_MS,
    printCooldownMs: env.PRINT_COOLDOWN_MS,
    claimBudgetMs: env.CLAIM_BUDGET_MS,
    claimFenceMs: env.CLAIM_FENCE_MS,
    clockToleranceMs: env.GATEWAY_CLOCK_TOLERANCE_MS,
    tombstoneMs: env.ORDER_TOMBSTONE_DAYS * 86_400_000,
    janitorIntervalMs: env.JANITOR_INTERVAL_MS,
    answerTimeoutMs: env.MYPAY_ANSWER_TIMEOUT_MS,
    poll: {
      denseIntervalMs: env.POLL_DENSE_MS,
      terminalWindowMs: env.TERMINAL_WINDOW_MS,
      maxAgeMs: env.RECONCILE_HORIZON_MS,
      reconcileMaxIntervalMs: env.RECONCILE_MAX_INTERVAL_MS,
    },
  };
}

/** `redis://…` → Redis; `redis+cluster://host:port,host:port` → Cluster (hash tags keep our scripts in one slot). */
export function connectRedis(url: string): Redis | Cluster {
  if (url.startsWith('redis+cluster://')) {
    const nodes = url.slice('redis+cluster://'.length).split(',').map((hp) => {
      const [host, port] = hp.split(':');
      return { host: host ?? '127.0.0.1', port: Number(port ?? 6379) };
    });
    return new Cluster(nodes, { redisOptions: REDIS_OPTIONS });
  }
  return new Redis(url, REDIS_OPTIONS);
}

export interface AppRuntime {
  env: Env;
  stores: StoreCredentials[];
  core: Core;
  gateway: GatewayClient;
  workerContext(onEvent?: (e: WorkerEvent) => void): WorkerContext;
  close(): Promise<void>;
}

export function createAppRuntime(env: Env, redisUrl: string, logger: Logger): AppRuntime {
  const stores = loadStores(env);
  const keys = new Map(stores.map((s) => [s.store_uid, s.key]));
  const redis = connectRedis(redisUrl);
  const core = createCore({ connection: redis, tag: env.QUEUE_PREFIX, settings: settingsFromEnv(env), logger, retentionMs: env.RECORD_RETENTION_DAYS * 86_400_000 });
  const gateway = createGatewayClient({ ...gatewayOptionsFromEnv(env), logger });
  return {
    env,
    stores,
    core,
    gateway,
    workerContext: (onEvent) => ({
      core, gateway, logger, merchantKey: (s) => keys.get(s), onEvent,
      bulkGate: env.BATCH_RATE_LIMIT_PER_S > 0 ? createBulkSendGate(redis, env.QUEUE_PREFIX, env.BATCH_RATE_LIMIT_PER_S) : undefined,
    }),
    async close() {
      await core.close();
      await gateway.close();
      await redis.quit().catch(() => undefined);
    },
  };
}
