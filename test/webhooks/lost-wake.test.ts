/**
 * A successor event added "parked" (dispatch.lua flag 2) whose predecessor is delivered in the window
 * between dispatch.lua and the dispatcher's addBulk: done.lua names the successor as `next` while its
 * job does not exist yet. It used to wait the full park period (wake() gave up on a missing job, and
 * nothing promoted it once added); now wake() looks again and the dispatcher promotes a parked job
 * that heads its line after the add. The addBulk is slowed here only to widen that (real, few-ms)
 * window deterministically (found by an adversarial review).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { Queue } from 'bullmq';
import { STORE_UID, startHarness, type Harness } from '../support/harness.js';
import { createWebhookEndpoint, webhookEndpoints } from '../../src/workers/notify/endpoints.js';
import { startNotify, type NotifyRuntime } from '../../src/workers/notify/runtime.js';
import { newSecret, startReceiver, until, type Receiver } from '../webhooks/support.js';

let h: Harness;
let receiver: Receiver;
let notify: NotifyRuntime;
const secret = newSecret();

beforeAll(async () => {
  h = await startHarness();
  // The first event of the line is answered after 300 ms, the rest at once.
  let first = true;
  receiver = await startReceiver([secret], () => {
    if (first) { first = false; return { status: 200, delayMs: 300 }; }
    return 200;
  });
  const orig = Queue.prototype.addBulk;
  vi.spyOn(Queue.prototype, 'addBulk').mockImplementation(async function (this: Queue, jobs: Parameters<Queue['addBulk']>[0]) {
    // A parked (flag 2) successor: its addBulk arrives 800 ms after dispatch.lua decided it (GC pause, slow Redis).
    if (jobs.some((j) => (j.opts?.delay ?? 0) > 0)) await new Promise((r) => setTimeout(r, 800));
    return orig.call(this, jobs);
  });
  notify = startNotify({
    core: h.core,
    endpoints: webhookEndpoints([createWebhookEndpoint({ id: 'erp', url: receiver.url, store: STORE_UID, secrets: [secret], types: ['refund_batch.completed'] })]),
    settings: { timeoutMs: 2_000, retrySchedule: [100], retryHorizonMs: 60_000, orderParkMs: 20_000, slotParkMs: 300, dispatchLockMs: 2_000, dispatchBlockMs: 50 },
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  await until(() => notify.dispatcher?.active(), 5_000, () => 'dispatcher active');
});
afterAll(async () => {
  vi.restoreAllMocks();
  await notify?.close();
  await receiver?.close();
  await h?.close();
});

describe('notify: wake of a parked successor', () => {
  it('the second event of an operation is delivered soon after the first, not after orderParkMs', async () => {
    const run = Date.now().toString(36);
    const op = `rb-${run}`;
    const emit = (n: number) => h.core.events.completeOnce(`{${h.redis.prefix}}:review:${run}:${n}`, { type: 'refund_batch.completed', store: STORE_UID, id: op, object: { id: op, n }, now: h.core.now() });
    await emit(1);
    await until(() => receiver.inFlight() > 0, 5_000, () => 'first delivery in flight');
    await emit(2); // dispatched behind the first (flag 2) while the first is in flight
    await until(() => receiver.delivered().length >= 1, 5_000, () => 'first delivered');
    const t0 = Date.now();
    await until(() => receiver.delivered().length >= 2, 6_000, () => `second event not delivered ${Date.now() - t0} ms after the first (orderParkMs 20 s): its wake was lost`);
    expect(receiver.delivered().map((r) => (r.event.data.object as { n: number }).n)).toEqual([1, 2]);
  }, 20_000);
});
