/**
 * The terminal window (after which a terminal still showing prc 200 is taken to be free) runs from
 * the B200, not from the `sent` stamp, which is taken before the claim reaches Redis: a Redis stall
 * between the two once made the window look over while the terminal was still serving the customer
 * (found by test/reliability/redis-restarts.test.ts as a busy violation right after a restart).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ settings: { inlineWaitMs: 0, poll: { denseIntervalMs: 50, terminalWindowMs: 5_000, reconcileStartMs: 50, reconcileMaxIntervalMs: 100, maxAgeMs: 600_000 } } });
  h.startWorker();
});
afterAll(async () => h?.close());

it('a stale `sent` stamp does not free a terminal whose B200 is recent', async () => {
  const orderId = `window-${Date.now()}`;
  const { operation } = await h.producer.enqueueCharge(charge(orderId, 156, 'A01')); // stays at prc 200
  await h.waitForState(operation.id, ['pending']);
  // As if the claim had waited a minute for Redis before the POST went out.
  await h.core.redis.hset(h.core.store.keys.op(operation.id), 'sent', Date.now() - 60_000, 'first_sent', Date.now() - 60_000);
  const polls = (await h.core.store.get(operation.id))!.polls ?? 0;
  await expect.poll(async () => (await h.core.store.get(operation.id))!.polls ?? 0, { timeout: 5_000 }).toBeGreaterThan(polls + 2);
  expect(await h.core.store.leaseHolder(STORE_UID, 'A01')).toBe(operation.id);
});
