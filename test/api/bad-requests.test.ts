/**
 * A table of bad requests: each gets the right status and names the field at fault in an
 * application/problem+json body, and leaves Redis exactly as it was (nothing enqueued, no record,
 * no reservation). Workers are stopped after the setup, so any change would come from the request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemSchema } from '../../src/api/schemas.js';
import { startApi, charge, waitForPayment, API_KEY, STORE_UID, type ApiHarness } from './support.js';

let api: ApiHarness;

/** Every key under the test prefix with its full value: hashes, lists, sets, zsets, strings, streams. */
async function snapshot(): Promise<string> {
  const redis = api.h.core.redis;
  const keys = (await redis.keys(`{${api.h.core.tag}}*`)).sort();
  const out: string[] = [];
  for (const k of keys) {
    const type = await redis.type(k);
    let value: unknown;
    if (type === 'hash') value = await redis.hgetall(k);
    else if (type === 'list') value = await redis.lrange(k, 0, -1);
    else if (type === 'set') value = (await redis.smembers(k)).sort();
    else if (type === 'zset') value = await redis.zrange(k, 0, -1, 'WITHSCORES');
    else if (type === 'string') value = await redis.get(k);
    else if (type === 'stream') value = await redis.xlen(k);
    out.push(`${k} ${type} ${JSON.stringify(value)}`);
  }
  return out.join('\n');
}

beforeAll(async () => {
  api = await startApi();
  await api.call('POST', '/v1/charges', { body: charge('base-1', 1000) });
  await waitForPayment(api, 'base-1', ['paid']);
  await api.call('POST', '/v1/refunds', { body: { order_id: 'base-1', refund_id: 'base-1-r1', cost: 100 } });
  await waitForPayment(api, 'base-1', ['partially_refunded']);
  await Promise.all(api.h.workers.map((w) => w.close()));
  api.h.workers.length = 0;
});
afterAll(async () => {
  await api?.close();
});

const big = 'x'.repeat(5_000);
const good = charge('new-1', 100);
const form = 'application/x-www-form-urlencoded';

interface Row {
  name: string;
  method?: string;
  path?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  auth?: boolean;
  status: number;
  field: string;
}

const rows: Row[] = [
  // authentication
  { name: 'no Authorization header', body: good, auth: false, status: 401, field: 'Authorization' },
  { name: 'wrong API key', body: good, auth: false, headers: { authorization: 'Bearer not-a-key' }, status: 401, field: 'Authorization' },
  { name: 'Basic instead of Bearer', body: good, auth: false, headers: { authorization: `Basic ${Buffer.from(`u:${API_KEY}`).toString('base64')}` }, status: 401, field: 'Authorization' },
  { name: 'API key with a trailing extra character', body: good, auth: false, headers: { authorization: `Bearer ${API_KEY}x` }, status: 401, field: 'Authorization' },
  { name: 'no key on GET /v1/devices', method: 'GET', path: '/v1/devices', auth: false, status: 401, field: 'Authorization' },
  // body format
  { name: 'malformed JSON', raw: '{"device_name": "A01",', status: 400, field: '(body)' },
  { name: 'body over the size limit', body: { ...good, user_name: big }, status: 413, field: '(body)' },
  { name: 'text/plain body', raw: 'order_id=1', headers: { 'content-type': 'text/plain' }, status: 415, field: 'Content-Type' },
  { name: 'form body to the JSON API', raw: 'order_id=1', headers: { 'content-type': form }, status: 415, field: 'Content-Type' },
  { name: 'no body at all', status: 400, field: '(body)' },
  { name: 'JSON array instead of an object', body: [good], status: 400, field: '(root)' },
  { name: 'JSON string instead of an object', raw: '"charge"', status: 400, field: '(body)' },
  // charge fields
  { name: 'missing device_name', body: { ...good, device_name: undefined }, status: 400, field: 'device_name' },
  { name: 'empty device_name', body: { ...good, device_name: '' }, status: 400, field: 'device_name' },
  { name: 'missing order_id (and no Idempotency-Key)', body: { ...good, order_id: undefined }, status: 400, field: 'order_id' },
  { name: 'missing cost', body: { ...good, cost: undefined }, status: 400, field: 'cost' },
  { name: 'negative cost', body: { ...good, cost: -5 }, status: 400, field: 'cost' },
  { name: 'decimal cost', body: { ...good, cost: '10.5' }, status: 400, field: 'cost' },
  { name: 'cost of the wrong type', body: { ...good, cost: true }, status: 400, field: 'cost' },
  { name: 'missing pfn', body: { ...good, pfn: undefined }, status: 400, field: 'pfn' },
  { name: 'unknown pfn', body: { ...good, pfn: 'BITCOIN' }, status: 400, field: 'pfn' },
  { name: 'unknown field', body: { ...good, colour: 'blue' }, status: 400, field: 'colour' },
  { name: 'items not adding up to cost', body: { ...good, items: [{ id: 'A', name: 'tea', cost: 30, amount: 2, total: 60 }] }, status: 400, field: 'cost' },
  { name: 'item without a name', body: { ...good, items: [{ id: 'A', cost: 100, amount: 1, total: 100 }] }, status: 400, field: 'items.0.name' },
  { name: 'invalid e-mail', body: { ...good, user_email: 'not-mail' }, status: 400, field: 'user_email' },
  { name: 'invalid ip', body: { ...good, ip: '300.1.1.1' }, status: 400, field: 'ip' },
  { name: 'currency other than TWD', body: { ...good, currency: 'USD' }, status: 400, field: 'currency' },
  { name: 'actual_pay_mode without CASH', body: { ...good, actual_pay_mode: 1 }, status: 400, field: 'actual_pay_mode' },
  { name: 'store not configured here', body: { ...good, store_uid: '999999999999' }, status: 400, field: 'store_uid' },
  // idempotency
  { name: 'Idempotency-Key differing from order_id', body: good, headers: { 'Idempotency-Key': 'other-order' }, status: 400, field: 'Idempotency-Key' },
  { name: 'Idempotency-Key with spaces', body: good, headers: { 'Idempotency-Key': 'a b' }, status: 400, field: 'Idempotency-Key' },
  { name: 'same order_id, other amount', body: charge('base-1', 999), status: 409, field: 'order_id' },
  { name: 'same refund_id, other amount', path: '/v1/refunds', body: { order_id: 'base-1', refund_id: 'base-1-r1', cost: 50 }, status: 409, field: 'refund_id' },
  // refunds
  { name: 'refund without refund_id', path: '/v1/refunds', body: { order_id: 'base-1', cost: 10 }, status: 400, field: 'refund_id' },
  { name: 'refund without cost', path: '/v1/refunds', body: { order_id: 'base-1', refund_id: 'r-x' }, status: 400, field: 'cost' },
  { name: 'refund over the refundable balance', path: '/v1/refunds', body: { order_id: 'base-1', refund_id: 'r-big', cost: 901 }, status: 422, field: 'cost' },
  { name: 'refund of an order we do not know', path: '/v1/refunds', body: { order_id: 'nobody', refund_id: 'r-n', cost: 10 }, status: 400, field: 'order_id' },
  { name: 'refund lane not live/bulk', path: '/v1/refunds', body: { order_id: 'base-1', refund_id: 'r-l', cost: 10, lane: 'fast' }, status: 400, field: 'lane' },
  // reprints
  { name: 'invoice reprint with an unknown field', path: '/v1/reprints/invoice', body: { order_id: 'base-1', copies: 2 }, status: 400, field: 'copies' },
  { name: 'invoice reprint with an invalid type', path: '/v1/reprints/invoice', body: { order_id: 'base-1', type: 9 }, status: 400, field: 'type' },
  { name: 'signature reprint of an unknown order', path: '/v1/reprints/signature', body: { order_id: 'nobody' }, status: 400, field: 'order_id' },
  // queries
  { name: 'devices limit 0', method: 'GET', path: '/v1/devices?limit=0', status: 400, field: 'limit' },
  { name: 'devices unknown query parameter', method: 'GET', path: '/v1/devices?colour=blue', status: 400, field: 'colour' },
  { name: 'payment of an unknown order', method: 'GET', path: `/v1/payments/${STORE_UID}/nobody`, status: 404, field: 'order_id' },
  { name: 'payment of a store not configured', method: 'GET', path: '/v1/payments/999/base-1', status: 404, field: 'store_uid' },
  // callbacks
  { name: 'callback without order_id', path: '/v1/callbacks/mypay', raw: 'prc=250&uid=1', headers: { 'content-type': form }, auth: false, status: 400, field: 'order_id' },
  { name: 'callback as text/plain', path: '/v1/callbacks/mypay', raw: 'order_id=base-1', headers: { 'content-type': 'text/plain' }, auth: false, status: 415, field: 'Content-Type' },
  { name: 'callback for a store not configured', path: '/v1/callbacks/mypay?store_uid=999', raw: 'order_id=base-1', headers: { 'content-type': form }, auth: false, status: 400, field: 'store_uid' },
];

describe('bad requests', () => {
  it('the table has at least 30 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
  });

  it('the snapshot sees records, mailboxes and jobs (so an unchanged snapshot means something)', async () => {
    const snap = await snapshot();
    expect(snap).toContain(`:op:charge.${STORE_UID}.base-1 hash`);
    expect(snap).toContain(`:op:refund.${STORE_UID}.base-1-r1 hash`);
    expect(snap).toMatch(/:device:charge\.\S+ hash/);
  });

  it.each(rows)('$name → $status naming $field, nothing changed', async (row) => {
    const before = await snapshot();
    const r = await api.call(row.method ?? 'POST', row.path ?? '/v1/charges', { body: row.body, raw: row.raw, headers: row.headers, auth: row.auth });
    expect(r.status).toBe(row.status);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = problemSchema.parse(r.body);
    expect(problem.status).toBe(row.status);
    expect(problem.errors.map((e) => e.field)).toContain(row.field);
    if (row.status === 401) expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await snapshot()).toBe(before);
  });

  it('a refused request leaves no job in either queue', async () => {
    const counts = async () => [await api.h.core.deviceQueue.getJobCounts(), await api.h.core.statusQueue.getJobCounts()];
    const before = await counts();
    await api.call('POST', '/v1/charges', { body: { ...good, cost: -1 } });
    await api.call('POST', '/v1/refunds', { body: { order_id: 'base-1', refund_id: 'r-big2', cost: 5000 } });
    expect(await counts()).toEqual(before);
    expect(await api.h.core.store.get(`charge.${STORE_UID}.new-1`)).toBeNull();
  });
});
