/**
 * Batch runs end to end in one process: real Redis, the simulator over HTTP, device/status workers
 * and the batch tracker. Refunds reach the gateway exactly once, the Bull Board parent completes
 * with its children, a rerun changes nothing, and live charges keep priority over batch refunds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { Job, Queue } from 'bullmq';
import { BATCH_QUEUES, childJobId, derivedRefundId, parentJobId, resultsCsv, runBatch, startBatchTracker, type BatchTracker } from '../../src/batch/index.js';
import { operationId } from '../../src/store/keys.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { csv, waitForBatch } from './support/batch.js';
import { seedPaidCharges, type SeededCharge } from './support/seed.js';

let h: Harness;
let tracker: BatchTracker;
beforeAll(async () => {
  h = await startHarness({ sim: { devices: 10, serviceMs: 5 } });
  h.startWorker(50);
  tracker = startBatchTracker(h.core, { reconcileMs: 500 });
});
afterAll(async () => {
  await tracker?.close();
  await h?.close();
});

describe('a batch run', () => {
  let charges: SeededCharge[];
  let text: string;

  it('refunds every row exactly once; the Bull Board parent completes with one child per row', async () => {
    charges = await seedPaidCharges(h.core, h.sim, { count: 30, prefix: 'ok', storeUid: STORE_UID });
    // Two rows per order (40 + 60 = the whole 100): the balance is checked across rows.
    const rows = charges.flatMap((c) => [[c.order_id, 40], [c.order_id, 60]]);
    text = csv(['order_id', 'cost'], rows);
    const r = await runBatch({ core: h.core, producer: h.producer }, { text, batchId: 'run-1', storeUid: STORE_UID });
    expect(r).toMatchObject({ rows: 60, valid: 60, enqueued: 60, existing: 0, skipped: 0, flow: 'created' });

    const status = await waitForBatch(h.core, 'run-1');
    expect(status.counts).toEqual({ refunded: 60 });
    const stats = h.sim.engine.ledger.refundsByUid();
    for (const c of charges) expect(stats[c.uid]).toEqual({ count: 2, amount: 100, balance: 0 });
    expect(h.sim.engine.stats.busyViolations).toBe(0);
    expect((await h.producer.getPayment(STORE_UID, charges[0]!.order_id))?.state).toBe('refunded');

    const queue = new Queue(BATCH_QUEUES.batches, { connection: h.core.redis, prefix: h.core.prefix });
    const parent = (await Job.fromId(queue, parentJobId('run-1')))!;
    expect(await parent.getState()).toBe('completed');
    expect(parent.returnvalue).toMatchObject({ rows: 60, final: 60, counts: { refunded: 60 } });
    const deps = await parent.getDependenciesCount();
    expect(deps.processed).toBe(60);
    await queue.close();

    const results = parse(resultsCsv(status.rows!), { columns: true }) as Record<string, string>[];
    expect(Object.keys(results[0]!)).toEqual(['row', 'order_id', 'refund_id', 'state', 'prc', 'refund_uid', 'message']);
    // No refund_id column: derived from store, order and amount (the 1st such row of the file).
    const first = derivedRefundId({ store: STORE_UID, order: charges[0]!.order_id, cost: '40' }, 1);
    expect(first).toMatch(/^ok-1\.40\.1\.[0-9a-f]{16}$/);
    expect(results[0]).toMatchObject({ row: '1', order_id: charges[0]!.order_id, refund_id: first, state: 'refunded', prc: '230' });
    expect(new Set(results.map((x) => x.refund_uid)).size).toBe(60);
  });

  it('running the same file again changes nothing and refunds nothing twice', async () => {
    const posts = h.sim.engine.stats.requests['api/posrefund'];
    const r = await runBatch({ core: h.core, producer: h.producer }, { text, batchId: 'run-1', storeUid: STORE_UID });
    expect(r).toMatchObject({ rows: 60, valid: 60, enqueued: 0, existing: 60, flow: 'exists' });
    expect((await waitForBatch(h.core, 'run-1')).counts).toEqual({ refunded: 60 });
    expect(h.sim.engine.stats.requests['api/posrefund']).toBe(posts);
    for (const c of charges) expect(h.sim.engine.ledger.refundsByUid()[c.uid]!.count).toBe(2);
  });

  it('live charges keep priority over batch refunds on the same terminal', async () => {
    h.sim.engine.stats.busyViolations = 0;
    const one = await seedPaidCharges(h.core, h.sim, { count: 12, prefix: 'prio', storeUid: STORE_UID, devices: ['A07'] });
    // Workers paused while both arrive, so the order is decided by the terminal's lines alone.
    const device = h.workers[0]!.device;
    await device.pause(true);
    await runBatch({ core: h.core, producer: h.producer }, { text: csv(['order_id', 'cost'], one.map((c) => [c.order_id, 100])), batchId: 'prio', storeUid: STORE_UID });
    const live = await h.producer.enqueueCharge(charge(`live-${Date.now()}`, 100, 'A07'));
    device.resume();
    await h.waitForState(live.operation.id, ['paid']);
    const status = await waitForBatch(h.core, 'prio');
    expect(status.counts).toEqual({ refunded: 12 });
    const chargeSent = (await h.core.store.get(live.operation.id))!.first_sent!;
    const refunds = await h.core.store.getMany(one.map((c) => operationId('refund', STORE_UID, derivedRefundId({ store: STORE_UID, order: c.order_id, cost: '100' }, 1))));
    const before = refunds.filter((op) => op!.first_sent! < chargeSent).length;
    // Only the refund that already held the terminal when the charge arrived went first.
    expect(before).toBe(1);
    expect(h.sim.engine.stats.busyViolations).toBe(0);
  });

  it('the tracker wakes a child whose refund finished while no tracker ran (reconcile)', async () => {
    await tracker.close();
    const more = await seedPaidCharges(h.core, h.sim, { count: 5, prefix: 'late', storeUid: STORE_UID });
    await runBatch({ core: h.core, producer: h.producer }, { text: csv(['order_id', 'cost'], more.map((c) => [c.order_id, 10])), batchId: 'late', storeUid: STORE_UID });
    await waitForBatch(h.core, 'late', 10_000, (s) => s.final === 5);
    const queue = new Queue(BATCH_QUEUES.rows, { connection: h.core.redis, prefix: h.core.prefix });
    expect(await (await Job.fromId(queue, childJobId('late', 1)))!.getState()).toBe('delayed');
    await queue.close();
    tracker = startBatchTracker(h.core, { reconcileMs: 500, events: false });
    expect((await waitForBatch(h.core, 'late')).parent).toBe('completed');
  });
});
