/**
 * Concurrent single enqueues are coalesced into pipelines (src/producers/enqueue.ts): idempotency
 * must hold exactly as one call at a time — duplicates in the same flush, or racing from another
 * process, give one operation and one device job; a conflict or bad input is that call's error only.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { createCore, REDIS_OPTIONS, type Core } from '../../src/queues/core.js';
import { createProducer, IdempotencyConflictError, type Producer } from '../../src/producers/index.js';
import { ValidationError } from '../../src/domain/validation.js';
import { operationId } from '../../src/store/keys.js';
import { FAST_SETTINGS, STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let other: { conn: Redis; core: Core; producer: Producer };
beforeAll(async () => {
  // No workers: every job stays where the enqueue put it.
  h = await startHarness();
  const conn = new Redis(h.redis.url, REDIS_OPTIONS);
  const core = createCore({ connection: conn, tag: h.redis.prefix, settings: FAST_SETTINGS });
  other = { conn, core, producer: createProducer(core) };
});
afterAll(async () => {
  await other?.core.close();
  await other?.conn.quit();
  await h?.close();
});

const TERMINALS = ['A01', 'A02', 'A03', 'A04'];

describe('coalesced enqueues', () => {
  it('128 concurrent calls with duplicates: one operation and one device job per order, lines without duplicates', async () => {
    const run = Date.now();
    const orders = Array.from({ length: 32 }, (_, i) => ({ orderId: `co-${run}-${i}`, device: TERMINALS[i % TERMINALS.length]! }));
    const createMany = vi.spyOn(h.core.store, 'createMany');
    // Each order four times: three through this process (the same flush), one through another.
    const calls = orders.flatMap(({ orderId, device }) => [
      ...[0, 1, 2].map(() => h.producer.enqueueCharge(charge(orderId, 100, device))),
      other.producer.enqueueCharge(charge(orderId, 100, device)),
    ]);
    const conflict = h.producer.enqueueCharge(charge(orders[0]!.orderId, 999, orders[0]!.device)).catch((e: unknown) => e);
    const bad = h.producer.enqueueCharge({ ...charge(`co-${run}-bad`, 100), cost: -1 }).catch((e: unknown) => e);
    const results = await Promise.all(calls);
    expect(calls).toHaveLength(128);
    // This process' 96 calls (and the two failures) went to Redis together.
    expect(createMany).toHaveBeenCalledTimes(1);
    createMany.mockRestore();

    expect(await conflict).toBeInstanceOf(IdempotencyConflictError);
    expect(await bad).toBeInstanceOf(ValidationError);
    expect(await h.core.store.get(operationId('charge', STORE_UID, `co-${run}-bad`))).toBeNull();

    for (const [i, { orderId }] of orders.entries()) {
      const id = operationId('charge', STORE_UID, orderId);
      const mine = results.slice(i * 4, i * 4 + 4);
      expect(mine.map((r) => r.operation.id)).toEqual([id, id, id, id]);
      expect(mine.filter((r) => r.created)).toHaveLength(1);
      expect(mine.every((r) => r.operation.state === 'queued' && r.operation.cost === 100)).toBe(true);
    }
    const ids = new Set(orders.map((o) => operationId('charge', STORE_UID, o.orderId)));
    const jobs = await h.core.deviceQueue.getJobs(['waiting', 'delayed', 'active', 'prioritized']);
    const mineJobs = jobs.filter((j) => ids.has(j.id!));
    expect(mineJobs).toHaveLength(orders.length);
    expect(new Set(mineJobs.map((j) => j.id)).size).toBe(orders.length);

    for (const device of TERMINALS) {
      const view = await h.core.store.terminal(STORE_UID, device);
      const line = [view.in_flight, ...view.waiting_live].filter((x): x is string => x !== null && ids.has(x));
      const expected = orders.filter((o) => o.device === device).map((o) => operationId('charge', STORE_UID, o.orderId));
      expect([...line].sort()).toEqual([...expected].sort());
      // The holder's job was added runnable in one go (not parked, then promoted); the others wait
      // parked for the hand-off.
      for (const id of line) {
        const holds = id === view.in_flight;
        expect(await h.core.deviceQueue.getJobState(id)).toBe(holds ? 'waiting' : 'delayed');
        expect((await h.core.deviceQueue.getJob(id))!.opts.delay ?? 0).toBe(holds ? 0 : FAST_SETTINGS.parkMs);
      }
    }
  });

  it('a replay of a queued operation whose job was lost adds the job again, parked behind the holder', async () => {
    const run = Date.now();
    const first = await h.producer.enqueueCharge(charge(`re-${run}-1`, 100, 'A05'));
    const second = await h.producer.enqueueCharge(charge(`re-${run}-2`, 100, 'A05'));
    // As if the first run had died between the record and the job.
    await (await h.core.deviceQueue.getJob(second.operation.id))!.remove();
    await (await h.core.deviceQueue.getJob(first.operation.id))!.remove();

    const [againFirst, againSecond] = await Promise.all([
      h.producer.enqueueCharge(charge(`re-${run}-1`, 100, 'A05')),
      h.producer.enqueueCharge(charge(`re-${run}-2`, 100, 'A05')),
    ]);
    expect([againFirst.created, againSecond.created]).toEqual([false, false]);
    expect(againSecond.operation).toEqual(second.operation);
    expect(await h.core.deviceQueue.getJobState(first.operation.id)).toBe('waiting');
    expect(await h.core.deviceQueue.getJobState(second.operation.id)).toBe('delayed');
  });
});
