/**
 * Issue 14, webhooks — one dead endpoint slows nobody else: store B's endpoint hangs (every request
 * runs into the time limit); store A's deliveries and both stores' payments keep their pace. Measured
 * against a baseline run of the same workload with B's endpoint healthy, in one real worker process
 * whose delivery concurrency (6) a dead endpoint could fill without its cap (2) and circuit breaker.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { charge, startHarness, type Harness } from '../support/harness.js';
import { spawnWorker, type WorkerProcess } from '../support/processes.js';
import { newSecret, startReceiver, until, type Receiver } from './support.js';

const A = TEST_MERCHANT.storeUid;
const B = '289151880003';
const B_KEY = 'b'.repeat(32);
/** A dead endpoint's request holds a slot this long: what another store would wait without isolation. */
const TIMEOUT_MS = 3_000;

let h: Harness;
let good: Receiver;
let dead: Receiver;
let worker: WorkerProcess | undefined;
let bHangs = false;
const secretA = newSecret();
const secretB = newSecret();

beforeAll(async () => {
  h = await startHarness({ sim: { serviceMs: 10, followUpMs: 10, stores: [{ store_uid: A, key: TEST_MERCHANT.key }, { store_uid: B, key: B_KEY }] } });
  good = await startReceiver([secretA]);
  dead = await startReceiver([secretB], () => (bHangs ? 'hang' : 200));
  const dir = mkdtempSync(join(tmpdir(), 'wh-stores-'));
  const storesFile = join(dir, 'stores.json');
  writeFileSync(storesFile, JSON.stringify([
    { store_uid: A, key: TEST_MERCHANT.key, webhooks: [{ id: 'store-a', url: good.url, secrets: [secretA] }] },
    { store_uid: B, key: B_KEY, webhooks: [{ id: 'store-b', url: dead.url, secrets: [secretB] }] },
  ]));
  worker = await spawnWorker({
    redisUrl: h.redis.url,
    prefix: h.redis.prefix,
    gatewayUrl: h.sim.url,
    env: {
      MYPAY_STORES_FILE: storesFile,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      WEBHOOK_CONCURRENCY: '6',
      WEBHOOK_ENDPOINT_CONCURRENCY: '2',
      WEBHOOK_BREAKER_FAILURES: '3',
      WEBHOOK_BREAKER_COOLDOWN_MS: '5000',
      WEBHOOK_RETRY_SCHEDULE_MS: '1000',
      MYPAY_ANSWER_TIMEOUT_MS: '10000',
      TERMINAL_WINDOW_MS: '20000',
      RECONCILE_HORIZON_MS: '60000',
    },
  });
});
afterAll(async () => {
  await worker?.kill9();
  await good?.close();
  await dead?.close();
  await h?.close();
});

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** 12 charges per store at once: A's delivery latencies (event → answered) and every charge's enqueue → paid. */
async function round(tag: string): Promise<{ delivery: number[]; payment: number[] }> {
  const from = good.delivered().length;
  const started = new Map<string, number>();
  const ids: string[] = [];
  await Promise.all(Array.from({ length: 24 }, async (_, i) => {
    const store = i % 2 === 0 ? A : B;
    const t = Date.now();
    const { operation } = await h.producer.enqueueCharge({ ...charge(`iso-${tag}-${i}`, 100, `A${String((i >> 1) % 10 + 1).padStart(2, '0')}`), store_uid: store });
    started.set(operation.id, t);
    ids.push(operation.id);
  }));
  const payment: number[] = [];
  for (const id of ids) {
    await h.waitForState(id, ['paid'], 20_000);
    payment.push((await h.core.store.get(id))!.finished! - started.get(id)!);
  }
  // Each A charge: accepted and paid.
  await until(() => good.delivered().length - from >= 24, 20_000, () => `A deliveries ${good.delivered().length - from}/24\n${worker?.output().slice(-2000)}`);
  const delivery = good.delivered().slice(from).map((r) => r.at - Date.parse(r.event.created_at));
  return { delivery, payment };
}

describe('a dead endpoint for one store', () => {
  it("does not slow another store's deliveries, nor the payments (against a baseline with every endpoint healthy)", async () => {
    const run = Date.now().toString(36);
    const baseline = await round(`${run}-base`);
    await until(() => dead.delivered().length >= 24, 20_000, () => `B deliveries ${dead.delivered().length}/24`);

    bHangs = true;
    const beforeDead = dead.requests.length;
    const withDead = await round(`${run}-dead`);

    // B's endpoint really was dead and held requests, never more than its cap at once.
    expect(dead.requests.length).toBeGreaterThan(beforeDead);
    expect(dead.inFlight()).toBeLessThanOrEqual(2);
    expect(dead.maxInFlight()).toBeLessThanOrEqual(2);
    // A's deliveries: within a margin of the baseline (machine load varies between the rounds), far
    // under one timed-out request of B's — what they would wait if B's deliveries could fill the slots.
    const [b50, b90, bMax] = [quantile(baseline.delivery, 0.5), quantile(baseline.delivery, 0.9), Math.max(...baseline.delivery)];
    const [d50, d90, dMax] = [quantile(withDead.delivery, 0.5), quantile(withDead.delivery, 0.9), Math.max(...withDead.delivery)];
    const report = `A delivery ms — baseline p50 ${b50} p90 ${b90} max ${bMax}; with B dead p50 ${d50} p90 ${d90} max ${dMax}`;
    expect(d50, report).toBeLessThanOrEqual(2 * b50 + 300);
    expect(d90, report).toBeLessThanOrEqual(2 * b90 + 600);
    expect(dMax, report).toBeLessThan(bMax + TIMEOUT_MS);
    // Payments (both stores): their own queues and workers, untouched.
    const [p90base, p90dead] = [quantile(baseline.payment, 0.9), quantile(withDead.payment, 0.9)];
    expect(p90dead, `payment ms p90 baseline ${p90base}, with B dead ${p90dead}`).toBeLessThanOrEqual(2 * p90base + 500);
    // Nothing of B's reached the good receiver, and every A delivery verified.
    expect(good.bad).toEqual([]);
    expect(good.requests.every((r) => r.event.store_uid === A)).toBe(true);
  });
});
