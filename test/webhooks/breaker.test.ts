/**
 * Issue 14, webhooks — the circuit breaker: after a few failed requests in a row an endpoint's
 * deliveries are no longer sent (no request, no timeout, no slot) but held; one probe per cool-down
 * tests the endpoint; the probe's 2xx closes the circuit and wakes every held delivery at once —
 * long before their own retry (8 s here) would have come. Real Redis, real HTTP; in-process worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { createWebhookEndpoint, webhookEndpoints } from '../../src/workers/notify/endpoints.js';
import { startNotify, type NotifyRuntime } from '../../src/workers/notify/runtime.js';
import { notifyQueue } from '../../src/workers/notify/queue.js';
import type { NotifyEvent } from '../../src/workers/notify/deliver.js';
import { newSecret, startReceiver, storedEvents, until, type Receiver } from './support.js';

let h: Harness;
let receiver: Receiver;
let notify: NotifyRuntime;
let down = true;
const secret = newSecret();
const events: NotifyEvent[] = [];

beforeAll(async () => {
  h = await startHarness({ sim: { serviceMs: 5 } });
  h.startWorker();
  // Down: every request hangs until the 300 ms limit.
  receiver = await startReceiver([secret], () => (down ? 'hang' : 200));
  notify = startNotify({
    core: h.core,
    endpoints: webhookEndpoints([createWebhookEndpoint({ id: 'erp', url: receiver.url, store: STORE_UID, secrets: [secret], types: ['charge.accepted'] })]),
    settings: { timeoutMs: 300, retrySchedule: [8_000], retryHorizonMs: 60_000, breakerFailures: 3, breakerCooldownMs: 250, endpointConcurrency: 20, orderParkMs: 2_000, slotParkMs: 300, dispatchLockMs: 2_000, dispatchBlockMs: 100 },
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    onEvent: (e) => events.push(e),
  });
});
afterAll(async () => {
  await notify?.close();
  await receiver?.close();
  await h?.close();
});

describe('circuit breaker', () => {
  it('opens after failures in a row (no more requests but one probe per cool-down), closes on a probe and wakes the held deliveries at once', async () => {
    const run = Date.now().toString(36);
    const ids: string[] = [];
    // 20 operations over ~2 s: each `charge.accepted` is a delivery of its own (its own line).
    for (let i = 0; i < 20; i++) {
      ids.push((await h.producer.enqueueCharge(charge(`cb-${run}-${i}`, 100, `A${String((i % 10) + 1).padStart(2, '0')}`))).operation.id);
      await new Promise((r) => setTimeout(r, 100));
    }
    const expected = (await storedEvents(h.core, STORE_UID)).filter((e) => ids.includes(e.op) && e.type === 'charge.accepted');
    expect(expected).toHaveLength(20);
    await until(() => events.some((e) => e.type === 'circuit' && e.state === 'open'), 10_000, () => 'circuit open');
    await new Promise((r) => setTimeout(r, 800));

    // Down for ~3 s with 20 deliveries due: the few requests in flight before 3 had failed, then one
    // probe at a time, one per cool-down (each hanging 300 ms) — not one request per delivery.
    const sentWhileDown = receiver.requests.length;
    const notSent = events.filter((e) => e.type === 'not_sent' && e.reason === 'circuit_open').length;
    expect(sentWhileDown, `${sentWhileDown} requests, ${notSent} not sent`).toBeLessThanOrEqual(12);
    expect(notSent).toBeGreaterThanOrEqual(20 - sentWhileDown);
    const logs = (await Promise.all((await notifyQueue(h.core).getJobs(['delayed'], 0, -1)).map((j) => notifyQueue(h.core).getJobLogs(j.id!)))).flatMap((l) => l.logs);
    expect(logs.some((l) => /not sent, circuit open \(\d+ failed requests in a row since .+\); next probe after /.test(l))).toBe(true);
    expect(logs.some((l) => /\(probe\): no answer within 300 ms/.test(l))).toBe(true);

    // Up again: the next probe (within a cool-down) closes the circuit and wakes every held delivery;
    // their own retries would come 8 s (±20 %) after their last attempt.
    const upAt = Date.now();
    down = false;
    await until(() => expected.every((e) => receiver.delivered().some((r) => r.id === e.id)), 10_000, () => `delivered ${receiver.delivered().length}/20`);
    const took = Date.now() - upAt;
    expect(took, `all delivered ${took} ms after the endpoint came back`).toBeLessThan(3_000);
    expect(events.some((e) => e.type === 'circuit' && e.state === 'closed')).toBe(true);
    expect(receiver.bad).toEqual([]);
  });
});
