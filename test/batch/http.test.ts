/** POST/GET /v1/refund-batches through the router over real HTTP (an express app of the test's own). */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBatchTracker, type BatchTracker } from '../../src/batch/index.js';
import { createRefundBatchRouter } from '../../src/batch/http.js';
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
    expect(status.rows.map((r) => r.refund_id)).toEqual(['api-1.1', 'api-1.2', 'api-1.3']);
    const asCsv = await fetch(`${base}/api-1`, { headers: { ...AUTH, accept: 'text/csv' } });
    expect(asCsv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await asCsv.text()).split('\n')[0]).toBe('row,order_id,refund_id,state,prc,refund_uid,message');
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
});
