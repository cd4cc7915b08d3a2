/**
 * POST /v1/operations/{id}/cancel over real HTTP: an operation still waiting in its terminal's line
 * becomes `withdrawn` (final, its place freed, a refund's reservation released, its event written);
 * one already sent is a 409 with its state and no gateway call; cancel racing the worker's claim:
 * exactly one wins, and nothing is POSTed after a 200.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, charge, waitForPayment, STORE_UID, type ApiHarness } from './support.js';
import { control } from '../simulator/helpers.js';

let api: ApiHarness;
beforeAll(async () => {
  // A terminal is busy 400 ms per charge: whatever is behind the first one waits in line.
  api = await startApi({ sim: { serviceMs: 400, devices: 60 } });
});
afterAll(async () => {
  await api?.close();
});

const id = (body: unknown) => (body as { id: string }).id;
const path = (opId: string) => `/v1/operations/${encodeURIComponent(opId)}`;
/** Requests the simulated gateway received (its journal, over its control API). */
const gatewayCalls = async () => (await control<unknown[]>(api.h.sim, 'GET', '/_sim/journal')).length;

describe('POST /v1/operations/{id}/cancel', () => {
  it('withdraws a charge waiting in line: 200 withdrawn, never sent, the line moves on, its event is in the feed; again → 409', async () => {
    const first = await api.call('POST', '/v1/charges', { body: charge('cx-first', 100, 'A01') });
    const waiting = await api.call('POST', '/v1/charges', { body: charge('cx-wait', 100, 'A01') });
    const behind = await api.call('POST', '/v1/charges', { body: charge('cx-behind', 100, 'A01') });
    expect([first.status, waiting.status, behind.status]).toEqual([202, 202, 202]);

    const r = await api.call('POST', `${path(id(waiting.body))}/cancel`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: id(waiting.body), state: 'withdrawn', posts: 0 });

    await waitForPayment(api, 'cx-first', ['paid']);
    await waitForPayment(api, 'cx-behind', ['paid']);
    expect(api.h.sim.engine.stats.chargePosts['cx-wait'] ?? 0).toBe(0);
    expect((await api.call('GET', path(id(waiting.body)))).body).toMatchObject({ state: 'withdrawn', posts: 0 });

    const feed = (await api.call('GET', '/v1/events?type=charge.withdrawn&limit=500')).body as { data: { data: { object: { id: string } } }[] };
    expect(feed.data.map((e) => e.data.object.id)).toEqual([id(waiting.body)]);

    const again = await api.call('POST', `${path(id(waiting.body))}/cancel`);
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body)).toMatch(/state withdrawn/);
  });

  it('a refund waiting in line: withdrawn and its reservation released (the full balance can be refunded again)', async () => {
    await api.call('POST', '/v1/charges', { body: charge('cx-r', 300, 'A02') });
    await waitForPayment(api, 'cx-r', ['paid']);
    // Hold the terminal with a charge, then queue a refund of the whole amount behind it.
    await api.call('POST', '/v1/charges', { body: charge('cx-hold', 100, 'A02') });
    const refund = await api.call('POST', '/v1/refunds', { body: { order_id: 'cx-r', cost: 300, refund_id: 'cx-r-1' } });
    expect(refund.status).toBe(202);
    // The reservation refuses a second refund over the balance while the first waits.
    expect((await api.call('POST', '/v1/refunds', { body: { order_id: 'cx-r', cost: 300, refund_id: 'cx-r-2' } })).status).toBe(422);
    const r = await api.call('POST', `${path(id(refund.body))}/cancel`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'withdrawn' });
    const retry = await api.call('POST', '/v1/refunds', { body: { order_id: 'cx-r', cost: 300, refund_id: 'cx-r-3' } });
    expect(retry.status).toBe(202);
    const done = await api.call('GET', `${path(id(retry.body))}?wait=10`);
    expect(done.body).toMatchObject({ state: 'refunded' });
    expect(await waitForPayment(api, 'cx-r', ['refunded'])).toMatchObject({ refunded_amount: 300, reserved_amount: 0 });
  });

  it('an operation already sent → 409 naming its state, and no gateway call; unknown id → 404', async () => {
    const c = await api.call('POST', '/v1/charges', { body: charge('cx-sent', 100, 'A03') });
    await waitForPayment(api, 'cx-sent', ['paid']);
    const calls = await gatewayCalls();
    expect(calls).toBeGreaterThan(0);
    const r = await api.call('POST', `${path(id(c.body))}/cancel`);
    expect(r.status).toBe(409);
    expect(JSON.stringify(r.body)).toMatch(/final already \(state paid\)/);
    expect(await gatewayCalls()).toBe(calls);
    expect((await api.call('POST', '/v1/operations/charge.nope.nope/cancel')).status).toBe(404);
  });

  it('cancel races the claim on idle terminals: exactly one wins each time; never a POST after a 200', async () => {
    const results: { order: string; status: number }[] = [];
    await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const order = `cx-race-${i}`;
      const c = await api.call('POST', '/v1/charges', { body: charge(order, 100, `A${String(10 + i).padStart(2, '0')}`) });
      // Spread the cancels around the moment the worker claims.
      await new Promise((r) => setTimeout(r, i % 8));
      const r = await api.call('POST', `${path(id(c.body))}/cancel`);
      results.push({ order, status: r.status });
    }));
    for (const { order, status } of results) {
      expect([200, 409]).toContain(status);
      if (status === 200) {
        expect((await api.call('GET', `/v1/payments/${STORE_UID}/${order}`)).body).toMatchObject({ state: 'withdrawn', posts: 0 });
      } else {
        expect((await waitForPayment(api, order, ['paid'])).posts).toBe(1);
      }
    }
    // Long enough for any stray job to have POSTed: none did for a withdrawn charge.
    await new Promise((r) => setTimeout(r, 600));
    for (const { order, status } of results) expect(api.h.sim.engine.stats.chargePosts[order] ?? 0).toBe(status === 200 ? 0 : 1);
    expect(results.length).toBe(40);
  });
});

describe('withdrawal of a retried operation', () => {
  it('the finish script itself refuses to withdraw an operation with an unknown POST (not only the caller’s earlier read)', async () => {
    const { core } = api.h;
    await api.call('POST', '/v1/charges', { body: charge('cx-u-0', 100, 'A05') });
    const { operation } = await api.h.producer.enqueueCharge({ store_uid: STORE_UID, device_name: 'A05', order_id: 'cx-u-1', cost: 100, pfn: 'CREDITCARD' } as never);
    // As after not_received → retry: queued again, with a POST whose outcome was unknown.
    await core.redis.hset(core.store.keys.op(operation.id), 'unknown_posts', 1);
    const op = (await core.store.get(operation.id))!;
    const now = core.now();
    const res = await core.store.finish(op, 'withdrawn', { expect: ['queued', 'retry_wait'], now, nextLeaseUntil: now + 1_000 });
    expect(res).toMatchObject({ ok: false, state: 'unknown_posts' });
    const r = await api.call('POST', `${path(operation.id)}/cancel`);
    expect(r.status).toBe(409);
    expect(JSON.stringify(r.body)).toMatch(/may still land/);
    expect((await core.store.get(operation.id))!.state).not.toBe('withdrawn');
  });
});

describe('producer.cancel', () => {
  it('withdraws a waiting charge and refuses a sent one with NotCancellableError (409)', async () => {
    await api.h.producer.enqueueCharge({ store_uid: STORE_UID, device_name: 'A04', order_id: 'cx-lib-0', cost: 100, pfn: 'CREDITCARD' } as never);
    const { operation } = await api.h.producer.enqueueCharge({ store_uid: STORE_UID, device_name: 'A04', order_id: 'cx-lib-1', cost: 100, pfn: 'CREDITCARD' } as never);
    expect(await api.h.producer.cancel(operation.id)).toMatchObject({ state: 'withdrawn' });
    const paid = await api.h.producer.waitForFinal(`charge.${STORE_UID}.cx-lib-0`, { timeoutMs: 10_000 });
    expect(paid?.state).toBe('paid');
    await expect(api.h.producer.cancel(paid!.id)).rejects.toMatchObject({ name: 'NotCancellableError', httpStatus: 409, state: 'paid' });
    expect(await api.h.producer.cancel('charge.nope.nope')).toBeNull();
  });
});
