/**
 * Issue #13, item 5: Redis does not grow without end. Every per-operation and per-terminal key we
 * write expires; the only keys without a TTL are a short list of per-deployment keys, each bounded
 * by something else (documented in ALLOWED below). Against real Redis and the simulator over HTTP;
 * outcomes by amount suffix are in docs/SIMULATOR.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queue } from 'bullmq';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';

const FINAL = ['paid', 'partially_refunded', 'refunded', 'cancelled', 'needs_review', 'declined', 'abandoned', 'data_error', 'rejected', 'failed', 'printed', 'unresolved', 'not_received', 'withdrawn'];

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { serviceMs: 20 } });
  h.startWorker();
});
afterAll(async () => h?.close());

const refund = (orderId: string, refundId: string, cost: number) => ({ store_uid: STORE_UID, order_id: orderId, refund_id: refundId, cost });

/**
 * Keys allowed to have no TTL, each per deployment (not per operation or terminal) and bounded:
 * - `{p}:leases`  zset terminal → lease expiry: one member per terminal in use (the fleet); members
 *                 leave when their terminal is free (sweep.lua).
 * - `{p}:devices` zset terminal → last use: one member per terminal of the fleet.
 * - `{p}:open`    zset open operation → janitor due: operations leave it when final (a not_received
 *                 one after its late verification), or when the janitor finds their record gone.
 * - BullMQ's per-queue keys of `device` and `status` (QUEUE_KEYS): `events` is a stream capped by
 *   BullMQ (maxLenEvents), `completed`/`failed` are trimmed by removeOnComplete/removeOnFail, the
 *   others hold only live jobs.
 * - BullMQ job hashes `{p}:<queue>:<jobId>` and their `:logs` lists, while BullMQ still lists the job
 *   (waiting, delayed, active, or retained as completed/failed — bounded by the removeOnComplete /
 *   removeOnFail age and count of DEFAULT_JOB_OPTIONS): checked one by one below.
 */
const DEPLOYMENT_KEYS = ['leases', 'devices', 'open'];
const QUEUE_KEYS = new Set(['meta', 'id', 'events', 'wait', 'paused', 'active', 'prioritized', 'delayed', 'completed', 'failed', 'stalled', 'marker', 'pc', 'waiting-children', 'limiter', 'repeat']);

/** Every key under our prefix without a TTL that the allowlist does not explain. */
async function unboundedKeys(hh: Harness): Promise<string[]> {
  const p = hh.core.prefix;
  const queues: Record<string, Queue> = { device: hh.core.deviceQueue, status: hh.core.statusQueue };
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await hh.core.redis.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const bad: string[] = [];
  for (const key of keys.sort()) {
    if ((await hh.core.redis.pttl(key)) !== -1) continue;
    const rest = key.slice(p.length + 1);
    if (DEPLOYMENT_KEYS.includes(rest)) continue;
    const m = /^(device|status):(.+)$/.exec(rest);
    if (m) {
      const [, queue, tail] = m as unknown as [string, string, string];
      if (QUEUE_KEYS.has(tail)) continue;
      const jobId = tail.replace(/:logs$/, '');
      if (!jobId.includes(':') && (await queues[queue]!.getJobState(jobId)) !== 'unknown') continue;
    }
    bad.push(`${key} (${await hh.core.redis.type(key)})`);
  }
  return bad;
}

describe('5. keys are bounded', () => {
  it('after refunds and reprints: claimed and children of the charge have a TTL, a printed reprint\'s record and audit too', async () => {
    const orderId = `bk-${Date.now()}`;
    const c = await h.producer.enqueueCharge(charge(orderId, 100, 'A01'));
    await h.waitForState(c.operation.id, ['paid']);
    const r1 = await h.producer.enqueueRefund(refund(orderId, `${orderId}-r1`, 30));
    const r2 = await h.producer.enqueueRefund(refund(orderId, `${orderId}-r2`, 70));
    const inv = await h.producer.enqueueInvoiceReprint({ store_uid: STORE_UID, order_id: orderId, reprint_id: `${orderId}-p1`, type: 1 });
    const sig = await h.producer.enqueueSignatureReprint({ store_uid: STORE_UID, order_id: orderId, reprint_id: `${orderId}-p2` });
    for (const op of [r1, r2]) await h.waitForState(op.operation.id, ['refunded']);
    for (const op of [inv, sig]) await h.waitForState(op.operation.id, ['printed']);
    expect((await h.core.store.get(c.operation.id))!.state).toBe('refunded');

    const k = h.core.store.keys;
    const ttl = (key: string) => h.core.redis.pttl(key);
    expect(await h.core.redis.scard(k.claimed(c.operation.id))).toBe(2);
    expect(await ttl(k.claimed(c.operation.id))).toBeGreaterThan(0);
    expect(await h.core.redis.scard(k.children(c.operation.id))).toBe(4);
    expect(await ttl(k.children(c.operation.id))).toBeGreaterThan(0);
    for (const op of [c, r1, r2, inv, sig]) {
      expect(await ttl(k.op(op.operation.id)), op.operation.id).toBeGreaterThan(0);
      expect(await ttl(k.audit(op.operation.id)), `audit ${op.operation.id}`).toBeGreaterThan(0);
    }
    // The reprint's events after `printed` (final audit entry, the terminal handed on after the
    // print cool-down) keep its TTL.
    await expect.poll(() => h.core.store.leaseHolder(STORE_UID, 'A01')).toBeNull();
    for (const op of [inv, sig]) expect(await ttl(k.audit(op.operation.id))).toBeGreaterThan(0);
  });

  it('a full mixed workload leaves no key without a TTL outside the documented per-deployment allowlist', async () => {
    const run = Date.now();
    const o = (n: string) => `mix-${run}-${n}`;
    const ids: string[] = [];
    const add = async (p: Promise<{ operation: { id: string } }>) => ids.push((await p).operation.id);

    // Charges of several simulated outcomes.
    for (const [i, cost] of [100, 151, 152, 153, 155, 156, 157, 158, 161].entries()) await add(h.producer.enqueueCharge(charge(o(`c${cost}`), cost, `A0${(i % 9) + 1}`)));
    // A charge refused as invalid data by the gateway (unknown terminal), one whose store has no key.
    await add(h.producer.enqueueCharge(charge(o('bad-device'), 100, 'Q99')));
    await add(h.producer.enqueueCharge({ ...charge(o('no-key'), 100, 'A01'), store_uid: '289151889999' }));
    // An unknown outcome that ends not_received (5xx before the gateway acted).
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: 'A10', count: 1, when: 'before' });
    await add(h.producer.enqueueCharge(charge(o('lost'), 100, 'A10')));
    for (const id of ids) await h.waitForState(id, FINAL, 10_000);

    // Partial and full refunds, a refund lost before the gateway acted, reprints.
    const paid = o('c100');
    await add(h.producer.enqueueRefund(refund(paid, `${paid}-r1`, 40)));
    await add(h.producer.enqueueRefund(refund(paid, `${paid}-r2`, 60)));
    const partly = o('c158');
    await add(h.producer.enqueueRefund(refund(partly, `${partly}-r1`, 58)));
    h.sim.faults.add({ kind: 'http5xx', command: 'api/posrefund', device_name: 'A08', count: 1, when: 'before' });
    await add(h.producer.enqueueRefund(refund(partly, `${partly}-r2`, 100)));
    await add(h.producer.enqueueInvoiceReprint({ store_uid: STORE_UID, order_id: paid, type: 1 }));
    await add(h.producer.enqueueSignatureReprint({ store_uid: STORE_UID, order_id: partly }));
    // A refund of a charge made at the terminal directly (not through us).
    const direct = o('direct');
    await h.gateway.send({ store_uid: STORE_UID, key: TEST_MERCHANT.key }, 'api/postransaction', { store_uid: STORE_UID, device_name: 'A09', order_id: direct, cost: '100', pfn: 'CREDITCARD' });
    await expect.poll(() => h.sim.engine.ledger.find(STORE_UID, direct)?.prc, { timeout: 5_000 }).toBe('250');
    const d = h.sim.engine.ledger.find(STORE_UID, direct)!;
    await add(h.producer.enqueueRefund({ store_uid: STORE_UID, uid: d.uid, key: d.key, order_id: direct, order_cost: 100, device_name: 'A09', refund_id: `${direct}-r1`, cost: 10 }));
    for (const id of ids) await h.waitForState(id, FINAL, 10_000);

    const states = Object.fromEntries((await h.core.store.getMany(ids)).map((op) => [op!.id, op!.state]));
    expect(Object.values(states)).toEqual(expect.arrayContaining(['paid', 'refunded', 'partially_refunded', 'declined', 'abandoned', 'needs_review', 'data_error', 'unresolved', 'rejected', 'not_received', 'printed']));
    // not_received operations are verified once more at the horizon (3 s here); wait until they are
    // closed, the janitor's index is empty and every terminal is free.
    const lost = ids.filter((id) => states[id] === 'not_received');
    expect(lost).toHaveLength(2);
    await expect.poll(async () => (await h.core.store.getMany(lost)).every((op) => op!.reverified !== undefined), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => h.core.redis.zcard(h.core.store.keys.open), { timeout: 5_000 }).toBe(0);
    await expect.poll(() => h.core.redis.zcard(h.core.store.keys.leases), { timeout: 5_000 }).toBe(0);

    expect(await unboundedKeys(h)).toEqual([]);
  });
});

describe('5. no key is re-created without a TTL', () => {
  it('a refund settling after its charge record expired does not leave a TTL-less stub of the charge', async () => {
    const orderId = `bk-gone-${Date.now()}`;
    const c = await h.producer.enqueueCharge(charge(orderId, 100, 'A02'));
    await h.waitForState(c.operation.id, ['paid']);
    // The refund is enqueued (its amount reserved on the charge) while no worker runs; then the
    // charge's record expires before the refund is handled.
    await Promise.all(h.workers.splice(0).map((w) => w.close()));
    const r = await h.producer.enqueueRefund(refund(orderId, `${orderId}-r1`, 30));
    const chargeKey = h.core.store.keys.op(c.operation.id);
    expect(await h.core.redis.hget(chargeKey, 'reserved')).toBe('30');
    await h.core.redis.del(chargeKey);
    h.startWorker();
    // The refund itself carries the order and its amount: it is verified at the gateway and done.
    expect(await h.waitForState(r.operation.id, FINAL)).toBe('refunded');
    expect(await h.core.redis.exists(chargeKey)).toBe(0);
  });
});
