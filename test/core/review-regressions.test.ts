/**
 * Findings of an adversarial review of the money-safety rework, each reproduced first (against the
 * commit before the fixes) and kept as a test: explicit retries whose earlier POST lands late, a
 * retried charge whose verification was already done, a retry's stale deadline, a hot loop at the
 * horizon, a retry request dropping out of the janitor's index, and two refunds claiming one row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRetry } from '../../src/workers/callbacks.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { serviceMs: 20 }, settings: { poll: { maxAgeMs: 3_000 } } });
  h.startWorker();
});
afterAll(async () => h?.close());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gatewayRefunds = (orderId: string) => h.sim.engine.ledger.findAll(STORE_UID, orderId).reduce((n, o) => n + o.refunds.length, 0);

async function paid(orderId: string, device: string) {
  const c = await h.producer.enqueueCharge(charge(orderId, 100, device));
  await h.waitForState(c.operation.id, ['paid']);
  return c.operation.id;
}

describe('explicit retries', () => {
  it('a retried refund whose first POST lands while the retry waits in line is not sent again (was: refunded twice, unflagged)', async () => {
    const dev = 'A07';
    const orderId = `rr-${Date.now()}`;
    const chargeId = await paid(orderId, dev);
    h.sim.faults.add({ kind: 'late', command: 'api/posrefund', device_name: dev, ms: 2_500, count: 1 });
    const { operation } = await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `r-${orderId}`, cost: 30 });
    await h.waitForState(operation.id, ['not_received']);
    // Work ahead of the retried refund on the same terminal, long enough for the late POST to land.
    h.sim.faults.add({ kind: 'latency', when: 'after', command: 'api/postransaction', device_name: dev, ms: 900, count: 3 });
    for (let i = 0; i < 3; i++) await h.producer.enqueueCharge(charge(`${orderId}-x${i}`, 10, dev));
    expect(await requestRetry(h.core, (await h.core.store.get(operation.id))!)).toEqual({ ok: true });
    const final = await h.waitForState(operation.id, ['refunded', 'needs_review', 'rejected'], 20_000);
    await sleep(500);
    const op = (await h.core.store.get(operation.id))!;
    expect(gatewayRefunds(orderId)).toBe(1);
    expect(op.sends).toBe(1);
    expect(final).toBe('refunded');
    expect(op.review).toMatch(/late row/);
    expect(await h.core.store.get(chargeId)).toMatchObject({ refunded: 30, reserved: 0 });
  });

  it('a charge retried after its late verification is verified again when its second attempt lands late (was: never)', async () => {
    const dev = 'A05';
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: dev, count: 1, when: 'before' });
    const orderId = `rv-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, dev));
    await h.waitForState(operation.id, ['not_received']);
    await expect.poll(async () => (await h.core.store.get(operation.id))!.reverified, { timeout: 10_000 }).toBeGreaterThan(0);
    h.sim.faults.add({ kind: 'late', command: 'api/postransaction', device_name: dev, ms: 2_000, count: 1 });
    expect(await requestRetry(h.core, (await h.core.store.get(operation.id))!)).toEqual({ ok: true });
    await h.waitForState(operation.id, ['paid'], 15_000);
    expect(h.sim.engine.ledger.findAll(STORE_UID, orderId)).toHaveLength(1);
    expect((await h.core.store.get(operation.id))!.review).toMatch(/late row/);
  });

  it("a retry meeting an offline terminal waits and retries with its own deadline (was: unknown at once on the first attempt's deadline)", async () => {
    const dev = 'A03';
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: dev, count: 1, when: 'before' });
    const orderId = `sd-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, dev));
    await h.waitForState(operation.id, ['not_received']);
    await sleep(2_000); // past the first attempt's retry deadline (1.5 s)
    h.sim.faults.add({ kind: 'offline', command: 'api/postransaction', device_name: dev, count: 1 });
    expect(await requestRetry(h.core, (await h.core.store.get(operation.id))!)).toEqual({ ok: true });
    await h.waitForState(operation.id, ['paid'], 10_000);
    const trail = await h.core.store.auditTrail(operation.id);
    expect(trail.filter((e) => e.event === 'request')).toHaveLength(3); // lost, offline, paid
  });

  it('a retry request keeps the operation in the janitor’s index and its record’s retention untouched (was: dropped from both)', async () => {
    const dev = 'A08';
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: dev, count: 1, when: 'before' });
    const orderId = `ix-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, dev));
    await h.waitForState(operation.id, ['not_received']);
    expect(await h.core.store.annotate(operation.id, 'not_received', { retry_requested: Date.now() }, Date.now() + 60_000)).toBe(true);
    expect(await h.core.redis.zscore(h.core.store.keys.open, operation.id)).not.toBeNull();
    expect(await h.core.redis.pttl(h.core.store.keys.op(operation.id))).toBeGreaterThan(0);
    // And the retry it asks for happens: a fresh query, then a new attempt that is paid.
    await h.core.ensureStatusJob((await h.core.store.get(operation.id))!, 0, true);
    await h.waitForState(operation.id, ['paid'], 10_000);
  });
});

describe('the horizon and the claimed rows', () => {
  it('a late verification whose queries keep failing backs off (was: ~140 queries and audit entries per second)', async () => {
    const dev = 'A06';
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: dev, count: 1, when: 'before' });
    const orderId = `hl-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, dev));
    await h.waitForState(operation.id, ['not_received']);
    const rule = h.sim.faults.add({ kind: 'http5xx', command: 'api/querydirect', when: 'before' });
    try {
      const rec = (await h.core.store.get(operation.id))!;
      await sleep(Math.max(0, rec.unknown_at! + 3_000 - Date.now()) + 1_000);
      const n1 = await h.core.redis.xlen(h.core.store.keys.audit(operation.id));
      await sleep(2_000);
      const n2 = await h.core.redis.xlen(h.core.store.keys.audit(operation.id));
      // At most one query (one audit entry) per reconciliation interval (200 ms in these settings).
      expect((n2 - n1) / 2).toBeLessThanOrEqual(1_000 / 200 + 1);
    } finally {
      h.sim.faults.remove(rule.id);
    }
  });

  it('one gateway refund row settles one refund of ours: a second refund naming it is refused and keeps looking', async () => {
    const orderId = `cl-${Date.now()}`;
    const chargeId = await paid(orderId, 'A09');
    const k = h.core.store.keys;
    const base = { kind: 'refund', lane: 'live', store: STORE_UID, device: 'Z1', fp: 'f', req: '{}', created: '1', updated: '1', state: 'accepted', cost: '30', charge: chargeId, order_id: orderId };
    await h.core.redis.hset(k.op(chargeId), 'reserved', 60);
    for (const id of ['rA', 'rB']) await h.core.redis.hset(k.op(`${id}-${orderId}`), { ...base, id: `${id}-${orderId}` });
    const fin = (id: string) => h.core.store.finish({ id: `${id}-${orderId}`, store: STORE_UID, device: 'Z1', kind: 'refund', charge: chargeId }, 'refunded', {
      expect: ['accepted'], now: Date.now(), nextLeaseUntil: Date.now(), settleRefund: 'refunded', refundUid: 'SAME',
    });
    expect(await fin('rA')).toMatchObject({ ok: true });
    expect(await fin('rB')).toMatchObject({ ok: false, state: 'claimed' });
    expect(await h.core.store.get(chargeId)).toMatchObject({ refunded: 30, reserved: 30 });
    expect((await h.core.store.get(`rB-${orderId}`))!.state).toBe('accepted');
  });
});
