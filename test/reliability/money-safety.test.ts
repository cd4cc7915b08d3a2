/**
 * Money safety I (docs/CORE.md, "The fenced claim" and "No resend"): at most one POST per operation
 * that the gateway acts on, whatever pauses, partitions, late gateways and lost writes do. Each
 * scenario uses real worker processes and real Redis against the simulator over HTTP, and checks the
 * gateway's own ledger:
 * 1. a worker partitioned from Redis right after its claim (the claim reached Redis, its reply and
 *    everything after is held past the BullMQ lock), then healed;
 * 2. the same with the worker SIGSTOPped right after its claim, then SIGCONTed;
 * 3. a gateway that processes a refund (a charge) long after the client gave up;
 * 4. a record rolled back to before the claim (a lost write) while the POST is in flight.
 * Every scenario also runs with the simulator accepting repeated order ids, so nothing relies on the
 * gateway refusing them. On the code before the fix, 1–4 refunded twice (or charged twice with
 * repeated ids accepted).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { spawnWorker, type WorkerProcess } from '../support/processes.js';
import { startRedisLinkProxy, type RedisLinkProxy } from '../../nemesis/proxy.js';
import { report, sleep } from './support/report.js';

/** Short windows so each scenario plays out in seconds; the claim rules hold at any scale. */
const ENV = {
  WORKER_LOCK_MS: '2000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  CLAIM_BUDGET_MS: '800',
  CLAIM_FENCE_MS: '2000',
  MYPAY_ANSWER_TIMEOUT_MS: '1000',
  TERMINAL_WINDOW_MS: '1000',
  RECONCILE_HORIZON_MS: '8000',
  RECONCILE_MAX_INTERVAL_MS: '500',
  REDIS_DURABILITY: 'none',
};
const HOLD_MS = 7_000;
const FINAL = ['paid', 'refunded', 'partially_refunded', 'not_received', 'needs_review', 'rejected', 'failed', 'unresolved', 'declined'];

let h: Harness;
let proxy: RedisLinkProxy;
const procs: WorkerProcess[] = [];
const figures: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness({ sim: { devices: 12, serviceMs: 50 } });
  // The nemesis' Redis link proxy: it spots the claim before a POST and partitions or pauses right there.
  proxy = await startRedisLinkProxy(Number(new URL(h.redis.url).port));
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill9()));
  h.sim.faults.clear();
});
afterAll(async () => {
  report('money safety I: acted-on POSTs per operation', figures);
  await proxy?.close();
  await h?.close();
});

const worker = (via: 'proxy' | 'direct') =>
  spawnWorker({ redisUrl: via === 'proxy' ? proxy.url : h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url, concurrency: 5, env: ENV });

const acted = (cmd: 'api/postransaction' | 'api/posrefund', orderId: string) =>
  h.sim.journal(0, 1_000_000).filter((e) => e.cmd === cmd && e.acted && orderOf(e.request) === orderId).length;
const orderOf = (req: unknown) => {
  const r = req as { order_id?: string; uid?: string } | null;
  if (r?.order_id) return r.order_id;
  return h.sim.engine.ledger.orders().find((o) => o.uid === r?.uid)?.order_id;
};
const gatewayRefunds = (orderId: string) => h.sim.engine.ledger.findAll(STORE_UID, orderId).reduce((n, o) => n + o.refunds.length, 0);

async function paidCharge(tag: string, device: string): Promise<string> {
  const orderId = `${tag}-${Date.now()}`;
  const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, device));
  await h.waitForState(operation.id, ['paid'], 20_000);
  return orderId;
}

/** Waits for a final state, then long enough for a late, stale worker to act if it were going to. */
async function settled(opId: string, timeoutMs = 40_000) {
  await h.waitForState(opId, FINAL, timeoutMs);
  await sleep(3_000);
  return (await h.core.store.get(opId))!;
}

/** Our state must agree with the gateway's ledger: one refund there ⇔ refunded (or flagged) here. */
function agreesOnRefund(state: string, atGateway: number): boolean {
  if (atGateway === 0) return ['not_received', 'failed', 'rejected'].includes(state);
  return atGateway === 1 && (state === 'refunded' || state === 'needs_review');
}

// The CI profile runs the stricter half (a gateway that accepts repeated order ids); the full
// profile both.
const MODES = process.env.RELIABILITY_PROFILE === 'ci' ? (['accept'] as const) : (['refuse', 'accept'] as const);

describe.each(MODES)('money safety with repeated order ids %s', (dup) => {
  beforeAll(() => {
    h.sim.engine.duplicateOrders = dup;
  });

  for (const fault of ['partition', 'sigstop'] as const) {
    it(`a worker ${fault === 'partition' ? 'partitioned from Redis' : 'paused (SIGSTOP)'} right after its refund claim never POSTs late`, async () => {
      const device = fault === 'partition' ? (dup === 'refuse' ? 'A01' : 'A02') : dup === 'refuse' ? 'A03' : 'A04';
      const w1 = await worker('proxy');
      procs.push(w1);
      const orderId = await paidCharge(`${fault}-${dup}`, device);
      proxy.armClaim({
        kind: 'refund',
        action: fault === 'partition' ? 'partition' : 'pause',
        onFire: () => {
          if (fault === 'sigstop') process.kill(w1.child.pid!, 'SIGSTOP');
        },
      });
      const { operation } = await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `r-${orderId}`, cost: 30 });
      await expect.poll(() => proxy.armed(), { timeout: 10_000 }).toBe(false);
      // Another worker is there to take the operation over once w1's BullMQ lock lapses.
      procs.push(await worker('direct'));
      await sleep(HOLD_MS);
      if (fault === 'partition') proxy.restore();
      else process.kill(w1.child.pid!, 'SIGCONT');
      const op = await settled(operation.id);
      const posts = acted('api/posrefund', orderId);
      figures[`${fault}, repeated ids ${dup}`] = `refund ${op.state}; acted-on refund POSTs ${posts}; refunds at the gateway ${gatewayRefunds(orderId)}`;
      expect(posts).toBeLessThanOrEqual(1);
      expect(gatewayRefunds(orderId)).toBeLessThanOrEqual(1);
      expect(agreesOnRefund(op.state, gatewayRefunds(orderId)), `${op.state} vs ${gatewayRefunds(orderId)} refund(s) at the gateway`).toBe(true);
    });
  }

  it('a gateway that processes a refund after the client gave up gets no second POST; the late row is found and flagged', async () => {
    const device = dup === 'refuse' ? 'A05' : 'A06';
    procs.push(await worker('direct'));
    const orderId = await paidCharge(`late-refund-${dup}`, device);
    h.sim.faults.add({ kind: 'late', command: 'api/posrefund', device_name: device, ms: 3_500, count: 1 });
    const { operation } = await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `r-${orderId}`, cost: 30 });
    await h.waitForState(operation.id, ['refunded', 'needs_review'], 40_000).catch(() => undefined);
    const op = await settled(operation.id);
    const posts = acted('api/posrefund', orderId);
    figures[`late refund, repeated ids ${dup}`] = `refund ${op.state}${op.review ? ' (flagged)' : ''}; acted-on refund POSTs ${posts}; refunds at the gateway ${gatewayRefunds(orderId)}`;
    expect(posts).toBe(1);
    expect(gatewayRefunds(orderId)).toBe(1);
    expect(op.state).toBe('refunded');
    expect(op.review).toMatch(/late row/);
    const charge = await h.core.store.get(op.charge!);
    expect(charge).toMatchObject({ refunded: 30, state: 'partially_refunded' });
  });

  it('a gateway that processes a charge after the client gave up gets no second POST', async () => {
    const device = dup === 'refuse' ? 'A07' : 'A08';
    procs.push(await worker('direct'));
    h.sim.faults.add({ kind: 'late', command: 'api/postransaction', device_name: device, ms: 3_500, count: 1 });
    const orderId = `late-charge-${dup}-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, device));
    await h.waitForState(operation.id, ['paid', 'needs_review'], 40_000).catch(() => undefined);
    const op = await settled(operation.id);
    const posts = acted('api/postransaction', orderId);
    figures[`late charge, repeated ids ${dup}`] = `charge ${op.state}${op.review ? ' (flagged)' : ''}; acted-on charge POSTs ${posts}; orders at the gateway ${h.sim.engine.ledger.findAll(STORE_UID, orderId).length}`;
    expect(posts).toBe(1);
    expect(h.sim.engine.ledger.findAll(STORE_UID, orderId)).toHaveLength(1);
    expect(op.state).toBe('paid');
    expect(op.review).toMatch(/late row/);
  });

  it('a record rolled back to before its claim while the refund POST is in flight goes to review; nothing is sent again', async () => {
    const device = dup === 'refuse' ? 'A09' : 'A10';
    procs.push(await worker('direct'));
    const orderId = await paidCharge(`rollback-${dup}`, device);
    // The gateway acts at once; its answer takes 2 s (meanwhile the claim is "lost").
    h.sim.faults.add({ kind: 'latency', when: 'after', command: 'api/posrefund', device_name: device, ms: 2_000, count: 1 });
    const { operation } = await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `r-${orderId}`, cost: 30 });
    await expect.poll(() => gatewayRefunds(orderId), { timeout: 10_000 }).toBe(1);
    // What an fsync-less crash or an asynchronous failover can do: the record and the lease as they
    // were before the claim (state queued, no POST counted; the lease's original expiry).
    const redis = new Redis(h.redis.url);
    const k = h.core.store.keys;
    await redis.hset(k.op(operation.id), 'state', 'queued');
    await redis.hdel(k.op(operation.id), 'sends', 'sent', 'first_sent', 'claim_until', 'deadline', 'seen_refunds');
    await redis.zadd(k.leases, Date.now() - 1, `${STORE_UID}|${device}`);
    await redis.quit();
    const op = await settled(operation.id);
    const posts = acted('api/posrefund', orderId);
    figures[`rolled-back claim, repeated ids ${dup}`] = `refund ${op.state}; acted-on refund POSTs ${posts}; refunds at the gateway ${gatewayRefunds(orderId)}`;
    expect(posts).toBe(1);
    expect(gatewayRefunds(orderId)).toBe(1);
    expect(op.state).toBe('needs_review');
    expect(op.review).toMatch(/lost writes/);
  });
});
