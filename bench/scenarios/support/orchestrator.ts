/**
 * Our orchestrator as `npm start` wires it (src/app does the same from config): one core on the
 * bench's Redis, the producer, the gateway client pointed at the simulator, and device + status
 * workers — with bench timings: a tiny dense poll interval so a zero-service-time charge is
 * followed up at once, and park/lease/window long enough that no safety net fires during a run.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { pino } from 'pino';
import { TEST_MERCHANT } from '../../../src/config/config.js';
import { createGatewayClient, createQueryCap, type GatewayClient, type QueryCap } from '../../../src/gateway/index.js';
import { createProducer, type Producer } from '../../../src/producers/index.js';
import { createCore, REDIS_OPTIONS, type Core } from '../../../src/queues/core.js';
import type { SettingsInput } from '../../../src/queues/settings.js';
import { startWorkers, type WorkerContext, type WorkerRuntime } from '../../../src/workers/index.js';
import { waitUntil } from './measure.js';

export const STORE_UID = TEST_MERCHANT.storeUid;
export const STORE_KEY = TEST_MERCHANT.key;

/** Bench timings: see the module comment. `denseIntervalMs` is set per scenario. */
export function benchSettings(denseIntervalMs: number): SettingsInput {
  return {
    leaseMs: 60_000,
    parkMs: 900_000,
    retryDeadlineMs: 60_000,
    printCooldownMs: 0,
    answerTimeoutMs: 10_000,
    sweepIntervalMs: 5_000,
    poll: { denseIntervalMs, terminalWindowMs: 300_000, reconcileStartMs: 1_000, reconcileMaxIntervalMs: 5_000, maxAgeMs: 900_000 },
    retry: { baseMs: 5, maxMs: 50 },
  };
}

/** Gateway client options shared by ours and the peers, so HTTP costs the same for all. */
export function benchGateway(url: string, queryCap?: QueryCap): GatewayClient {
  return createGatewayClient({ url, allowedHosts: ['127.0.0.1'], answerTimeoutMs: 10_000, connectTimeoutMs: 2_000, connections: 64, queryCap });
}

export interface Orchestrator {
  core: Core;
  producer: Producer;
  ctx: WorkerContext;
  /** Final states recorded so far, by state. */
  finals: Map<string, number>;
  finalCount(): number;
  startWorkers(concurrency: number): WorkerRuntime;
  waitForFinals(n: number, deadline: number): Promise<boolean>;
  close(): Promise<void>;
}

/** `queriesPerSecond`: the per-store cap on status queries (`GATEWAY_QUERIES_PER_SECOND`); default none, as the other scenarios measure the orchestrator alone. */
export function startOrchestrator(o: { redisUrl: string; simUrl: string; tag?: string; settings: SettingsInput; redisOptions?: RedisOptions; queriesPerSecond?: number }): Orchestrator {
  // REDIS_OPTIONS is what the app uses; `redisOptions` only for experiments (e.g. auto-pipelining).
  const conn = new Redis(o.redisUrl, { ...REDIS_OPTIONS, ...o.redisOptions });
  const tag = o.tag ?? 'bench';
  const core = createCore({ connection: conn, tag, settings: o.settings });
  const producer = createProducer(core);
  const gateway = benchGateway(o.simUrl, o.queriesPerSecond ? createQueryCap(conn, tag, o.queriesPerSecond) : undefined);
  const finals = new Map<string, number>();
  let finalCount = 0;
  const ctx: WorkerContext = {
    core,
    gateway,
    logger: pino({ level: 'silent' }),
    merchantKey: (s) => (s === STORE_UID ? STORE_KEY : undefined),
    onEvent: (e) => {
      if (e.type !== 'final') return;
      finals.set(e.state, (finals.get(e.state) ?? 0) + 1);
      finalCount++;
    },
  };
  const workers: WorkerRuntime[] = [];
  return {
    core,
    producer,
    ctx,
    finals,
    finalCount: () => finalCount,
    startWorkers(concurrency) {
      const w = startWorkers(ctx, { concurrency });
      workers.push(w);
      return w;
    },
    waitForFinals: (n, deadline) => waitUntil(() => finalCount >= n, deadline, 5),
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await core.close();
      await gateway.close();
      await conn.quit().catch(() => undefined);
    },
  };
}

/** A charge the simulator pays (amounts ending in 51–62 script other outcomes). */
export function chargeInput(orderId: string, device: string) {
  return { store_uid: STORE_UID, device_name: device, order_id: orderId, cost: 100, pfn: 'CREDITCARD' as const };
}

/** Terminal names as the simulator makes them for a fleet of `count` (A01 … or A00001 …). */
export function deviceName(i: number, count: number): string {
  return `A${String(i + 1).padStart(Math.max(2, String(count).length), '0')}`;
}
