/**
 * Starts one role of the system in this process:
 * - `all` (`npm start`): API + Bull Board + workers; finds or starts Redis; bundled simulator and
 *   generated credentials in demo mode (no `MYPAY_URL`, and only when asked for: mode.ts); optional
 *   demo traffic (`DEMO=1`).
 * - `api` (`npm run api`): API + Bull Board only.
 * - `worker` (`npm run worker`): workers + lease sweeper, with /healthz, /readyz and /metrics on
 *   `METRICS_PORT` (0: none).
 * `close()` stops in reverse order: traffic, HTTP, workers (running jobs finish), Redis clients,
 * simulator, the Redis server it started.
 */
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { callbackSecretsOf, loadStores, terminalsOf, type Env } from '../config/config.js';
import { createApiApp } from '../api/app.js';
import { BOARD_PATH } from '../api/board.js';
import { createAppRuntime, notifySettingsFromEnv, type AppRuntime } from '../app/runtime.js';
import { createMetrics } from '../metrics/index.js';
import { createProducer } from '../producers/index.js';
import { deviceNames, type Simulator } from '../simulator/index.js';
import { startWorkers, type WorkerRuntime } from '../workers/runtime.js';
import { startNotify } from '../workers/notify/runtime.js';
import { failedDeliveriesSummary } from '../workers/notify/deliveries.js';
import { startTraffic, type Traffic } from '../demo/traffic.js';
import { startBatchTracker } from '../batch/tracker.js';
import { DEMO_CREDENTIALS_FILE, resolveCredentials, type Credentials } from './credentials.js';
import { listen, type Listening } from './listen.js';
import { createOpsApp } from './ops-server.js';
import { resolveRedis, type ResolvedRedis } from './redis.js';
import { resolveDemoMode, type Role } from './mode.js';
import { startBundledSimulator } from './simulator.js';
import { startDemoReceiver, type DemoReceiver } from '../demo/webhook-receiver.js';
import { inspectDurability, parseRequiredDurability, type DurabilityInspection, type RedisCaller } from '../store/durability.js';

export type { Role } from './mode.js';

export interface System {
  role: Role;
  /** No `MYPAY_URL`: the bundled simulator is the gateway. */
  demo: boolean;
  redis: ResolvedRedis;
  runtime: AppRuntime;
  /** The API (all/api) or the worker's ops server. */
  http?: Listening;
  credentials?: Credentials;
  sim?: Simulator;
  workers?: WorkerRuntime;
  traffic?: Traffic;
  urls: Record<string, string>;
  close(): Promise<void>;
}

export async function startSystem(role: Role, env: Env, logger: Logger): Promise<System> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch((err: Error) => logger.error({ err: err.message }, 'shutdown step failed'));
  };
  try {
    return await start(role, env, logger, closers, close);
  } catch (err) {
    await close();
    throw err;
  }
}

async function start(role: Role, env0: Env, logger: Logger, closers: (() => Promise<void>)[], close: () => Promise<void>): Promise<System> {
  const demo = resolveDemoMode(role, env0);
  // Demo mode keeps what it generates in DEMO_DATA_DIR, so a restart prints the same key and login.
  const credentials = role === 'worker' ? undefined : resolveCredentials(env0, demo, demo ? { file: join(resolve(env0.DEMO_DATA_DIR), DEMO_CREDENTIALS_FILE) } : {});
  if (credentials?.keepProblem) logger.warn({ problem: credentials.keepProblem }, 'generated demo credentials are for this run only');
  const redis = await resolveRedis(env0, logger, { mayStart: role === 'all' });
  closers.push(() => redis.stop());
  let env = env0;
  let sim: Simulator | undefined;
  if (demo) {
    // The configured merchants (else the spec's test merchant) are known to the simulator too.
    const bundled = await startBundledSimulator(env0, loadStores(env0), logger);
    sim = bundled.sim;
    env = bundled.env;
    closers.push(() => bundled.sim.close());
  }
  // Demo without endpoints of its own: signed events go to a receiver that verifies and logs them.
  let receiver: DemoReceiver | undefined;
  if (demo && role === 'all' && !env.WEBHOOK_URL && !loadStores(env).some((s) => (s.webhooks?.length ?? 0) > 0)) {
    const r = await startDemoReceiver(logger.child({ component: 'demo-webhooks' }));
    receiver = r;
    closers.push(() => r.close());
    env = { ...env, WEBHOOK_URL: r.url, WEBHOOK_SECRET: [r.secret], WEBHOOK_ALLOWED_HOSTS: [...env.WEBHOOK_ALLOWED_HOSTS, '127.0.0.1'] };
  }
  const runtime = createAppRuntime(env, redis.url, logger);
  closers.push(() => runtime.close());
  // One clock for every host (queues/clock.ts): measure the offset to Redis before taking work.
  await runtime.core.clock?.sync();
  const metrics = createMetrics(runtime.core);
  const urls: Record<string, string> = {};
  let workers: WorkerRuntime | undefined;
  let durability: DurabilityInspection | undefined;
  if (role !== 'api') {
    // A claim must survive what the deployment promises before its POST leaves (docs/OPERATIONS.md).
    durability = await inspectDurability(runtime.core.redis as unknown as RedisCaller, parseRequiredDurability(env.REDIS_DURABILITY));
    metrics.setDurability(durability);
    if (durability.ok) logger.info({ durability: durability.detail }, 'redis durability');
    else logger.warn({ durability: durability.detail }, `Redis is configured below REDIS_DURABILITY=${env.REDIS_DURABILITY}: a claim written just before a POST could be lost in a crash or failover`);
    const w = startWorkers(runtime.workerContext(metrics.onEvent), {
      concurrency: env.WORKER_CONCURRENCY,
      lockDurationMs: env.WORKER_LOCK_MS,
      stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
    });
    workers = w;
    closers.push(() => w.close());
    // Webhook deliveries (docs/WEBHOOKS.md): a queue and worker of their own, only with endpoints configured.
    if (runtime.webhooks.list.length > 0) {
      const n = startNotify({
        core: runtime.core,
        endpoints: runtime.webhooks,
        settings: notifySettingsFromEnv(env),
        logger,
        onEvent: metrics.onNotifyEvent,
        concurrency: env.WEBHOOK_CONCURRENCY,
        lockDurationMs: env.WORKER_LOCK_MS,
        stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
      });
      closers.push(() => n.close());
      logger.info({ endpoints: runtime.webhooks.list.map((e) => ({ id: e.id, host: e.host, store: e.store, rotating: e.secretCount > 1 })) }, 'webhook deliveries started');
    }
  }
  // Completes refund batches' Bull Board parents without a CLI attached (docs/BATCH-REFUNDS.md);
  // trackers in several processes race harmlessly.
  const tracker = startBatchTracker(runtime.core, { logger: logger.child({ component: 'batch-tracker' }), reconcileMs: env.BATCH_RECONCILE_MS });
  closers.push(() => tracker.close());
  let http: Listening | undefined;
  if (role === 'worker') {
    if (env.METRICS_PORT > 0) {
      http = await listen(createOpsApp(runtime.core, metrics, workers!, logger, durability), env.METRICS_PORT, env.HOST, 'METRICS_PORT');
      urls.metrics = `${http.url}/metrics`;
    }
  } else {
    const stores = runtime.stores.map((s) => s.store_uid);
    const terminals = terminalsOf(runtime.stores);
    const app = createApiApp({
      core: runtime.core,
      // The API's producer refuses other stores and, where a store lists its terminals, other terminals.
      producer: createProducer(runtime.core, { stores, terminals }),
      stores,
      terminals,
      apiKeys: credentials!.apiKeys,
      scopedKeys: credentials!.scopedKeys,
      callbacks: { secrets: callbackSecretsOf(runtime.stores), coalesceMs: env.CALLBACK_COALESCE_MS, ratePerSecond: env.CALLBACK_RATE_PER_SECOND, burst: env.CALLBACK_RATE_BURST },
      admin: credentials!.admin,
      bodyLimitBytes: env.API_BODY_LIMIT_BYTES,
      boardReadOnly: env.BULL_BOARD_READ_ONLY === '1',
      metrics,
      workers,
      durability,
      ...(runtime.webhooks.list.length > 0 ? { attention: { failedWebhooks: (stores?: readonly string[]) => failedDeliveriesSummary(runtime.core, 50, stores) } } : {}),
      logger,
    });
    http = await listen(app, env.PORT, env.HOST);
    Object.assign(urls, { api: `${http.url}/v1`, dashboard: `${http.url}${BOARD_PATH}`, openapi: `${http.url}/v1/openapi.json`, metrics: `${http.url}/metrics` });
  }
  if (http) {
    const h = http;
    closers.push(() => h.close());
  }
  if (receiver) urls.webhooks = receiver.url;
  if (sim) {
    urls.simulator = sim.origin;
    // The demo's simulator reports results back to us, so the callback-as-hint path runs too.
    // With one merchant the URL names it (and brings its callback secret, when it has one), as a
    // merchant registers it with MYPAY.
    const only = runtime.stores.length === 1 ? runtime.stores[0]! : undefined;
    const params = only ? `?${new URLSearchParams({ store_uid: only.store_uid, ...(only.callback_secret ? { secret: only.callback_secret } : {}) })}` : '';
    if (!env.SIM_CALLBACK_URL && http) sim.configureCallbacks({ url: `${http.url}/v1/callbacks/mypay${params}` });
  }
  let traffic: Traffic | undefined;
  const trafficKey = credentials?.apiKeys[0];
  if (env.DEMO === '1' && http && credentials && !trafficKey) logger.warn('DEMO=1: demo traffic needs an all-store key from API_KEYS (API_KEYS_FILE holds only scoped ones): not started');
  if (env.DEMO === '1' && http && credentials && trafficKey) {
    const t = startTraffic({
      apiUrl: http.url,
      apiKey: trafficKey,
      storeUid: runtime.stores[0]!.store_uid,
      devices: deviceNames(env.SIM_DEVICES),
      ratePerSecond: env.DEMO_RATE,
      simOrigin: sim?.origin,
      logger: logger.child({ component: 'demo' }),
    });
    traffic = t;
    closers.push(() => t.stop());
  }
  return { role, demo, redis, runtime, http, credentials, sim, workers, traffic, urls, close };
}
