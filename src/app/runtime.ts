/**
 * Wires the parsed configuration into the core, the gateway client and the worker context, so the
 * API process, the worker process and `npm start` build them the same way.
 */
import { Redis, Cluster } from 'ioredis';
import type { Logger } from 'pino';
import { loadStores, type Env, type StoreCredentials } from '../config/config.js';
import { createGatewayClient, createQueryCap, type GatewayClient, type QueryCap } from '../gateway/index.js';
import { gatewayOptionsFromEnv } from '../gateway/from-env.js';
import { createBulkSendGate } from '../batch/send-gate.js';
import { createCore, REDIS_OPTIONS, type Core } from '../queues/core.js';
import type { SettingsInput } from '../queues/settings.js';
import type { WorkerContext, WorkerEvent } from '../workers/context.js';
import { webhookEndpointsFromEnv, type WebhookEndpoints } from '../workers/notify/endpoints.js';
import type { NotifySettings } from '../workers/notify/settings.js';

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
      quietMs: env.POLL_QUIET_MS,
      denseUntilMs: env.POLL_DENSE_UNTIL_MS,
      tailIntervalMs: env.POLL_TAIL_MS,
      terminalWindowMs: env.TERMINAL_WINDOW_MS,
      maxAgeMs: env.RECONCILE_HORIZON_MS,
      reconcileMaxIntervalMs: env.RECONCILE_MAX_INTERVAL_MS,
    },
  };
}

/**
 * Webhook delivery timing from the environment (docs/WEBHOOKS.md). The safety nets scale with what
 * they cover: a parked delivery looks again after a request's time limit (a slot) or six (an earlier
 * event); a silent dispatcher is replaced after `WORKER_LOCK_MS` (at most 15 s), like a silent worker.
 */
export function notifySettingsFromEnv(env: Env): Partial<NotifySettings> {
  const dispatchLockMs = Math.min(15_000, env.WORKER_LOCK_MS);
  return {
    dispatchLockMs,
    dispatchBlockMs: Math.max(1, Math.floor(dispatchLockMs / 5)),
    slotParkMs: env.WEBHOOK_TIMEOUT_MS,
    orderParkMs: 6 * env.WEBHOOK_TIMEOUT_MS,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    endpointConcurrency: env.WEBHOOK_ENDPOINT_CONCURRENCY,
    retrySchedule: env.WEBHOOK_RETRY_SCHEDULE_MS,
    retryHorizonMs: env.WEBHOOK_RETRY_HORIZON_MS,
    breakerFailures: env.WEBHOOK_BREAKER_FAILURES,
    breakerCooldownMs: env.WEBHOOK_BREAKER_COOLDOWN_MS,
  };
}

/** `GATEWAY_QUERIES_PER_SECOND` on the deployment's Redis (0: none): shared by every process of the deployment. */
export function queryCapFromEnv(env: Env, redis: Redis | Cluster): QueryCap | undefined {
  return env.GATEWAY_QUERIES_PER_SECOND > 0 ? createQueryCap(redis, env.QUEUE_PREFIX, env.GATEWAY_QUERIES_PER_SECOND) : undefined;
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
  /** Webhook endpoints (checked at start-up in every role: a bad one refuses the start). */
  webhooks: WebhookEndpoints;
  core: Core;
  gateway: GatewayClient;
  workerContext(onEvent?: (e: WorkerEvent) => void): WorkerContext;
  close(): Promise<void>;
}

export function createAppRuntime(env: Env, redisUrl: string, logger: Logger): AppRuntime {
  const stores = loadStores(env);
  const webhooks = webhookEndpointsFromEnv(env, stores);
  const keys = new Map(stores.map((s) => [s.store_uid, s.key]));
  const redis = connectRedis(redisUrl);
  const core = createCore({ connection: redis, tag: env.QUEUE_PREFIX, settings: settingsFromEnv(env), logger, retentionMs: env.RECORD_RETENTION_DAYS * 86_400_000 });
  const gateway = createGatewayClient({ ...gatewayOptionsFromEnv(env), logger, queryCap: queryCapFromEnv(env, redis) });
  return {
    env,
    stores,
    webhooks,
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
