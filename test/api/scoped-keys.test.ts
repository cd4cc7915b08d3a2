/**
 * Scoped API keys over real HTTP: two configured stores (A, B); an every-store write key (API_KEYS),
 * a write key of A and a read key of A (API_KEYS_FILE, the read one given as its SHA-256), and a
 * wrong key. A TABLE of key × store × route → status, every cell asserted: another store's
 * operation, payment, events, terminals, attention, batch or deliveries are not found (404, never
 * 403: the answer is the one a store that is not configured gets, so store ids do not leak); an
 * enqueue for another store is refused as if the store were not configured; a read key on a write
 * route is 403 naming its role. The lists never hold another store's items.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApiKeysFile } from '../../src/config/api-keys.js';
import { batchKeys } from '../../src/batch/index.js';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { API_KEY, startApi, type ApiHarness } from './support.js';

const A = TEST_MERCHANT.storeUid;
const B = '289151880003';
const B_KEY = 'Bq8v2TXe7kLm4NpRs6UwYz0aCdEfGh1J';
const A_WRITE = 'a-write-key-0123456789abcdef';
const A_READ = 'a-read-key-0123456789abcdef00';
const WRONG = 'not-a-key-0123456789abcdef000';

type Who = 'all' | 'aWrite' | 'aRead' | 'wrong';
const WHO: Who[] = ['all', 'aWrite', 'aRead', 'wrong'];
const BEARER: Record<Who, string> = { all: API_KEY, aWrite: A_WRITE, aRead: A_READ, wrong: WRONG };

let api: ApiHarness;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scoped-'));
  const file = join(dir, 'api-keys.json');
  writeFileSync(file, JSON.stringify({
    keys: [
      { name: 'pos-a', key: A_WRITE, stores: [A], role: 'write' },
      { name: 'report-a', key_sha256: createHash('sha256').update(A_READ).digest('hex'), stores: [A], role: 'read' },
    ],
  }));
  api = await startApi({
    sim: { serviceMs: 0, stores: [{ store_uid: A, key: TEST_MERCHANT.key }, { store_uid: B, key: B_KEY }] },
    api: { stores: [A, B], apiKeys: [API_KEY], scopedKeys: loadApiKeysFile(file, [A, B]) },
  });
  api.h.ctx.merchantKey = (s) => (s === A ? TEST_MERCHANT.key : s === B ? B_KEY : undefined);
  await seed();
}, 60_000);
afterAll(async () => {
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function as(who: Who, method: string, path: string, body?: unknown) {
  return api.call(method, path, { body, headers: { authorization: `Bearer ${BEARER[who]}` } });
}

const opOf = (store: string, order: string) => `charge.${store}.${order}`;

async function waitState(store: string, order: string, states: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  let state: string | undefined;
  while (Date.now() < deadline) {
    state = ((await as('all', 'GET', `/v1/payments/${store}/${order}`)).body as { state?: string }).state;
    if (state && states.includes(state)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${store}/${order} is ${state}, wanted ${states.join('|')}`);
}

/** Paid and needs_review charges in both stores, a batch of each store and one of both. */
async function seed(): Promise<void> {
  for (const store of [A, B]) {
    for (const [order, cost, device] of [[`paid-${store}`, 100, 'A01'], [`review-${store}`, 155, 'A02']] as const) {
      const r = await as('all', 'POST', '/v1/charges', { store_uid: store, device_name: device, order_id: order, cost, pfn: 'CREDITCARD' });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
    }
  }
  for (const store of [A, B]) {
    await waitState(store, `paid-${store}`, ['paid']);
    await waitState(store, `review-${store}`, ['needs_review']);
  }
  for (const [id, body] of [
    ['batch-a', { store_uid: A, rows: [{ order_id: `paid-${A}`, cost: 10, refund_id: 'ra-1' }] }],
    ['batch-b', { store_uid: B, rows: [{ order_id: `paid-${B}`, cost: 10, refund_id: 'rb-1' }] }],
    ['batch-ab', { rows: [{ store_uid: A, order_id: `paid-${A}`, cost: 10, refund_id: 'ra-2' }, { store_uid: B, order_id: `paid-${B}`, cost: 10, refund_id: 'rb-2' }] }],
  ] as const) {
    const r = await as('all', 'POST', `/v1/refund-batches?batch_id=${id}`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
  }
}

let orders = 0;
const newCharge = (store?: string) => ({ ...(store ? { store_uid: store } : {}), device_name: 'A03', order_id: `t-${++orders}`, cost: 100, pfn: 'CREDITCARD' });

interface Row {
  route: string;
  method: 'GET' | 'POST';
  path: string;
  body?: () => unknown;
  /** Expected status for: every-store write key, A write key, A read key, wrong key. */
  expect: [all: number, aWrite: number, aRead: number, wrong: number];
}

const TABLE: Row[] = [
  { route: 'POST charge, store A', method: 'POST', path: '/v1/charges', body: () => newCharge(A), expect: [202, 202, 403, 401] },
  { route: 'POST charge, store B', method: 'POST', path: '/v1/charges', body: () => newCharge(B), expect: [202, 400, 403, 401] },
  { route: 'POST charge, store not given (the key has one)', method: 'POST', path: '/v1/charges', body: () => newCharge(), expect: [400, 202, 403, 401] },
  { route: 'GET operation of A', method: 'GET', path: `/v1/operations/${opOf(A, `paid-${A}`)}`, expect: [200, 200, 200, 401] },
  { route: 'GET operation of B', method: 'GET', path: `/v1/operations/${opOf(B, `paid-${B}`)}`, expect: [200, 404, 404, 401] },
  { route: 'GET payment of A', method: 'GET', path: `/v1/payments/${A}/paid-${A}`, expect: [200, 200, 200, 401] },
  { route: 'GET payment of B', method: 'GET', path: `/v1/payments/${B}/paid-${B}`, expect: [200, 404, 404, 401] },
  { route: 'GET search, store A', method: 'GET', path: `/v1/payments?store_uid=${A}`, expect: [200, 200, 200, 401] },
  { route: 'GET search, store B', method: 'GET', path: `/v1/payments?store_uid=${B}`, expect: [200, 404, 404, 401] },
  { route: 'GET search, store not given', method: 'GET', path: '/v1/operations', expect: [400, 200, 200, 401] },
  { route: 'GET events', method: 'GET', path: '/v1/events', expect: [200, 200, 200, 401] },
  { route: 'GET events of B', method: 'GET', path: `/v1/events?store_uid=${B}`, expect: [200, 404, 404, 401] },
  { route: 'GET devices', method: 'GET', path: '/v1/devices', expect: [200, 200, 200, 401] },
  { route: 'GET devices of B', method: 'GET', path: `/v1/devices?store_uid=${B}`, expect: [200, 400, 400, 401] },
  { route: 'POST cancel, op of A (paid: sent already)', method: 'POST', path: `/v1/operations/${opOf(A, `paid-${A}`)}/cancel`, expect: [409, 409, 403, 401] },
  { route: 'POST cancel, op of B', method: 'POST', path: `/v1/operations/${opOf(B, `paid-${B}`)}/cancel`, expect: [409, 404, 403, 401] },
  { route: 'POST recheck, op of A', method: 'POST', path: `/v1/operations/${opOf(A, `review-${A}`)}/recheck`, expect: [202, 202, 403, 401] },
  { route: 'POST recheck, op of B', method: 'POST', path: `/v1/operations/${opOf(B, `review-${B}`)}/recheck`, expect: [202, 404, 403, 401] },
  { route: 'POST retry, op of B', method: 'POST', path: `/v1/operations/${opOf(B, `paid-${B}`)}/retry`, expect: [409, 404, 403, 401] },
  { route: 'POST refund, charge of B', method: 'POST', path: '/v1/refunds', body: () => ({ store_uid: B, order_id: `paid-${B}`, cost: 1, refund_id: `t-r-${++orders}` }), expect: [202, 400, 403, 401] },
  { route: 'GET attention', method: 'GET', path: '/v1/attention', expect: [200, 200, 200, 401] },
  { route: 'GET attention of B', method: 'GET', path: `/v1/attention?store_uid=${B}`, expect: [200, 404, 404, 401] },
  { route: 'GET refund batch of A', method: 'GET', path: '/v1/refund-batches/batch-a', expect: [200, 200, 200, 401] },
  { route: 'GET refund batch of B', method: 'GET', path: '/v1/refund-batches/batch-b', expect: [200, 404, 404, 401] },
  { route: 'GET refund batch of A and B', method: 'GET', path: '/v1/refund-batches/batch-ab', expect: [200, 200, 200, 401] },
  { route: 'POST refund batch (dry run), rows of B', method: 'POST', path: '/v1/refund-batches?dry_run=1', body: () => ({ store_uid: B, rows: [{ order_id: `paid-${B}`, cost: 1, refund_id: `t-rb-${++orders}` }] }), expect: [200, 422, 403, 401] },
  { route: 'GET webhook deliveries of B', method: 'GET', path: `/v1/webhooks/deliveries?store_uid=${B}`, expect: [200, 404, 404, 401] },
  { route: 'POST webhook replay, store B', method: 'POST', path: '/v1/webhooks/deliveries/replay', body: () => ({ store_uid: B }), expect: [202, 404, 403, 401] },
  { route: 'GET payment of a store not configured', method: 'GET', path: '/v1/payments/999/x', expect: [404, 404, 404, 401] },
];

describe('scoped API keys: key × store × route', () => {
  it(`answers every cell of the table (${TABLE.length} routes × ${WHO.length} keys)`, async () => {
    const wrong: string[] = [];
    for (const row of TABLE) {
      for (const [i, who] of WHO.entries()) {
        const r = await as(who, row.method, row.path, row.body?.());
        if (r.status !== row.expect[i]) wrong.push(`${row.route} [${who}]: ${r.status}, wanted ${row.expect[i]} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('answers another store exactly as a store that is not configured (nothing tells B exists), and names the role on a 403', async () => {
    const b = await as('aWrite', 'POST', '/v1/charges', { ...newCharge(B), order_id: 'same' });
    const none = await as('aWrite', 'POST', '/v1/charges', { ...newCharge('999'), order_id: 'same' });
    expect(b.status).toBe(400);
    expect(b.body).toEqual(none.body);
    expect(JSON.stringify(b.body)).not.toContain(B);
    const opB = await as('aRead', 'GET', `/v1/operations/${opOf(B, `paid-${B}`)}`);
    const opNone = await as('aRead', 'GET', `/v1/operations/${opOf(A, 'no-such-order')}`);
    expect(opB.body).toEqual(opNone.body);
    const payB = await as('aRead', 'GET', `/v1/payments/${B}/paid-${B}`);
    const payNone = await as('aRead', 'GET', '/v1/payments/999/x');
    expect(payB.body).toEqual(payNone.body);
    const read = await as('aRead', 'POST', `/v1/operations/${opOf(A, `paid-${A}`)}/recheck`);
    expect(read).toMatchObject({ status: 403, body: { code: 'forbidden', errors: [{ field: 'Authorization', message: expect.stringContaining('the role read') }] } });
    expect(JSON.stringify(read.body)).toContain('report-a');
  });

  it('lists only the stores of the key: search, events, terminals, attention, a batch of both stores', async () => {
    const stores = (items: { store_uid?: string }[]) => [...new Set(items.map((i) => i.store_uid))].sort();
    for (const who of ['aWrite', 'aRead'] as const) {
      const search = (await as(who, 'GET', '/v1/operations?limit=100')).body as { data: { id: string; store_uid: string }[] };
      expect(search.data.length).toBeGreaterThan(0);
      expect(stores(search.data)).toEqual([A]);
      const events = (await as(who, 'GET', '/v1/events?limit=500')).body as { data: { store_uid: string }[] };
      expect(events.data.length).toBeGreaterThan(0);
      expect(stores(events.data)).toEqual([A]);
      const devices = (await as(who, 'GET', '/v1/devices')).body as { devices: { store_uid: string }[] };
      expect(stores(devices.devices)).toEqual([A]);
      const attention = (await as(who, 'GET', '/v1/attention')).body as { items: { store_uid?: string; operation?: { id: string } }[]; counts: Record<string, number> };
      expect(stores(attention.items)).toEqual([A]);
      expect(attention.items.map((i) => i.operation?.id)).toContain(opOf(A, `review-${A}`));
      expect(attention.counts.amount_mismatch).toBe(1);
      const batch = (await as(who, 'GET', '/v1/refund-batches/batch-ab')).body as { rows_total: number; rows: { order_id: string; refund_id: string }[] };
      expect(batch.rows_total).toBe(1);
      expect(batch.rows.map((r) => r.order_id)).toEqual([`paid-${A}`]);
      const csv = await api.call('GET', '/v1/refund-batches/batch-ab?format=csv', { headers: { authorization: `Bearer ${BEARER[who]}` } });
      expect(String(csv.body)).not.toContain(`paid-${B}`);
    }
    // The every-store key sees both.
    const all = (await as('all', 'GET', `/v1/events?limit=500`)).body as { data: { store_uid: string }[] };
    expect(stores(all.data)).toEqual([A, B]);
    const attention = (await as('all', 'GET', '/v1/attention')).body as { counts: Record<string, number> };
    expect(attention.counts.amount_mismatch).toBe(2);
    expect(((await as('all', 'GET', '/v1/refund-batches/batch-ab')).body as { rows_total: number }).rows_total).toBe(2);
  });

  it('a batch planned before batches kept their stores: found from its rows (then kept), shown alike', async () => {
    const meta = batchKeys(api.h.core.tag).meta('batch-ab');
    await api.h.core.redis.hdel(meta, 'stores');
    const batch = (await as('aRead', 'GET', '/v1/refund-batches/batch-ab')).body as { rows: { order_id: string }[] };
    expect(batch.rows.map((r) => r.order_id)).toEqual([`paid-${A}`]);
    expect(await api.h.core.redis.hget(meta, 'stores')).toBe(`${A},${B}`);
    expect((await as('aRead', 'GET', '/v1/refund-batches/batch-b')).status).toBe(404);
  });

  it('a write key of A enqueues for A without naming it, and reruns of another store\'s batch are refused as a taken id', async () => {
    const r = await as('aWrite', 'POST', '/v1/charges', newCharge());
    expect(r).toMatchObject({ status: 202, body: { store_uid: A } });
    // batch-b concerns B only: the same id from A's key is taken (409), its contents untouched.
    const rerun = await as('aWrite', 'POST', '/v1/refund-batches?batch_id=batch-b', { store_uid: A, rows: [{ order_id: `paid-${A}`, cost: 10, refund_id: 'rb-1' }] });
    expect(rerun.status).toBe(409);
    expect(((await as('all', 'GET', '/v1/refund-batches/batch-b')).body as { rows: { order_id: string }[] }).rows.map((x) => x.order_id)).toEqual([`paid-${B}`]);
  });
});
