/**
 * Issue 14, webhooks — failed deliveries: an endpoint that keeps answering 500 makes every delivery
 * fail after its (millisecond) schedule; `GET /v1/webhooks/deliveries?state=failed` lists them in
 * event order, filtered by endpoint and store; `POST /v1/webhooks/deliveries/replay` runs them again —
 * one event (with its operation's earlier ones), then the rest — and they arrive in order per operation;
 * Bull Board's retry button runs one again. Real HTTP (API, simulator, receiver), real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Job } from 'bullmq';
import { ADMIN, STORE_UID, charge, startApi, waitForPayment, type ApiHarness } from '../api/support.js';
import { createWebhookEndpoint, webhookEndpoints } from '../../src/workers/notify/endpoints.js';
import { startNotify, type NotifyRuntime } from '../../src/workers/notify/runtime.js';
import { notifyQueue } from '../../src/workers/notify/queue.js';
import { failedDeliveriesSummary } from '../../src/workers/notify/deliveries.js';
import type { Core } from '../../src/queues/core.js';
import { byEventId, firstArrivalsByOp, newSecret, startReceiver, storedEvents, until, type Receiver } from './support.js';

let api: ApiHarness;
let receiver: Receiver;
let notify: NotifyRuntime;
const secret = newSecret();

beforeAll(async () => {
  const ref: { core?: Core } = {};
  // As the API process wires it when webhooks are configured (src/launch/system.ts).
  api = await startApi({ sim: { serviceMs: 10, followUpMs: 20 }, api: { attention: { failedWebhooks: () => failedDeliveriesSummary(ref.core!) } } });
  ref.core = api.h.core;
  receiver = await startReceiver([secret], () => 500);
  notify = startNotify({
    core: api.h.core,
    endpoints: webhookEndpoints([createWebhookEndpoint({ id: 'shop', url: receiver.url, store: STORE_UID, secrets: [secret] })]),
    // Three attempts 30 and 60 ms apart: a delivery fails for good within a fraction of a second.
    settings: { timeoutMs: 1_000, retrySchedule: [30, 60], retryHorizonMs: 90, breakerFailures: 4, breakerCooldownMs: 100, orderParkMs: 1_000, slotParkMs: 300, dispatchLockMs: 2_000, dispatchBlockMs: 100 },
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    lockDurationMs: 5_000,
  });
});
afterAll(async () => {
  await notify?.close();
  await receiver?.close();
  await api?.close();
});

type List = { deliveries: { id: string; event_id: string; event_type: string; operation_id: string; store_uid: string; endpoint: string; state: string; attempts_made: number; attempts_max: number; last_error: string | null; name: string }[]; total: number; next_offset: number | null };

describe('failed deliveries: listed, replayed in order', () => {
  it('an endpoint answering 500: every delivery fails after its schedule, is listed in event order, and replays deliver in order per operation', async () => {
    const run = Date.now().toString(36);
    const paid = `rp-${run}-paid`;
    const declined = `rp-${run}-declined`;
    expect((await api.call('POST', '/v1/charges', { body: charge(paid, 100, 'A01') })).status).toBe(202);
    expect((await api.call('POST', '/v1/charges', { body: charge(declined, 151, 'A02') })).status).toBe(202);
    await waitForPayment(api, paid, ['paid']);
    await waitForPayment(api, declined, ['declined']);
    expect((await api.call('POST', '/v1/refunds', { body: { order_id: paid, refund_id: `${paid}-r1`, cost: 30 } })).status).toBe(202);
    await waitForPayment(api, paid, ['partially_refunded']);

    const events = await storedEvents(api.h.core, STORE_UID);
    const mine = events.filter((e) => e.op.includes(run));
    // charge accepted + paid + partially_refunded, charge accepted + declined, refund accepted + refunded.
    expect(mine.length).toBeGreaterThanOrEqual(7);
    const queue = notifyQueue(api.h.core);
    await until(async () => (await queue.getFailedCount()) === mine.length, 20_000, () => `failed deliveries, wanted ${mine.length}`);
    expect(receiver.bad).toEqual([]);
    // Nothing reached the receiver but 500s, and requests stopped once the circuit opened.
    expect(receiver.delivered()).toEqual([]);

    // Listed in event order; filters by endpoint and store.
    const list = (await api.call('GET', '/v1/webhooks/deliveries?state=failed&limit=500')).body as List;
    expect(list.total).toBe(mine.length);
    expect(list.deliveries.map((d) => d.event_id)).toEqual(mine.map((e) => e.id));
    for (const d of list.deliveries) {
      expect(d).toMatchObject({ endpoint: 'shop', store_uid: STORE_UID, state: 'failed' });
      expect(d.attempts_made).toBeGreaterThanOrEqual(1);
      expect(d.last_error).toMatch(/HTTP 500|circuit open|earlier event .* failed for good/);
      expect(d.name).toMatch(new RegExp(`^${d.event_type.replace('.', '\\.')} · store ${STORE_UID} · order rp-${run}-\\w+ → 127\\.0\\.0\\.1$`));
    }
    // A later event of an operation fails with its earlier one, saying so (it was never sent).
    const paidOp = `charge.${STORE_UID}.${paid}`;
    const paidLine = list.deliveries.filter((d) => d.operation_id === paidOp);
    expect(paidLine.map((d) => d.event_type)).toEqual(['charge.accepted', 'charge.paid', 'charge.partially_refunded']);
    expect(paidLine[0]!.last_error).toMatch(/HTTP 500|circuit open/);
    expect(paidLine[2]!.last_error).toMatch(/earlier event evt_.* failed for good/);
    expect(((await api.call('GET', '/v1/webhooks/deliveries?state=failed&endpoint=shop&store_uid=' + STORE_UID)).body as List).total).toBe(mine.length);
    expect(((await api.call('GET', '/v1/webhooks/deliveries?state=failed&endpoint=other')).body as List).total).toBe(0);
    expect(((await api.call('GET', '/v1/webhooks/deliveries?state=failed&store_uid=289151889999')).body as List).total).toBe(0);
    const paged = (await api.call('GET', '/v1/webhooks/deliveries?state=failed&limit=2&offset=2')).body as List;
    expect(paged.deliveries.map((d) => d.event_id)).toEqual(mine.slice(2, 4).map((e) => e.id));
    expect(paged.next_offset).toBe(4);
    expect((await api.call('GET', '/v1/webhooks/deliveries?state=nope')).status).toBe(400);
    expect((await api.call('GET', '/v1/webhooks/deliveries', { auth: false })).status).toBe(401);
    // A person's list of things to act on shows them, with the runbook.
    const attention = (await api.call('GET', '/v1/attention')).body as { counts: Record<string, number>; items: { kind: string; runbook: string; title: string }[] };
    expect(attention.counts.failed_webhooks).toBe(mine.length);
    expect(attention.items.find((i) => i.kind === 'failed_webhooks')).toMatchObject({ runbook: 'docs/WEBHOOKS.md#failed-deliveries', title: expect.stringMatching(/^webhook \S+ \(evt_\S+\) to shop failed for good$/) });

    // The endpoint recovers. Replaying the charge's `paid` event replays its `accepted` too (events
    // of one operation arrive in order), and nothing else.
    receiver.behave(() => 200);
    const paidEvent = paidLine[1]!.event_id;
    const one = await api.call('POST', '/v1/webhooks/deliveries/replay', { body: { event_id: paidEvent } });
    expect(one.status).toBe(202);
    expect((one.body as { replayed: number; deliveries: { event_id: string }[] }).deliveries.map((d) => d.event_id)).toEqual([paidLine[0]!.event_id, paidEvent]);
    await until(() => receiver.delivered().length >= 2, 10_000, () => `delivered ${receiver.delivered().length}`);
    expect(receiver.delivered().map((r) => r.id)).toEqual([paidLine[0]!.event_id, paidEvent]);
    expect(await queue.getFailedCount()).toBe(mine.length - 2);

    // Bull Board's retry button runs one failed delivery again: the next event of that operation.
    const board = await fetch(`${api.url}/admin/queues/api/queues/notify/${encodeURIComponent(paidLine[2]!.id)}/retry`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}` },
    });
    expect(board.status).toBe(204);
    await until(() => receiver.delivered().length >= 3, 10_000, () => `delivered ${receiver.delivered().length}`);
    expect(receiver.delivered()[2]!.id).toBe(paidLine[2]!.event_id);

    // Everything else, in one call: delivered, in order per operation.
    const rest = await api.call('POST', '/v1/webhooks/deliveries/replay', { body: { store_uid: STORE_UID } });
    expect((rest.body as { replayed: number }).replayed).toBe(mine.length - 3);
    await until(() => receiver.delivered().length >= mine.length, 10_000, () => `delivered ${receiver.delivered().length} of ${mine.length}`);
    expect(await queue.getFailedCount()).toBe(0);
    expect(((await api.call('GET', '/v1/attention')).body as { counts: Record<string, number> }).counts.failed_webhooks).toBe(0);
    const byOp = firstArrivalsByOp(receiver.delivered());
    for (const [op, ids] of byOp) {
      expect(ids, op).toEqual(mine.filter((e) => e.op === op).map((e) => e.id));
      expect([...ids].sort(byEventId)).toEqual(ids);
    }
    expect(new Set(receiver.delivered().map((r) => r.id))).toEqual(new Set(mine.map((e) => e.id)));
    expect(receiver.bad).toEqual([]);

    // Each attempt is in the job's log: status and latency.
    const first = (await queue.getJobLogs(paidLine[0]!.id)).logs.join('\n');
    expect(first).toMatch(/attempt 1\/3: (HTTP 500 in \d+ ms|not sent, circuit open)/);
    expect(first).toMatch(/attempt 3\/3: (HTTP 500 in \d+ ms — no attempts left|not sent, circuit open)/);
    // The replay closed the circuit (a person's decision): its first attempt is sent.
    expect(first).toMatch(/attempt 1\/3: HTTP 200 in \d+ ms — delivered \d+ ms after the event$/);
    const second = (await queue.getJobLogs(paidLine[1]!.id)).logs.join('\n');
    expect(second).toMatch(/waiting for the earlier event evt_\S+ of charge\.\S+ to be delivered first/);
    expect(second).toMatch(/not sent: an earlier event of charge\.\S+, evt_\S+, failed for good — replay it first/);
    expect(second).toMatch(/attempt 1\/3: HTTP 200 in \d+ ms/);
    const job = await Job.fromId(queue, paidLine[1]!.id);
    expect(Object.keys(job!.data).sort()).toEqual(['endpoint', 'event', 'op', 'store', 'type']);
    expect(JSON.stringify(job!.data)).not.toContain(secret.slice(6));
  });
});
