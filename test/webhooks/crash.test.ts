/**
 * Issue 14, webhooks — at least once through failures: the receiver answers 500 and lets requests time
 * out for a while, then holds a request while the worker process sending it is killed (kill -9,
 * mid-delivery); other worker processes take over. Every event is delivered afterwards, none is lost,
 * and a repeated delivery carries the same `webhook-id` and the same body. Real processes, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { spawnWorker, type WorkerProcess } from '../support/processes.js';
import { byEventId, firstArrivalsByOp, newSecret, startReceiver, storedEvents, until, type Receiver } from './support.js';

let h: Harness;
let receiver: Receiver;
const procs: WorkerProcess[] = [];
const secret = newSecret();
let phase: 'failing' | 'hold' | 'healthy' = 'failing';
let seen = 0;

beforeAll(async () => {
  h = await startHarness({ sim: { serviceMs: 10, followUpMs: 20 } });
  receiver = await startReceiver([secret], () => {
    seen++;
    if (phase === 'healthy') return 200;
    if (phase === 'hold') return 'hang';
    return seen % 2 === 0 ? 500 : 'hang'; // 500s and timeouts
  });
});
afterAll(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill9()));
  await receiver?.close();
  await h?.close();
});

const spawn = () =>
  spawnWorker({
    redisUrl: h.redis.url,
    prefix: h.redis.prefix,
    gatewayUrl: h.sim.url,
    concurrency: 10,
    env: {
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: secret,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_TIMEOUT_MS: '400',
      WEBHOOK_RETRY_SCHEDULE_MS: '50,100,200,400',
      WEBHOOK_RETRY_HORIZON_MS: '60000',
      WEBHOOK_BREAKER_COOLDOWN_MS: '300',
      MYPAY_ANSWER_TIMEOUT_MS: '10000',
      TERMINAL_WINDOW_MS: '20000',
      RECONCILE_HORIZON_MS: '60000',
    },
  });

describe('at least once through endpoint failures and a killed worker', () => {
  it('500s and timeouts, then kill -9 of the process sending a delivery: everything delivered afterwards, duplicates only under the same webhook-id', async () => {
    const a = await spawn();
    procs.push(a);
    const run = Date.now().toString(36);
    const ids: string[] = [];
    for (const [i, cost] of [100, 100, 151, 153, 155, 161, 100, 152].entries()) ids.push((await h.producer.enqueueCharge(charge(`cr-${run}-${i}`, cost, `A0${i + 1}`))).operation.id);
    for (const id of ids) await h.waitForState(id, ['paid', 'declined', 'needs_review', 'abandoned'], 20_000);
    for (const i of [0, 1]) ids.push((await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: `cr-${run}-${i}`, refund_id: `cr-${run}-${i}-r`, cost: 40 })).operation.id);
    for (const id of ids.slice(-2)) await h.waitForState(id, ['refunded'], 20_000);

    // A while of 500s and timeouts (payments went on meanwhile: every operation above is final).
    await until(() => receiver.requests.length >= 8, 20_000, () => `requests ${receiver.requests.length}\n${a.output().slice(-2000)}`);
    expect(receiver.requests.some((r) => r.status === 500)).toBe(true);
    expect(receiver.requests.some((r) => r.status === 0)).toBe(true);
    expect(receiver.delivered()).toEqual([]);

    // Hold the next request and kill its sender mid-delivery.
    const before = receiver.requests.length;
    phase = 'hold';
    await until(() => receiver.requests.length > before && receiver.inFlight() > 0, 20_000, () => 'a held request');
    const held = receiver.requests[before]!.id;
    await a.kill9();
    phase = 'healthy';
    procs.push(await spawn(), await spawn());

    const expected = (await storedEvents(h.core, STORE_UID)).filter((e) => ids.includes(e.op));
    expect(expected.length).toBeGreaterThanOrEqual(2 * ids.length);
    await until(() => expected.every((e) => receiver.delivered().some((r) => r.id === e.id)), 30_000, () => {
      const got = new Set(receiver.delivered().map((r) => r.id));
      return `missing ${expected.filter((e) => !got.has(e.id)).map((e) => e.id).join(', ')}\n${procs.map((p) => p.output().slice(-1500)).join('\n---\n')}`;
    });

    expect(receiver.bad).toEqual([]);
    // The delivery cut off by the kill was sent again and arrived.
    expect(receiver.delivered().some((r) => r.id === held)).toBe(true);
    expect(receiver.requests.filter((r) => r.id === held).length).toBeGreaterThanOrEqual(2);
    // None lost, nothing else: the delivered ids are exactly the events; a repeat has the same id and body.
    expect(new Set(receiver.delivered().map((r) => r.id))).toEqual(new Set(expected.map((e) => e.id)));
    const bodies = new Map<string, string>();
    for (const r of receiver.requests) {
      expect(r.event.id).toBe(r.id);
      if (bodies.has(r.id)) expect(r.body).toBe(bodies.get(r.id));
      bodies.set(r.id, r.body);
    }
    expect(receiver.requests.length).toBeGreaterThan(expected.length);
    // Still in order per operation.
    for (const [op, got] of firstArrivalsByOp(receiver.delivered())) {
      expect(got, op).toEqual(expected.filter((e) => e.op === op).map((e) => e.id));
      expect([...got].sort(byEventId)).toEqual(got);
    }
  });
});
