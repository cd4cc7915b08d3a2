/**
 * Issue 14, webhooks — delivery of every event of a mixed workload: a real worker process (`src/main.ts
 * --role worker`, configured by WEBHOOK_URL / WEBHOOK_SECRET) runs the payments and the deliveries;
 * the API runs in this process over real HTTP, the simulator too; the receiver verifies every
 * signature with `standardwebhooks`. Every event arrives, in order per operation; the last one of
 * each operation carries the operation as `GET /v1/operations/{id}` shows it; the `notify` jobs are
 * named for people; every webhook key expires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_UID, charge, startApi, type ApiHarness } from '../api/support.js';
import { spawnWorker, type WorkerProcess } from '../support/processes.js';
import { notifyQueue } from '../../src/workers/notify/queue.js';
import { byEventId, firstArrivalsByOp, newSecret, startReceiver, storedEvents, until, type Receiver } from './support.js';

let api: ApiHarness;
let receiver: Receiver;
let worker: WorkerProcess | undefined;
const secret = newSecret();

const FINAL = ['paid', 'partially_refunded', 'refunded', 'cancelled', 'declined', 'abandoned', 'data_error', 'rejected', 'failed', 'printed', 'needs_review', 'unresolved', 'not_received', 'withdrawn'];

beforeAll(async () => {
  api = await startApi({ sim: { serviceMs: 20, followUpMs: 30 }, workers: false });
  // The first event of an operation (`accepted`) is answered slowly, the rest at once: only the
  // per-operation line keeps a later event from overtaking it.
  receiver = await startReceiver([secret], (r) => ({ status: 200, delayMs: r.event.type.endsWith('.accepted') ? 300 : Math.floor(Math.random() * 20) }));
  worker = await spawnWorker({
    redisUrl: api.h.redis.url,
    prefix: api.h.redis.prefix,
    gatewayUrl: api.h.sim.url,
    env: {
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: secret,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_RETRY_SCHEDULE_MS: '50,100,200',
      // No job is taken for stalled on a loaded machine: on a healthy endpoint each event arrives once.
      WORKER_LOCK_MS: '10000',
      WORKER_STALLED_INTERVAL_MS: '5000',
      MYPAY_ANSWER_TIMEOUT_MS: '10000',
      TERMINAL_WINDOW_MS: '20000',
      RECONCILE_HORIZON_MS: '60000',
    },
  });
});
afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await api?.close();
});

async function waitFinal(id: string): Promise<Record<string, unknown>> {
  return until(async () => {
    const r = await api.call('GET', `/v1/operations/${encodeURIComponent(id)}`);
    return r.status === 200 && FINAL.includes((r.body as { state: string }).state) ? (r.body as Record<string, unknown>) : null;
  }, 20_000, () => `${id} final\n${worker?.output().slice(-3000)}`);
}

describe('every event of a mixed workload, delivered and signed', () => {
  it('charges of several outcomes, refunds, reprints and a refund batch: every event arrives once verified, in order per operation, the last one as GET /v1/operations shows it', async () => {
    const run = Date.now().toString(36);
    const o = (n: string) => `wh-${run}-${n}`;
    const post = async (path: string, body: unknown) => {
      const r = await api.call('POST', path, { body });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      return (r.body as { id: string }).id;
    };
    const ids: string[] = [];
    // paid ×2, declined, abandoned, pending then paid, amount mismatch (review), data error, online then paid, unknown terminal (rejected).
    for (const [i, cost] of [100, 200, 151, 152, 153, 155, 157, 161].entries()) ids.push(await post('/v1/charges', charge(o(`c${cost}`), cost, `A0${i + 1}`)));
    ids.push(await post('/v1/charges', charge(o('bad-device'), 100, 'Q99')));
    // A charge refunded by a refund batch: the batch's own event is delivered too.
    const batchCharge = await post('/v1/charges', charge(o('c300'), 300, 'A09'));
    for (const id of [...ids, batchCharge]) await waitFinal(id);
    const batchId = o('batch');
    const batch = await api.call('POST', `/v1/refund-batches?batch_id=${batchId}`, { raw: `order_id,cost\n${o('c300')},300\n`, headers: { 'content-type': 'text/csv' } });
    expect(batch.status, JSON.stringify(batch.body)).toBe(202);
    // A partial refund, a full refund, both reprints.
    ids.push(await post('/v1/refunds', { order_id: o('c100'), refund_id: o('c100-r1'), cost: 30 }));
    ids.push(await post('/v1/refunds', { order_id: o('c200'), refund_id: o('c200-r1'), cost: 200 }));
    ids.push(await post('/v1/reprints/invoice', { order_id: o('c100'), reprint_id: o('c100-p1'), type: 1 }));
    ids.push(await post('/v1/reprints/signature', { order_id: o('c100'), reprint_id: o('c100-p2') }));
    const final = new Map<string, Record<string, unknown>>();
    for (const id of ids) final.set(id, await waitFinal(id));
    // Charges whose refunds settled have moved on: read them again.
    for (const id of ids) final.set(id, await waitFinal(id));
    const states = [...final.values()].map((v) => v.state);
    expect(states).toEqual(expect.arrayContaining(['paid', 'partially_refunded', 'refunded', 'declined', 'abandoned', 'needs_review', 'data_error', 'rejected', 'printed']));

    const expected = (await storedEvents(api.h.core, STORE_UID)).filter((e) => ids.includes(e.op));
    expect(new Set(expected.map((e) => e.op))).toEqual(new Set(ids));
    await until(() => expected.every((e) => receiver.delivered().some((r) => r.id === e.id)), 20_000, () => {
      const got = new Set(receiver.delivered().map((r) => r.id));
      return `missing ${expected.filter((e) => !got.has(e.id)).map((e) => `${e.type} ${e.op}`).join(', ')}\n${worker?.output().slice(-3000)}`;
    });

    // Signed: every request verified with the secret (the receiver refuses any other); webhook-id = event id.
    expect(receiver.bad).toEqual([]);
    const mine = receiver.delivered().filter((r) => ids.includes((r.event.data.object as { id: string }).id));
    expect(new Set(mine.map((r) => r.id))).toEqual(new Set(expected.map((e) => e.id)));
    // A healthy endpoint: each event once.
    expect(mine).toHaveLength(expected.length);
    for (const r of mine) {
      const e = expected.find((x) => x.id === r.id)!;
      expect(r.event.type).toBe(e.type);
      expect(r.event.store_uid).toBe(STORE_UID);
      expect(Math.abs(Number(r.timestamp) * 1000 - r.at)).toBeLessThan(5_000);
    }
    // In order per operation, as the events happened.
    const byOp = firstArrivalsByOp(mine);
    for (const id of ids) {
      const want = expected.filter((e) => e.op === id).map((e) => e.id);
      expect(byOp.get(id), id).toEqual(want);
      expect([...want].sort(byEventId)).toEqual(want);
    }
    // The last event of each operation carries the operation as the API shows it now — but for
    // `released_at`: a reprint keeps its terminal for the print cool-down after `printed`, and the
    // hand-off stamps it without a new event.
    // And `request`: an event carries only the operation's own fields of the payload (no items, no
    // customer fields), GET /v1/operations the whole of it.
    const withoutRelease = (v: Record<string, unknown>) => Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'released_at' && k !== 'audit' && k !== 'request'));
    for (const id of ids) {
      const last = mine.filter((r) => (r.event.data.object as { id: string }).id === id).at(-1)!;
      expect(withoutRelease(last.event.data.object as Record<string, unknown>), id).toEqual(withoutRelease(final.get(id)!));
      const { audit: _audit, request: _request, ...shown } = final.get(id)!;
      const { request: _inEvent, ...inEvent } = last.event.data.object as Record<string, unknown>;
      if (!id.startsWith('reprint')) expect(inEvent, id).toEqual(shown);
    }
    // The batch completed: its event arrives, verified, with the counts.
    await until(() => receiver.delivered().some((r) => r.event.type === 'refund_batch.completed' && (r.event.data.object as { id: string }).id === batchId), 20_000, () => `no refund_batch.completed for ${batchId}`);
    const completed = receiver.delivered().find((r) => r.event.type === 'refund_batch.completed' && (r.event.data.object as { id: string }).id === batchId)!;
    expect(completed.event.data.object).toMatchObject({ kind: 'refund_batch', status: 'complete', rows: 1, counts: { refunded: 1 }, not_refunded_count: 0 });
    const paidCharge = mine.filter((r) => (r.event.data.object as { id: string }).id === ids[0]).map((r) => r.event.type);
    expect(paidCharge).toEqual(['charge.accepted', 'charge.paid', 'charge.partially_refunded']);

    // Bull Board: one job per event, named for a person; each log line an attempt with status and latency.
    const queue = notifyQueue(api.h.core);
    const jobs = await queue.getJobs(['completed'], 0, -1);
    const paidJob = jobs.find((j) => j.data.event === mine.find((r) => r.event.type === 'charge.paid' && (r.event.data.object as { id: string }).id === ids[0])!.id)!;
    expect(paidJob.name).toBe(`charge.paid · store ${STORE_UID} · order ${o('c100')} → 127.0.0.1`);
    expect(paidJob.id).toBe(`default.${paidJob.data.event.slice(4)}`);
    expect((await queue.getJobLogs(paidJob.id!)).logs.join('\n')).toMatch(/^attempt 1\/\d+: HTTP 200 in \d+ ms — delivered \d+ ms after the event$/m);
    const refundJob = jobs.find((j) => j.data.type === 'refund.refunded' && j.data.op === ids[9])!;
    expect(refundJob.name).toBe(`refund.refunded · store ${STORE_UID} · order ${o('c100')} → 127.0.0.1`);

    // Every webhook key expires; the consumer group's stream too.
    const p = api.h.core.prefix;
    let cursor = '0';
    const noTtl: string[] = [];
    do {
      const [next, keys] = await api.h.core.redis.scan(cursor, 'MATCH', `${p}:wh:*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) if ((await api.h.core.redis.pttl(k)) === -1) noTtl.push(k);
    } while (cursor !== '0');
    expect(noTtl).toEqual([]);
    expect(await api.h.core.redis.pttl(api.h.core.store.keys.events)).toBeGreaterThan(0);
    // Lines of delivered events keep only their last delivered id, for two days at most.
    const line = await api.h.core.redis.hgetall(`${p}:wh:line:default|${ids[0]}`);
    expect(Object.keys(line)).toEqual(['mark']);
    expect(await api.h.core.redis.pttl(`${p}:wh:line:default|${ids[0]}`)).toBeLessThanOrEqual(2 * 86_400_000);
  });
});
