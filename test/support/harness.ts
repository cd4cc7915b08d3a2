/**
 * An orchestrator on a private Redis, talking over real HTTP to an in-process simulator.
 * Fast settings so follow-ups, windows and horizons play out in a test's time.
 */
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { createGatewayClient, type GatewayClient } from '../../src/gateway/index.js';
import { createCore, REDIS_OPTIONS, type Core } from '../../src/queues/core.js';
import type { SettingsInput } from '../../src/queues/settings.js';
import { createProducer, type Producer } from '../../src/producers/index.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { startWorkers, type WorkerRuntime, type WorkerContext } from '../../src/workers/index.js';
import { startTestRedis, type TestRedis } from './redis.js';

export const STORE_UID = TEST_MERCHANT.storeUid;

export const FAST_SETTINGS: SettingsInput = {
  leaseMs: 2_000,
  parkMs: 60_000,
  retryDeadlineMs: 1_500,
  printCooldownMs: 20,
  answerTimeoutMs: 1_000,
  sweepIntervalMs: 200,
  poll: { denseIntervalMs: 20, terminalWindowMs: 300, reconcileStartMs: 50, reconcileMaxIntervalMs: 200, maxAgeMs: 3_000 },
  retry: { baseMs: 20, maxMs: 100 },
};

export interface Harness {
  redis: TestRedis;
  sim: Simulator;
  core: Core;
  producer: Producer;
  gateway: GatewayClient;
  workers: WorkerRuntime[];
  ctx: WorkerContext;
  startWorker(concurrency?: number): WorkerRuntime;
  waitForState(opId: string, states: string[], timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(opts: { sim?: SimulatorOptions; settings?: SettingsInput; redis?: TestRedis } = {}): Promise<Harness> {
  const redis = opts.redis ?? (await startTestRedis());
  const sim = await createSimulator({ devices: 10, ...opts.sim });
  const settings: SettingsInput = { ...FAST_SETTINGS, ...opts.settings, poll: { ...FAST_SETTINGS.poll, ...opts.settings?.poll }, retry: { ...FAST_SETTINGS.retry, ...opts.settings?.retry } };
  const conn = new Redis(redis.url, REDIS_OPTIONS);
  const core = createCore({ connection: conn, tag: redis.prefix, settings });
  const producer = createProducer(core);
  const gateway = createGatewayClient({ url: sim.url, allowedHosts: ['127.0.0.1'], answerTimeoutMs: settings.answerTimeoutMs, connectTimeoutMs: 500 });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const ctx: WorkerContext = { core, gateway, logger, merchantKey: (s) => (s === STORE_UID ? TEST_MERCHANT.key : undefined) };
  const workers: WorkerRuntime[] = [];
  const h: Harness = {
    redis, sim, core, producer, gateway, workers, ctx,
    startWorker(concurrency = 20) {
      const w = startWorkers(ctx, { concurrency });
      workers.push(w);
      return w;
    },
    async waitForState(opId, states, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = (await core.store.get(opId))?.state ?? 'missing';
        if (states.includes(last)) return last;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`${opId} still ${last}, wanted ${states.join('|')}`);
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await core.close();
      await conn.quit();
      await gateway.close();
      await sim.close();
      if (!opts.redis) await redis.stop();
    },
  };
  return h;
}

export function charge(orderId: string, cost: number, device = 'A01', extra: Record<string, unknown> = {}) {
  return { store_uid: STORE_UID, device_name: device, order_id: orderId, cost, pfn: 'CREDITCARD', ...extra };
}
