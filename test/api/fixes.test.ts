/**
 * Fixes found on the way (over real HTTP, like endpoints.test.ts):
 * 1. every operation id the API returns works in `/v1/operations/{id}` (and its sub-routes) both as
 *    returned and URL-encoded once, and so does the Location header — never another store's record;
 * 2. a refund or reprint names every bad field in one 400, the charge look-up's included;
 * 3. a refund (or reprint) of a charge without a gateway uid says why: never paid (422) or not paid yet (409).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentViewSchema, problemSchema } from '../../src/api/schemas.js';
import { startApi, charge, waitForPayment, STORE_UID, type ApiHarness } from './support.js';

let api: ApiHarness;
beforeAll(async () => {
  // Terminals are busy 150 ms per charge, so a second charge on one terminal waits in line.
  api = await startApi({ sim: { serviceMs: 150, devices: 20 } });
});
afterAll(async () => {
  await api?.close();
});

const fields = (body: unknown) => problemSchema.parse(body).errors.map((e) => e.field).sort();
const messages = (body: unknown) => problemSchema.parse(body).errors.map((e) => `${e.field}: ${e.message}`).join('\n');

async function paidCharge(orderId: string, device: string): Promise<void> {
  expect((await api.call('POST', '/v1/charges', { body: charge(orderId, 500, device) })).status).toBe(202);
  await waitForPayment(api, orderId, ['paid']);
}

describe('1. operation ids with `.`, `/` and spaces', () => {
  let reprintId: string;
  let refundId: string;
  let location: string;

  beforeAll(async () => {
    await paidCharge('fx id/1', 'A01');
    const rp = await api.call('POST', '/v1/reprints/invoice', { body: { order_id: 'fx id/1', reprint_id: 'a.b c/d' } });
    expect(rp.status).toBe(202);
    reprintId = (rp.body as { id: string }).id;
    expect(reprintId).toBe(`reprint_invoice.${STORE_UID}.a%2Eb%20c%2Fd`);
    location = rp.headers.get('location')!;
    const rf = await api.call('POST', '/v1/refunds', { body: { order_id: 'fx id/1', refund_id: 'r.1 x/y', cost: 100 } });
    expect(rf.status).toBe(202);
    refundId = (rf.body as { id: string }).id;
    await api.h.waitForState(reprintId, ['printed']);
    await api.h.waitForState(refundId, ['refunded']);
  });

  it('GET /v1/operations/{id}: the id as returned (raw in the path), URL-encoded once, and the Location header', async () => {
    for (const path of [`/v1/operations/${reprintId}`, `/v1/operations/${encodeURIComponent(reprintId)}`, location]) {
      const r = await api.call('GET', path);
      expect(r.status, path).toBe(200);
      expect(r.body, path).toMatchObject({ id: reprintId, state: 'printed' });
    }
    // ?wait= too
    expect((await api.call('GET', `/v1/operations/${refundId}?wait=1`)).body).toMatchObject({ id: refundId, state: 'refunded' });
  });

  it('every id of the payment view works raw in the path', async () => {
    const p = paymentViewSchema.parse((await api.call('GET', `/v1/payments/${STORE_UID}/${encodeURIComponent('fx id/1')}`)).body);
    const ids = [p.id, ...p.refunds.map((x) => x.id), ...p.reprints.map((x) => x.id)];
    expect(ids).toEqual(expect.arrayContaining([reprintId, refundId]));
    for (const id of ids) expect((await api.call('GET', `/v1/operations/${id}`)).status, id).toBe(200);
  });

  it('recheck, retry and cancel find the operation both ways (answers of a found operation, never 404)', async () => {
    const forms = [[reprintId, reprintId], [encodeURIComponent(reprintId), reprintId], [refundId, refundId], [encodeURIComponent(refundId), refundId]] as const;
    for (const [id, expected] of forms) {
      const recheck = await api.call('POST', `/v1/operations/${id}/recheck`);
      expect(recheck.status, `recheck ${id}`).toBe(202);
      expect((recheck.body as { id: string }).id).toBe(expected);
      const retry = await api.call('POST', `/v1/operations/${id}/retry`);
      expect(retry.status, `retry ${id}`).toBe(409);
      expect(problemSchema.parse(retry.body).code).toBe('not_retryable');
      const cancel = await api.call('POST', `/v1/operations/${id}/cancel`);
      expect(cancel.status, `cancel ${id}`).toBe(409);
      expect(problemSchema.parse(cancel.body).code).toBe('not_cancellable');
    }
  });

  it('never reaches another store\'s record, raw or encoded; an unknown id is still 404', async () => {
    const other = await api.h.producer.enqueueCharge({ store_uid: '999', device_name: 'A02', order_id: 'o.1 x', cost: 10, pfn: 'CREDITCARD' });
    const otherId = other.operation.id;
    expect(otherId).toBe('charge.999.o%2E1%20x');
    for (const path of [otherId, encodeURIComponent(otherId), 'charge.999.o.1 x'.replace(/ /g, '%20'), `reprint_invoice.${STORE_UID}.nope%2Ex`]) {
      expect((await api.call('GET', `/v1/operations/${path}`)).status, path).toBe(404);
      for (const sub of ['recheck', 'retry', 'cancel']) expect((await api.call('POST', `/v1/operations/${path}/${sub}`)).status, `${sub} ${path}`).toBe(404);
    }
  });
});

describe('2. every bad field at once, before any look-up', () => {
  it('a refund with a negative cost of an unknown order: one 400 naming cost and order_id', async () => {
    const r = await api.call('POST', '/v1/refunds', { body: { order_id: 'fx-nobody', refund_id: 'fx-r-neg', cost: -5 } });
    expect(r.status).toBe(400);
    expect(fields(r.body)).toEqual(['cost', 'order_id']);
    expect(messages(r.body)).toMatch(/cost: must be a positive amount/);
  });

  it('a refund of a known order: negative cost, bad receipt_type and no refund_id, all in one 400', async () => {
    await paidCharge('fx-known', 'A03');
    const r = await api.call('POST', '/v1/refunds', { body: { order_id: 'fx-known', cost: -5, receipt_type: 9 } });
    expect(r.status).toBe(400);
    expect(fields(r.body)).toEqual(['cost', 'receipt_type', 'refund_id']);
  });

  it('an invoice reprint with a bad type and print_type of an unknown order names all three', async () => {
    const r = await api.call('POST', '/v1/reprints/invoice', { body: { order_id: 'fx-nobody', type: 9, print_type: 'x' } });
    expect(r.status).toBe(400);
    expect(fields(r.body)).toEqual(['order_id', 'print_type', 'type']);
  });

  it('a signature reprint with a bad receipt_type of an unknown order names both', async () => {
    const r = await api.call('POST', '/v1/reprints/signature', { body: { order_id: 'fx-nobody', receipt_type: 7 } });
    expect(r.status).toBe(400);
    expect(fields(r.body)).toEqual(['order_id', 'receipt_type']);
  });

  it('a charge for a store not configured with a bad cost names both', async () => {
    const r = await api.call('POST', '/v1/charges', { body: { ...charge('fx-store', -1), store_uid: '999' } });
    expect(r.status).toBe(400);
    expect(fields(r.body)).toEqual(['cost', 'store_uid']);
  });

  it('the library producer does the same (an unknown order, an empty refund_id, a decimal cost, a bad invoice_state)', async () => {
    const err = await api.h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: 'fx-nobody', refund_id: '', cost: '1.5', invoice_state: 5 }).catch((e: unknown) => e);
    expect((err as { issues: { field: string }[] }).issues.map((i) => i.field).sort()).toEqual(['cost', 'invoice_state', 'order_id', 'refund_id']);
  });

  it('nothing changed: no record was written for any of them', async () => {
    for (const id of [`refund.${STORE_UID}.fx-r-neg`, `charge.999.fx-store`, `charge.${STORE_UID}.fx-store`]) expect(await api.h.core.store.get(id)).toBeNull();
  });
});

describe('3. refunding a charge that has no gateway uid', () => {
  it('a rejected charge: 422 "was rejected: nothing to refund" naming order_id (a reprint: nothing to reprint)', async () => {
    const c = await api.call('POST', '/v1/charges', { body: charge('fx-rej', 100, 'NO-SUCH-TERMINAL') });
    expect(c.status).toBe(202);
    expect(await api.h.waitForState((c.body as { id: string }).id, ['rejected'])).toBe('rejected');

    const r = await api.call('POST', '/v1/refunds', { body: { order_id: 'fx-rej', refund_id: 'fx-rej-1', cost: 100 } });
    expect(r.status).toBe(422);
    const p = problemSchema.parse(r.body);
    expect(p).toMatchObject({ retryable: false, code: 'charge_not_paid' });
    expect(p.errors).toEqual([{ field: 'order_id', message: 'charge fx-rej was rejected: nothing to refund' }]);
    expect(JSON.stringify(p)).not.toMatch(/uid yet|not paid yet/);

    const rp = await api.call('POST', '/v1/reprints/signature', { body: { order_id: 'fx-rej' } });
    expect(rp.status).toBe(422);
    expect(messages(rp.body)).toBe('order_id: charge fx-rej was rejected: nothing to reprint');
  });

  it('a withdrawn charge: 422, nothing to refund', async () => {
    await api.call('POST', '/v1/charges', { body: charge('fx-hold-1', 100, 'A05') });
    const waiting = await api.call('POST', '/v1/charges', { body: charge('fx-wd', 100, 'A05') });
    expect((await api.call('POST', `/v1/operations/${(waiting.body as { id: string }).id}/cancel`)).status).toBe(200);
    const r = await api.call('POST', '/v1/refunds', { body: { order_id: 'fx-wd', refund_id: 'fx-wd-1', cost: 100 } });
    expect(r.status).toBe(422);
    expect(messages(r.body)).toBe('order_id: charge fx-wd was withdrawn: nothing to refund');
  });

  it('a charge still in flight: 409 "not paid yet", retryable; once paid the same refund goes through', async () => {
    await api.call('POST', '/v1/charges', { body: charge('fx-hold-2', 100, 'A06') });
    const waiting = await api.call('POST', '/v1/charges', { body: charge('fx-fly', 100, 'A06') });
    expect((waiting.body as { state: string }).state).toBe('queued');
    const r = await api.call('POST', '/v1/refunds', { body: { order_id: 'fx-fly', refund_id: 'fx-fly-1', cost: 100 } });
    expect(r.status).toBe(409);
    const p = problemSchema.parse(r.body);
    expect(p).toMatchObject({ retryable: true, code: 'charge_not_paid_yet' });
    expect(p.errors).toEqual([{ field: 'order_id', message: expect.stringMatching(/^charge fx-fly is (queued|sending|accepted|pending|unknown|retry_wait): not paid yet/) }]);

    await waitForPayment(api, 'fx-fly', ['paid']);
    expect((await api.call('POST', '/v1/refunds', { body: { order_id: 'fx-fly', refund_id: 'fx-fly-1', cost: 100 } })).status).toBe(202);
  });
});
