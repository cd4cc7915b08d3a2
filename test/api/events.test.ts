/**
 * Merchant events over real HTTP (docs/EVENTS.md): the feed `GET /v1/events`, `?wait=` on
 * `GET /v1/operations/{id}`, and the producer library's waitForFinal / subscribe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, charge, waitForPayment, STORE_UID, type ApiHarness } from './support.js';
import { EVENT_TYPES } from '../../src/domain/events.js';
import type { MypayEvent } from '../../src/store/events.js';
import { eventListSchema, eventSchema } from '../../src/api/schemas.js';

let api: ApiHarness;
beforeAll(async () => {
  // A terminal takes 150 ms per charge: long enough to start waiting before the outcome.
  api = await startApi({ sim: { serviceMs: 150, devices: 130 } });
});
afterAll(async () => {
  await api?.close();
});

type Feed = { data: MypayEvent[]; next_cursor: string | null; has_more: boolean };

async function readFeed(query: string, limit = 3): Promise<MypayEvent[]> {
  const all: MypayEvent[] = [];
  let after = '';
  for (let pages = 0; pages < 200; pages++) {
    const r = await api.call('GET', `/v1/events?limit=${limit}${query}${after ? `&after=${after}` : ''}`);
    expect(r.status).toBe(200);
    const page = eventListSchema.parse(r.body) as Feed;
    expect(page.data.length).toBeLessThanOrEqual(limit);
    all.push(...page.data);
    if (!page.has_more) return all;
    after = page.next_cursor!;
  }
  throw new Error('feed did not end');
}

const sid = (id: string) => id.slice(4).split('-').map(Number) as [number, number];
const before = (a: string, b: string) => sid(a)[0] < sid(b)[0] || (sid(a)[0] === sid(b)[0] && sid(a)[1] < sid(b)[1]);

describe('GET /v1/events', () => {
  it('has every final state of a mixed workload, oldest first, in order per operation, each final event showing the record as GET /v1/operations/{id} does', async () => {
    const outcomes: [string, number, string][] = [
      ['ev-paid', 100, 'paid'], ['ev-declined', 1051, 'declined'], ['ev-abandoned', 1052, 'abandoned'],
      ['ev-mismatch', 1055, 'needs_review'], ['ev-data', 1057, 'data_error'],
    ];
    for (const [i, [order, cost]] of outcomes.entries()) expect((await api.call('POST', '/v1/charges', { body: charge(order, cost, `A00${i + 1}`) })).status).toBe(202);
    for (const [order, , state] of outcomes) await waitForPayment(api, order, [state]);
    const refund = await api.call('POST', '/v1/refunds', { body: { order_id: 'ev-paid', cost: 40, refund_id: 'ev-r1' } });
    expect(refund.status).toBe(202);
    const refundId = (refund.body as { id: string }).id;
    const reprint = await api.call('POST', '/v1/reprints/invoice', { body: { order_id: 'ev-paid', reprint_id: 'ev-p1' } });
    expect(reprint.status).toBe(202);
    const reprintId = (reprint.body as { id: string }).id;
    for (const id of [refundId, reprintId]) {
      const r = await api.call('GET', `/v1/operations/${encodeURIComponent(id)}?wait=10`);
      expect((r.body as { state: string }).state).toMatch(/^(refunded|printed)$/);
    }

    const events = await readFeed('');
    // Ids strictly increase: the feed is in the order the changes happened.
    for (let i = 1; i < events.length; i++) expect(before(events[i - 1]!.id, events[i]!.id)).toBe(true);
    for (const e of events) {
      // The OpenAPI schema of an event describes what is served.
      eventSchema.parse(e);
      expect(EVENT_TYPES).toContain(e.type);
      expect(e.store_uid).toBe(STORE_UID);
      expect(Date.parse(e.created_at)).toBeGreaterThan(0);
      expect(JSON.stringify(e)).not.toMatch(/"key":"(?!\[redacted\])/);
    }
    const byOp = new Map<string, MypayEvent[]>();
    for (const e of events) {
      const id = (e.data.object as { id: string }).id;
      byOp.set(id, [...(byOp.get(id) ?? []), e]);
    }
    const typesOf = (id: string) => byOp.get(id)?.map((e) => e.type);
    expect(typesOf(`charge.${STORE_UID}.ev-paid`)).toEqual(['charge.accepted', 'charge.paid', 'charge.partially_refunded']);
    expect(typesOf(`charge.${STORE_UID}.ev-declined`)).toEqual(['charge.accepted', 'charge.declined']);
    expect(typesOf(`charge.${STORE_UID}.ev-abandoned`)).toEqual(['charge.accepted', 'charge.abandoned']);
    expect(typesOf(`charge.${STORE_UID}.ev-mismatch`)).toEqual(['charge.accepted', 'operation.needs_review']);
    expect(typesOf(`charge.${STORE_UID}.ev-data`)).toEqual(['charge.accepted', 'charge.data_error']);
    expect(typesOf(refundId)).toEqual(['refund.accepted', 'refund.refunded']);
    expect(typesOf(reprintId)).toEqual(['reprint.printed']);

    // The last event of each operation shows the record as the API does now (audit trail aside).
    for (const [id, list] of byOp) {
      const view = (await api.call('GET', `/v1/operations/${encodeURIComponent(id)}`)).body as Record<string, unknown>;
      const { audit: _audit, ...record } = view;
      const last = list[list.length - 1]!.data.object as Record<string, unknown>;
      // A reprint hands its terminal on after the print cool-down, after its final event.
      if (id === reprintId) delete record.released_at;
      // The request payload is not repeated in events (customer fields stay out of the streams):
      // only the operation's own fields of it.
      const { request: asSent, ...rest } = record as { request: Record<string, unknown> };
      const { request: inEvent, ...restEvent } = last as { request: Record<string, unknown> };
      expect(restEvent).toEqual(rest);
      expect(Object.keys(inEvent).every((k) => ['store_uid', 'device_name', 'order_id', 'cost', 'uid', 'key'].includes(k))).toBe(true);
      expect(asSent).toMatchObject(inEvent);
    }
  });

  it('filters by type, pages with a cursor that moves past what was looked at, and names every bad parameter at once', async () => {
    const paid = await readFeed('&type=charge.paid,refund.refunded', 1);
    expect(paid.map((e) => e.type).sort()).toEqual(['charge.paid', 'refund.refunded']);

    // Caught up: polling again from the cursor returns nothing new, and the cursor stays usable.
    const head = (await api.call('GET', '/v1/events?limit=500')).body as Feed;
    expect(head.has_more).toBe(false);
    const again = (await api.call('GET', `/v1/events?after=${head.next_cursor}`)).body as Feed;
    expect(again).toEqual({ data: [], next_cursor: head.next_cursor, has_more: false });

    const bad = await api.call('GET', '/v1/events?type=charge.exploded&after=123&limit=0&colour=red');
    expect(bad.status).toBe(400);
    const fields = (bad.body as { errors: { field: string }[] }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['after', 'limit', 'type']));
    expect(fields.length).toBeGreaterThanOrEqual(4);

    expect((await api.call('GET', '/v1/events?store_uid=999999999999')).status).toBe(404);
    expect((await api.call('GET', '/v1/events', { auth: false })).status).toBe(401);
  });
});

describe('GET /v1/operations/{id}?wait=', () => {
  it('answers within 50 ms of the final state (median of 5; none later than 250 ms)', async () => {
    const lags: number[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await api.call('POST', '/v1/charges', { body: charge(`wait-${i}`, 100, 'A010') });
      const id = (created.body as { id: string }).id;
      const r = await api.call('GET', `/v1/operations/${encodeURIComponent(id)}?wait=10`);
      const answeredAt = Date.now();
      const op = r.body as { state: string; finished_at: string };
      expect(op.state).toBe('paid');
      lags.push(answeredAt - Date.parse(op.finished_at));
    }
    lags.sort((a, b) => a - b);
    expect(lags[2]).toBeLessThanOrEqual(50);
    expect(lags[4]).toBeLessThanOrEqual(250);
  });

  it('answers with the current state when the wait ends; wait is 0–60 seconds', async () => {
    const created = await api.call('POST', '/v1/charges', { body: charge('wait-pending', 1056, 'A011') });
    const id = encodeURIComponent((created.body as { id: string }).id);
    const t0 = Date.now();
    const r = await api.call('GET', `/v1/operations/${id}?wait=1`);
    const took = Date.now() - t0;
    expect(r.status).toBe(200);
    expect((r.body as { state: string }).state).toMatch(/^(queued|sending|accepted|pending)$/);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(5_000);
    for (const w of ['61', '-1', 'soon']) {
      const bad = await api.call('GET', `/v1/operations/${id}?wait=${w}`);
      expect(bad.status).toBe(400);
      expect((bad.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['wait']);
    }
  });

  it('all waits of a process share one blocking read: 100 concurrent waits add no Redis reads while they wait', async () => {
    // No workers: the operations wait in line, so nothing but the waiters could read Redis.
    const idle = await startApi({ workers: false });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        const created = await idle.call('POST', '/v1/charges', { body: charge(`many-${i}`, 100, 'A01') });
        ids.push((created.body as { id: string }).id);
      }
      const tail = idle.h.producer.eventTail();
      const stats = async () => {
        const info = await idle.h.core.redis.info('commandstats');
        const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
        return { xread: calls('xread'), hgetall: calls('hgetall'), total: Number(/total_commands_processed:(\d+)/.exec(await idle.h.core.redis.info('stats'))?.[1] ?? 0) };
      };
      const waits = ids.map((id) => idle.call('GET', `/v1/operations/${encodeURIComponent(id)}?wait=3`));
      await expect.poll(() => tail.listening().waiters, { timeout: 5_000, interval: 20 }).toBe(100);
      const s0 = await stats();
      await new Promise((r) => setTimeout(r, 1_500));
      const s1 = await stats();
      expect(tail.listening().waiters).toBe(100);
      // The tail's XREAD blocks up to 2 s at a time: at most two calls in 1.5 s, whatever the waiters;
      // no waiter reads its record again while it waits.
      expect(s1.xread - s0.xread).toBeLessThanOrEqual(2);
      expect(s1.hgetall - s0.hgetall).toBe(0);
      // Everything Redis did meanwhile (the two INFO calls, the tail, BullMQ's own timers): far below one per waiter.
      expect(s1.total - s0.total).toBeLessThan(50);
      const answers = await Promise.all(waits);
      for (const a of answers) expect((a.body as { state: string }).state).toBe('queued');
      expect(tail.listening().waiters).toBe(0);
    } finally {
      await idle.close();
    }
  });
});

describe('producer library', () => {
  it('waitForFinal resolves with the final record; subscribe delivers typed events in order; listEvents reads the feed', async () => {
    const seen: MypayEvent[] = [];
    const stop = api.h.producer.subscribe((e) => {
      seen.push(e);
    }, { types: ['charge.accepted', 'charge.paid'], stores: [STORE_UID] });
    const { operation } = await api.h.producer.enqueueCharge({ store_uid: STORE_UID, device_name: 'A015', order_id: 'lib-1', cost: 100, pfn: 'CREDITCARD' } as never);
    const final = await api.h.producer.waitForFinal(operation.id, { timeoutMs: 10_000 });
    expect(final?.state).toBe('paid');
    await expect.poll(() => seen.filter((e) => (e.data.object as { id: string }).id === operation.id).map((e) => e.type), { timeout: 2_000 }).toEqual(['charge.accepted', 'charge.paid']);
    stop();
    expect(await api.h.producer.waitForFinal('charge.nope.nope', { timeoutMs: 100 })).toBeNull();
    const page = await api.h.producer.listEvents({ store_uid: STORE_UID, limit: 500, types: ['charge.paid'] });
    expect(page.events.some((e) => (e.data.object as { id: string }).id === operation.id)).toBe(true);
    await expect(api.h.producer.listEvents({ store_uid: STORE_UID, after: 'nope' })).rejects.toThrow(/after/);
  });
});
