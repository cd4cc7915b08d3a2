/**
 * Bad files get a clear error per row (row, field, reason) and change nothing in Redis (issue #6).
 * No workers run here, so any write would show in the snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchConflictError, BatchRefusedError, derivedRefundId, runBatch, type RowIssue, type RunBatchInput } from '../../src/batch/index.js';
import { operationId } from '../../src/store/keys.js';
import { STORE_UID, startHarness, type Harness } from '../support/harness.js';
import { csv, snapshot } from './support/batch.js';
import { seedPaidCharges, type SeededCharge } from './support/seed.js';

let h: Harness;
let charges: SeededCharge[];
beforeAll(async () => {
  h = await startHarness();
  charges = await seedPaidCharges(h.core, h.sim, { count: 10, prefix: 'v', storeUid: STORE_UID });
  // BullMQ writes its queue meta on first use: let that happen before any snapshot.
  await Promise.all([h.core.deviceQueue.getJobCounts(), h.core.statusQueue.getJobCounts()]);
  await new Promise((r) => setTimeout(r, 200));
});
afterAll(async () => h?.close());

const HEADER = ['order_id', 'cost', 'refund_id'];

async function refused(input: RunBatchInput): Promise<RowIssue[]> {
  const before = await snapshot(h.core);
  const err = await runBatch({ core: h.core, producer: h.producer }, { storeUid: STORE_UID, ...input }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BatchRefusedError);
  expect(await snapshot(h.core)).toEqual(before);
  return (err as BatchRefusedError).issues;
}

describe('bad files are refused whole, with every problem named, and nothing is enqueued', () => {
  it('missing columns', async () => {
    const issues = await refused({ text: csv(['order_id', 'amount'], [['v-1', 10]]) });
    expect(issues).toContainEqual({ row: 0, field: 'cost', message: 'column missing' });
    expect(issues).toContainEqual(expect.objectContaining({ row: 0, field: 'amount', message: expect.stringMatching(/unknown column/) }));
    const noOrder = await refused({ text: csv(['cost'], [[10]]) });
    expect(noOrder).toContainEqual({ row: 0, field: 'order_id', message: 'column missing: give order_id, or uid and key' });
  });

  it('bad numbers', async () => {
    const issues = await refused({ text: csv(HEADER, [['v-1', '12.5'], ['v-2', 'abc'], ['v-3', -3], ['v-4', 0], ['v-5', 10]]) });
    expect(issues.map((i) => [i.row, i.field])).toEqual([[1, 'cost'], [2, 'cost'], [3, 'cost'], [4, 'cost']]);
    expect(issues[0]!.message).toMatch(/whole number/);
    expect(issues[3]!.message).toMatch(/at least 1/);
  });

  it('duplicate refund ids (explicit, or clashing with a derived one)', async () => {
    const derived = derivedRefundId({ store: STORE_UID, order: 'v-2', cost: '10' }, 1);
    const issues = await refused({ batchId: 'dup', text: csv(HEADER, [['v-1', 10, 'r-1'], ['v-2', 10], ['v-3', 10, 'r-1'], ['v-4', 10, derived]]) });
    expect(issues).toEqual([
      { row: 3, field: 'refund_id', message: 'r-1 duplicates row 1: each refund needs its own refund_id' },
      { row: 4, field: 'refund_id', message: `${derived} duplicates row 2: each refund needs its own refund_id` },
    ]);
  });

  it('over-refunds across rows of the same order, and against what our records already hold', async () => {
    // v-6 (cost 100) already has 70 reserved by a live refund in flight.
    await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: 'v-6', refund_id: 'live-6', cost: 70 });
    const before = await h.core.store.get(`charge.${STORE_UID}.${charges[5]!.order_id}`);
    expect(before?.reserved).toBe(70);
    const issues = await refused({ text: csv(HEADER, [['v-1', 60], ['v-2', 10], ['v-1', 30], ['v-1', 20], ['v-6', 31]]) });
    expect(issues).toEqual([
      { row: 4, field: 'cost', message: 'refunds of order v-1 in this file add up to 110 (rows 1, 3, 4), above its refundable balance 100' },
      { row: 5, field: 'cost', message: 'refunds of order v-6 in this file add up to 31 (row 5), above its refundable balance 30' },
    ]);
  });

  it('unknown orders, unpaid charges and bad items', async () => {
    await h.core.redis.hset(h.core.store.keys.op(`charge.${STORE_UID}.declined-1`), { id: `charge.${STORE_UID}.declined-1`, kind: 'charge', state: 'declined', cost: 100, order_id: 'declined-1' });
    const text = csv(['order_id', 'cost', 'items'], [
      ['nope-1', 10, undefined],
      ['declined-1', 10, undefined],
      ['v-2', 10, '[{"id":"A","name":"x"'],
      ['v-3', 10, '[{"id":"A","name":"x","cost":"5","amount":"1","total":"5"}]'],
    ]);
    const issues = await refused({ text });
    expect(issues.map((i) => `${i.row} ${i.field}`)).toEqual(['1 order_id', '2 order_id', '3 items', '4 cost']);
    expect(issues[0]!.message).toMatch(/^unknown order nope-1/);
    expect(issues[1]!.message).toMatch(/is declined; only paid charges can be refunded/);
    expect(issues[3]!.message).toBe('items total 5 does not equal cost 10');
  });

  it('ragged lines, unknown JSON keys and unreadable files', async () => {
    const ragged = await refused({ text: 'order_id,cost\nv-1,10,extra\n' });
    expect(ragged).toEqual([{ row: 1, field: '(row)', message: 'has 3 fields, the header has 2' }]);
    const json = await refused({ json: [{ order_id: 'v-1', cost: 10, amount: 3 }] });
    expect(json).toEqual([{ row: 1, field: 'amount', message: 'is not a column of a refund batch' }]);
    const bad = await refused({ text: '[{"order_id": ', format: 'json' });
    expect(bad[0]).toMatchObject({ row: 0, field: '(file)', message: expect.stringMatching(/not valid JSON/) });
  });

  it('a dry run validates and writes nothing, even for a good file', async () => {
    const before = await snapshot(h.core);
    const r = await runBatch({ core: h.core, producer: h.producer }, { storeUid: STORE_UID, dryRun: true, text: csv(HEADER, [['v-7', 10], ['v-8', 20]]) });
    expect(r).toMatchObject({ dryRun: true, rows: 2, valid: 2, enqueued: 0, issues: [] });
    expect(await snapshot(h.core)).toEqual(before);
  });

  it('--skip-invalid enqueues the valid rows and records why the others were skipped', async () => {
    const r = await runBatch({ core: h.core, producer: h.producer }, {
      storeUid: STORE_UID, skipInvalid: true, batchId: 'skip-1', text: csv(HEADER, [['v-9', 10], ['nope-2', 10], ['v-10', 'x']]),
    });
    expect(r).toMatchObject({ rows: 3, valid: 1, enqueued: 1, skipped: 2 });
    expect(r.issues.map((i) => i.row)).toEqual([2, 3]);
    expect((await h.core.store.get(operationId('refund', STORE_UID, derivedRefundId({ store: STORE_UID, order: 'v-9', cost: '10' }, 1))))?.state).toBe('queued');
  });

  it('the same batch id with another file is refused', async () => {
    const before = await snapshot(h.core);
    const err = await runBatch({ core: h.core, producer: h.producer }, { storeUid: STORE_UID, batchId: 'skip-1', text: csv(HEADER, [['v-9', 11]]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchConflictError);
    expect(await snapshot(h.core)).toEqual(before);
  });
});
