/**
 * src/producers/event-tail.ts, two defects an adversarial review found (each failed before its fix):
 * 1. subscribe() promises every new event in stream order, but the loop moved its cursor before
 *    delivering: one failed body read (a Redis hiccup on the pipeline) dropped that batch for every
 *    subscriber. The cursor now moves only once the batch is delivered.
 * 2. waitForFinal with a signal already aborted (the HTTP client went away while the route was still
 *    reading) added an 'abort' listener that never fires: the waiter stayed until the full timeout.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { createEventTail, type EventTail } from '../../src/producers/event-tail.js';
import type { MypayEvent } from '../../src/store/events.js';
import { until } from '../webhooks/support.js';

let h: Harness;
let tail: EventTail;

beforeAll(async () => {
  h = await startHarness();
  tail = createEventTail(h.core);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await tail?.close();
  await h?.close();
});

describe('event tail', () => {
  it('a subscriber still gets an event whose body read failed once (transient error)', async () => {
    const got: MypayEvent[] = [];
    const off = tail.subscribe((e) => void got.push(e), { types: ['refund_batch.completed'] });
    await new Promise((r) => setTimeout(r, 300)); // the tail has started
    const spy = vi.spyOn(h.core.events, 'bodies').mockRejectedValueOnce(new Error('Connection is closed.'));
    const run = Date.now().toString(36);
    await h.core.events.completeOnce(`{${h.redis.prefix}}:review:${run}`, { type: 'refund_batch.completed', store: STORE_UID, id: `rb-${run}`, object: { id: `rb-${run}` }, now: h.core.now() });
    try {
      await until(() => got.some((e) => (e.data.object as { id?: string }).id === `rb-${run}`), 4_000, () => `event never reached the subscriber (body reads: ${spy.mock.calls.length})`);
    } finally {
      off();
    }
  }, 10_000);

  it('a waiter whose signal is already aborted returns at once instead of after the timeout', async () => {
    const { operation } = await h.producer.enqueueCharge(charge(`tail-${Date.now().toString(36)}`, 100, 'A01'));
    const t0 = Date.now();
    await tail.waitForFinal(operation.id, 4_000, AbortSignal.abort());
    expect(Date.now() - t0, 'held for the whole wait although the request was gone').toBeLessThan(1_000);
  }, 10_000);
});
