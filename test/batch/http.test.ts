/** POST/GET /v1/refund-batches through the router over real HTTP (an express app of the test's own). */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedRefundId, startBatchTracker, type BatchTracker } from '../../src/batch/index.js';
import { createRefundBatchRouter } from '../../src/api/routes/refund-batches.js';
import { STORE_UID, startHarness, type Harness } from '../support/harness.js';
import { csv, snapshot, waitForBatch } from './support/batch.js';
import { seedPaidCharges, type SeededCharge } from './support/seed.js';

let h: Harness;
let tracker: BatchTracker;
let server: Server;
let base: string;
let charges: SeededCharge[];
beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  tracker = startBatchTracker(h.core, { reconcileMs: 300 });
  charges = await seedPaidCharges(h.core, h.sim, { count: 6, prefix: 'api', storeUid: STORE_UID });
  const app = express();
  const auth: express.RequestHandler = (req, res, next) => (req.headers.authorization === 'Bearer k1' ? next() : void res.status(401).end());
  app.use(createRefundBatchRouter({ core: h.core, producer: h.producer, stores: [STORE_UID], auth }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/refund-batches`;
});
afterAll(async () => {
  if (server) await new Promise((r) => server.close(r));
  await tracker?.close();
  await h?.close();
});

const AUTH = { authorization: 'Bearer k1' };

describe('refund batch API', () => {
  it('needs the caller to be authenticated', async () => {
    expect((await fetch(`${base}/x`)).status).toBe(401);
  });

  it('POST a CSV → 202; GET → counts by state and per-row results, as JSON or CSV', async () => {
    const body = csv(['order_id', 'cost'], charges.slice(0, 3).map((c) => [c.order_id, 25]));
    const res = await fetch(`${base}?batch_id=api-1`, { method: 'POST', headers: { ...AUTH, 'content-type': 'text/csv' }, body });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe('/v1/refund-batches/api-1');
    expect(await res.json()).toMatchObject({ batch_id: 'api-1', rows: 3, enqueued: 3, skipped: 0, issues: [] });
    await waitForBatch(h.core, 'api-1');
    const status = (await (await fetch(`${base}/api-1`, { headers: AUTH })).json()) as { state: string; counts: unknown; rows: { state: string; refund_id: string }[] };
    expect(status).toMatchObject({ state: 'complete', counts: { refunded: 3 } });
    expect(status.rows.map((r) => r.refund_id)).toEqual(charges.slice(0, 3).map((c) => derivedRefundId({ store: STORE_UID, order: c.order_id, cost: '25' }, 1)));
    const asCsv = await fetch(`${base}/api-1`, { headers: { ...AUTH, accept: 'text/csv' } });
    expect(asCsv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await asCsv.text()).split('\n')[0]).toBe('row,order_id,refund_id,state,prc,refund_uid,message');

    // Its merchant event, once: written with the `complete` status by one script.
    const events = (await h.core.events.page(STORE_UID, { limit: 500, types: new Set(['refund_batch.completed']) })).events;
    expect(events).toHaveLength(1);
    expect(events[0]!.data.object).toMatchObject({ id: 'api-1', kind: 'refund_batch', store_uid: STORE_UID, status: 'complete', rows: 3, final: 3, counts: { refunded: 3 }, not_refunded_count: 0 });
    // A parent job run again (after a crash) completes nothing twice and writes no second event.
    const again = await h.core.events.completeOnce(`{${h.core.tag}}:batch:api-1`, { type: 'refund_batch.completed', store: STORE_UID, id: 'api-1', object: {}, now: Date.now() });
    expect(again).toBe(false);
    expect((await h.core.events.page(STORE_UID, { limit: 500, types: new Set(['refund_batch.completed']) })).events).toHaveLength(1);
  });

  it('POST JSON with a bad row → 422 naming row and field, nothing enqueued', async () => {
    const before = await snapshot(h.core);
    const res = await fetch(base, {
      method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ batch_id: 'api-2', rows: [{ order_id: charges[3]!.order_id, cost: 10 }, { order_id: 'nope', cost: 10 }] }),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    const problem = (await res.json()) as { code: string; errors: { row: number; field: string }[] };
    expect(problem.code).toBe('batch_invalid');
    expect(problem.errors).toEqual([expect.objectContaining({ row: 2, field: 'order_id' })]);
    expect(await snapshot(h.core)).toEqual(before);
  });

  it('dry run → 200 and nothing written; unknown batch → 404; batch id of another file → 409', async () => {
    const body = csv(['order_id', 'cost'], [[charges[4]!.order_id, 5]]);
    const dry = await fetch(`${base}?dry_run=1`, { method: 'POST', headers: { ...AUTH, 'content-type': 'text/csv' }, body });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ dry_run: true, valid: 1, enqueued: 0 });
    expect((await fetch(`${base}/nope`, { headers: AUTH })).status).toBe(404);
    const taken = await fetch(`${base}?batch_id=api-1`, { method: 'POST', headers: { ...AUTH, 'content-type': 'text/csv' }, body });
    expect(taken.status).toBe(409);
  });

  it('the rows of api-1 re-exported (CRLF) under a new batch id → 200, nothing enqueued, says so; partly seen → 202 counting them', async () => {
    const sent = h.sim.engine.stats.requests['api/posrefund'] ?? 0;
    const crlf = csv(['order_id', 'cost'], charges.slice(0, 3).map((c) => [c.order_id, 25])).replace(/\n/g, '\r\n');
    const post = (query: string, body: string) => fetch(`${base}${query}`, { method: 'POST', headers: { ...AUTH, 'content-type': 'text/csv' }, body });

    const dry = await post('?batch_id=api-3&dry_run=1', crlf);
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ dry_run: true, valid: 3, already_submitted: 3, all_seen: true, message: 'all 3 rows were already submitted in an earlier batch (batch api-1): nothing would be enqueued' });

    const res = await post('?batch_id=api-3', crlf);
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.json()).toMatchObject({
      batch_id: 'api-3', rows: 3, valid: 3, enqueued: 0, existing: 3, already_submitted: 3, all_seen: true, earlier_batches: ['api-1'],
      message: 'all 3 rows were already submitted in an earlier batch (batch api-1): nothing enqueued',
    });
    expect((await fetch(`${base}/api-3`, { headers: AUTH })).status).toBe(404);

    const partly = await fetch(base, {
      method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ batch_id: 'api-4', rows: [...charges.slice(0, 3), charges[5]!].map((c) => ({ cost: 25, order_id: c.order_id })) }),
    });
    expect(partly.status).toBe(202);
    expect(await partly.json()).toMatchObject({
      batch_id: 'api-4', rows: 4, enqueued: 1, already_submitted: 3, all_seen: false,
      message: '3 of 4 rows were already submitted in an earlier batch (batch api-1) and are not enqueued again',
    });
    expect((await waitForBatch(h.core, 'api-4')).counts).toEqual({ refunded: 4 });
    expect(h.sim.engine.stats.requests['api/posrefund']).toBe(sent + 1);
    const byUid = h.sim.engine.ledger.refundsByUid();
    for (const c of [...charges.slice(0, 3), charges[5]!]) expect(byUid[c.uid]?.count, c.order_id).toBe(1);
  });
});
