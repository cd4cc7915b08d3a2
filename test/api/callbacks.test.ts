/**
 * `POST /v1/callbacks/mypay` is open to the gateway (no API key), so it is guarded: a store's
 * `callback_secret` must come with its callbacks (`?secret=` or `X-Mypay-Callback-Secret`; without
 * it: 401 and nothing queried), callbacks for one order ask the gateway at most once per
 * CALLBACK_COALESCE_MS (counted in the simulator's journal: querydirect requests), and each client
 * address is held to a rate (429 with Retry-After).
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackGuard, tokenBuckets } from '../../src/api/callback-guard.js';
import { createApiApp } from '../../src/api/app.js';
import { callbackSecretsOf, ConfigError, loadEnv, loadStores, TEST_MERCHANT } from '../../src/config/config.js';
import { listen, type Listening } from '../../src/launch/listen.js';
import { control } from '../simulator/helpers.js';
import { ADMIN, API_KEY, STORE_UID, charge, startApi, waitForPayment, type ApiHarness } from './support.js';

const SECRET = 'cb-secret-0123456789abcdef';
const COALESCE_MS = 10_000;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({
    sim: { serviceMs: 0 },
    // A charge that stays pending is unresolved after 0.6 s: then only a callback (or a recheck) asks the gateway again.
    settings: { poll: { maxAgeMs: 600 } },
    api: { callbacks: { secrets: { [STORE_UID]: SECRET }, coalesceMs: COALESCE_MS, ratePerSecond: 1_000, burst: 1_000 } },
  });
});
afterAll(async () => {
  await api?.close();
});

/** querydirect requests the gateway received for `order`. */
async function queries(order: string): Promise<number> {
  const journal = await control<{ cmd: string; request: { order_id?: string } }[]>(api.h.sim, 'GET', '/_sim/journal');
  return journal.filter((e) => e.cmd === 'api/querydirect' && e.request?.order_id === order).length;
}

/** A charge the gateway keeps pending, left `unresolved`: nothing queries it unless asked. */
async function unresolved(order: string): Promise<void> {
  await api.h.sim.script(order, 'stays_pending');
  expect((await api.call('POST', '/v1/charges', { body: charge(order, 100, 'A04') })).status).toBe(202);
  await waitForPayment(api, order, ['unresolved']);
  // Settled: no follow-up left that could query it.
  const n = await queries(order);
  await new Promise((r) => setTimeout(r, 150));
  expect(await queries(order)).toBe(n);
}

async function callback(order: string, opts: { query?: string; headers?: Record<string, string>; url?: string } = {}) {
  const res = await fetch(`${opts.url ?? api.url}/v1/callbacks/mypay${opts.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...opts.headers },
    body: new URLSearchParams({ order_id: order, prc: '250', uid: '1', cost: '100' }).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('callback secret', () => {
  it('refuses a callback without the store\'s secret, or with a wrong one (401), and queries nothing', async () => {
    await unresolved('cb-sec-1');
    const before = await queries('cb-sec-1');
    for (const opts of [
      { query: `?store_uid=${STORE_UID}` },
      { query: '' },
      { query: `?store_uid=${STORE_UID}&secret=wrong-secret-0123456789` },
      { query: `?store_uid=${STORE_UID}&secret=${SECRET.slice(0, -1)}` },
      { query: `?store_uid=${STORE_UID}`, headers: { 'X-Mypay-Callback-Secret': 'wrong-secret-0123456789' } },
    ]) {
      const r = await callback('cb-sec-1', opts);
      expect(r.status, JSON.stringify(opts)).toBe(401);
      expect(r.body).toMatchObject({ code: 'unauthorized', errors: [{ field: 'X-Mypay-Callback-Secret' }] });
      expect(JSON.stringify(r.body)).not.toContain(SECRET);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await queries('cb-sec-1')).toBe(before);
    expect((await api.call('GET', `/v1/payments/${STORE_UID}/cb-sec-1`)).body).toMatchObject({ state: 'unresolved' });
  });

  it('accepts the secret as ?secret= in the callback URL and as the X-Mypay-Callback-Secret header: the order is queried', async () => {
    await unresolved('cb-sec-2');
    await unresolved('cb-sec-3');
    const [q2, q3] = [await queries('cb-sec-2'), await queries('cb-sec-3')];
    expect(await callback('cb-sec-2', { query: `?store_uid=${STORE_UID}&secret=${SECRET}` })).toMatchObject({ status: 200, body: { result: 'queried', store_uid: STORE_UID, order_id: 'cb-sec-2' } });
    // The header, without naming the store: every store whose secret it brings is tried.
    expect(await callback('cb-sec-3', { headers: { 'X-Mypay-Callback-Secret': SECRET } })).toMatchObject({ status: 200, body: { result: 'queried', store_uid: STORE_UID } });
    await expect.poll(() => queries('cb-sec-2'), { timeout: 5_000 }).toBe(q2 + 1);
    await expect.poll(() => queries('cb-sec-3'), { timeout: 5_000 }).toBe(q3 + 1);
  });

  it('callback_secret per store in the stores file, MYPAY_CALLBACK_SECRET for the single merchant; a weak one refuses the start', () => {
    const single = loadStores(loadEnv({ MYPAY_STORE_UID: STORE_UID, MYPAY_STORE_KEY: TEST_MERCHANT.key, MYPAY_CALLBACK_SECRET: SECRET }));
    expect(callbackSecretsOf(single)).toEqual({ [STORE_UID]: SECRET });
    let err: unknown;
    try {
      loadStores(loadEnv({ MYPAY_STORE_UID: STORE_UID, MYPAY_STORE_KEY: TEST_MERCHANT.key, MYPAY_CALLBACK_SECRET: 'short' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).lines).toEqual([expect.stringMatching(/^MYPAY_CALLBACK_SECRET: must be 16 to 128 characters/)]);
    expect((err as ConfigError).message).not.toContain('short');
  });
});

describe('coalescing', () => {
  it('a burst of 50 callbacks for one order → exactly one gateway query; the others are coalesced', async () => {
    await unresolved('cb-burst');
    const before = await queries('cb-burst');
    const results: unknown[] = [];
    // One after another, spread over about a second: each would otherwise find the last query done and ask again.
    for (let i = 0; i < 50; i++) {
      const r = await callback('cb-burst', { query: `?store_uid=${STORE_UID}&secret=${SECRET}` });
      expect(r.status).toBe(200);
      results.push(r.body.result);
      await new Promise((res) => setTimeout(res, 15));
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await queries('cb-burst')).toBe(before + 1);
    expect(results[0]).toBe('queried');
    expect(results.slice(1).every((x) => x === 'coalesced')).toBe(true);
    // The window is a key with a TTL in Redis.
    const ttl = await api.h.core.redis.pttl(api.h.core.store.keys.callbackHint(STORE_UID, 'cb-burst'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(COALESCE_MS);
  });
});

describe('rate limit per client address', () => {
  let limited: Listening;
  beforeAll(async () => {
    // The same system behind an API with a small bucket: 2 per second, bursts of 3.
    limited = await listen(createApiApp({
      core: api.h.core, producer: api.h.producer, stores: [STORE_UID], apiKeys: [API_KEY], admin: ADMIN, logger: pino({ level: 'silent' }),
      callbacks: { ratePerSecond: 2, burst: 3 },
    }), 0, '127.0.0.1');
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('answers 429 with Retry-After past the burst, and takes callbacks again once the bucket refills', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof callback>> | undefined;
    for (let i = 0; i < 6; i++) {
      last = await callback('nobody', { url: limited.url });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    expect(last!.headers.get('retry-after')).toBe('1');
    expect(last!.body).toMatchObject({ status: 429, code: 'rate_limited', retryable: true });
    await new Promise((r) => setTimeout(r, 600));
    expect((await callback('nobody', { url: limited.url })).status).toBe(200);
  });

  it('token buckets: a burst, then the rate; clients apart; the least recently seen forgotten past the bound', () => {
    let now = 0;
    const b = tokenBuckets(2, 3, () => now, 2);
    expect([1, 2, 3, 4].map(() => b.take('a').ok)).toEqual([true, true, true, false]);
    expect(b.take('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(b.take('b').ok).toBe(true);
    now += 500;
    expect(b.take('a').ok).toBe(true);
    expect(b.take('a').ok).toBe(false);
    b.take('c');
    expect(b.size).toBe(2);
    expect(callbackGuard().coalesceMs).toBe(3_000);
  });
});
