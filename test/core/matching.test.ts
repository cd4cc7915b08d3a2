/**
 * Issue #13, items 1, 2 and 7 (second half): a gateway row is ours only with proof, against real
 * Redis and the simulator over HTTP.
 * 1. An order id reused after its record expired is never marked paid from the old order.
 * 2. A lost refund is never reported done with someone else's (a portal refund's) row.
 * 7b. A refund of a charge we did not make is checked against the gateway's refundable balance
 *     before its POST.
 * Simulator behaviour (repeated order ids, faults, amount suffixes) is in docs/SIMULATOR.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { ValidationError } from '../../src/domain/validation.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';

const MERCHANT = { store_uid: STORE_UID, key: TEST_MERCHANT.key };
const FINAL = ['paid', 'refunded', 'partially_refunded', 'needs_review', 'rejected', 'not_received', 'unresolved', 'failed', 'declined', 'data_error'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What expiry leaves of an operation (DEL the record and the keys that expire with it) — the
 * tombstone `{p}:tomb:<store>:<order_id>` is kept. Its BullMQ jobs go too (they are removed long
 * before a record expires).
 */
async function forgetRecord(h: Harness, opId: string): Promise<void> {
  const k = h.core.store.keys;
  const op = await h.core.store.get(opId);
  const keys = [k.op(opId), k.audit(opId), k.children(opId), k.claimed(opId)];
  if (op?.uid) keys.push(k.uid(op.store, op.uid));
  await h.core.redis.del(...keys);
  for (const job of [await h.core.deviceQueue.getJob(opId), await h.core.statusQueue.getJob(`${opId}.status`)]) await job?.remove();
}

/** The simulator's orders of an order id, oldest first. */
const simOrders = (h: Harness, orderId: string) => h.sim.engine.ledger.findAll(STORE_UID, orderId);

/** Makes the gateway's earlier orders of `orderId` as old as a reused id's first use really is (over a year). */
function ageSimOrders(h: Harness, orderId: string): void {
  for (const o of simOrders(h, orderId)) if (o.finishedAt !== undefined) o.finishedAt -= 500 * 86_400_000;
}

async function payCharge(h: Harness, orderId: string, cost: number, device: string) {
  const { operation } = await h.producer.enqueueCharge(charge(orderId, cost, device));
  await h.waitForState(operation.id, ['paid']);
  return (await h.core.store.get(operation.id))!;
}

describe('1. an order id reused after its record expired (gateway refuses repeated order ids)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sim: { serviceMs: 20 } });
    h.startWorker();
  });
  afterAll(async () => h?.close());

  it('the tombstone survives the record: the same order_id is refused at enqueue, naming order_id; nothing is written or sent', async () => {
    const orderId = `reuse-tomb-${Date.now()}`;
    const first = await payCharge(h, orderId, 100, 'A01');
    const tomb = h.core.store.keys.tombstone(STORE_UID, orderId);
    expect(await h.core.redis.pttl(tomb)).toBeGreaterThan(0);
    await forgetRecord(h, first.id);
    expect(await h.core.redis.exists(tomb)).toBe(1);

    const err = await h.producer.enqueueCharge(charge(orderId, 100, 'A01')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const issue = (err as ValidationError).issues[0]!;
    expect(issue.field).toBe('order_id');
    expect(issue.message).toMatch(/already used/);
    expect(await h.core.redis.exists(h.core.store.keys.op(first.id))).toBe(0);
    await sleep(200);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
    expect(h.sim.engine.stats.duplicateChargePosts[orderId]).toBeUndefined();
  });

  it('tombstone gone too: the gateway refuses the POST (訂單編號已存在) → rejected with that reason, never paid, never the old uid/key', async () => {
    const orderId = `reuse-gone-${Date.now()}`;
    const first = await payCharge(h, orderId, 100, 'A02');
    await forgetRecord(h, first.id);
    await h.core.redis.del(h.core.store.keys.tombstone(STORE_UID, orderId));

    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A02'));
    expect(operation.id).toBe(first.id);
    const state = await h.waitForState(operation.id, FINAL);
    const rec = (await h.core.store.get(operation.id))!;
    expect(state).toBe('rejected');
    expect(rec.msg).toMatch(/訂單編號.*已存在/);
    expect(rec.uid).toBeUndefined();
    expect(rec.key).toBeUndefined();
    expect(rec.prc).toBeUndefined();
    // Still rejected a while later: no follow-up turns it into the old order's outcome.
    await sleep(500);
    expect((await h.core.store.get(operation.id))!.state).toBe('rejected');
    const finals = (await h.core.store.auditTrail(operation.id)).filter((e) => e.event === 'final');
    expect(finals.map((e) => (e.data as { state: string }).state)).toEqual(['rejected']);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
    expect(h.sim.engine.stats.duplicateChargePosts[orderId]).toBe(1);
    expect(await h.core.store.chargeIdByUid(STORE_UID, first.uid!)).toBeNull();
  });
});

describe('1. an order id reused after its record expired (gateway accepts repeated order ids)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sim: { serviceMs: 20, duplicateOrders: 'accept' } });
    h.startWorker();
  });
  afterAll(async () => h?.close());

  async function reuse(orderId: string, device: string) {
    const first = await payCharge(h, orderId, 300, device);
    ageSimOrders(h, orderId);
    await forgetRecord(h, first.id);
    await h.core.redis.del(h.core.store.keys.tombstone(STORE_UID, orderId));
    return first;
  }

  it('the new charge is matched to its own row: its own uid and key, not the old order\'s', async () => {
    const orderId = `reuse-accept-${Date.now()}`;
    const first = await reuse(orderId, 'A03');
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 300, 'A03'));
    expect(await h.waitForState(operation.id, FINAL)).toBe('paid');
    const rec = (await h.core.store.get(operation.id))!;
    const [old, mine] = simOrders(h, orderId);
    expect(old!.uid).toBe(first.uid);
    expect(mine).toBeDefined();
    expect(rec.uid).toBe(mine!.uid);
    expect(rec.uid).not.toBe(first.uid);
    expect(rec.key).toBe(mine!.key);
    expect(await h.core.store.chargeIdByUid(STORE_UID, mine!.uid)).toBe(operation.id);
  });

  it('outcome unknown (reset after the gateway acted): the query shows both orders; ours is the new one', async () => {
    const orderId = `reuse-reset-${Date.now()}`;
    const first = await reuse(orderId, 'A04');
    h.sim.faults.add({ kind: 'reset', command: 'api/postransaction', device_name: 'A04', count: 1 });
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 300, 'A04'));
    expect(await h.waitForState(operation.id, FINAL)).toBe('paid');
    const rec = (await h.core.store.get(operation.id))!;
    expect(simOrders(h, orderId)).toHaveLength(2);
    expect(rec.uid).toBe(simOrders(h, orderId)[1]!.uid);
    expect(rec.uid).not.toBe(first.uid);
  });

  it('our POST lost before the gateway acted: only the old order is there → never paid from it (needs_review, not the old uid)', async () => {
    const orderId = `reuse-lost-${Date.now()}`;
    const first = await reuse(orderId, 'A05');
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: 'A05', count: 1, when: 'before' });
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 300, 'A05'));
    const state = await h.waitForState(operation.id, FINAL);
    const rec = (await h.core.store.get(operation.id))!;
    expect(state).not.toBe('paid');
    expect(state).toBe('needs_review');
    expect(rec.review).toMatch(/another order under this order_id/);
    expect(rec.uid).not.toBe(first.uid);
    expect(rec.key).toBeUndefined();
    expect(simOrders(h, orderId)).toHaveLength(1);
  });
});

describe('2. a lost refund is not reported as done', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sim: { serviceMs: 20 } });
    h.startWorker();
  });
  afterAll(async () => h?.close());

  it('a portal refund, then ours of the same amount lost before the gateway acted → not_received, not the portal\'s row; the charge\'s refunded amount unchanged', async () => {
    const orderId = `lost-refund-${Date.now()}`;
    const paid = await payCharge(h, orderId, 100, 'A06');
    // The merchant refunds 30 in the portal: straight to the gateway, not through us.
    await h.gateway.send(MERCHANT, 'api/posrefund', { store_uid: STORE_UID, uid: paid.uid, key: paid.key, cost: '30', device_name: 'A07' });
    await expect.poll(() => simOrders(h, orderId)[0]!.refunds.map((r) => r.prc), { timeout: 5_000 }).toEqual(['230']);
    const portalUid = simOrders(h, orderId)[0]!.refunds[0]!.uid;

    // Our refund of the same amount: its POST fails before the gateway acted.
    h.sim.faults.add({ kind: 'http5xx', command: 'api/posrefund', device_name: 'A06', count: 1, when: 'before' });
    const { operation } = await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r1`, cost: 30 });
    const state = await h.waitForState(operation.id, ['refunded', 'not_received', 'needs_review', 'rejected', 'failed', 'unresolved']);
    const rec = (await h.core.store.get(operation.id))!;
    expect(state).not.toBe('refunded');
    expect(['not_received', 'needs_review']).toContain(state);
    expect(rec.refund_uid).not.toBe(portalUid);
    expect(await h.core.store.claimedRefundUids(rec)).not.toContain(portalUid);
    // The gateway did not act on ours: one refund (the portal's) on the order.
    expect(simOrders(h, orderId)[0]!.refunds).toHaveLength(1);
    const refundPosts = h.sim.journal(0, 100_000).filter((e) => e.cmd === 'api/posrefund' && (e.request as { uid?: string }).uid === paid.uid);
    expect(refundPosts.map((e) => e.acted)).toEqual([true, false]);

    let charge = (await h.core.store.get(paid.id))!;
    expect(charge.state).toBe('paid');
    expect(charge.refunded ?? 0).toBe(0);
    // At the reconciliation horizon the late verification still finds nothing: the reservation is freed.
    await expect.poll(async () => (await h.core.store.get(operation.id))!.reverified, { timeout: 8_000 }).toBeDefined();
    expect((await h.core.store.get(operation.id))!.state).toBe('not_received');
    charge = (await h.core.store.get(paid.id))!;
    expect(charge.state).toBe('paid');
    expect(charge.refunded ?? 0).toBe(0);
    expect(charge.reserved ?? 0).toBe(0);
  });
});

describe('7. a refund of a charge we did not make is checked against the gateway\'s balance before its POST', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sim: { serviceMs: 20 } });
    h.startWorker();
  });
  afterAll(async () => h?.close());

  it('an over-refund ends rejected with the balance, and no refund POST of ours reaches the gateway; one within the balance is refunded', async () => {
    const orderId = `foreign-${Date.now()}`;
    // A charge made at the terminal directly (not through us).
    await h.gateway.send(MERCHANT, 'api/postransaction', { store_uid: STORE_UID, device_name: 'A08', order_id: orderId, cost: '100', pfn: 'CREDITCARD' });
    await expect.poll(() => simOrders(h, orderId)[0]?.prc, { timeout: 5_000 }).toBe('250');
    const { uid, key } = simOrders(h, orderId)[0]!;
    // 70 of it refunded in the portal: 30 left.
    await h.gateway.send(MERCHANT, 'api/posrefund', { store_uid: STORE_UID, uid, key, cost: '70', device_name: 'A08' });
    await expect.poll(() => simOrders(h, orderId)[0]!.refunds.map((r) => r.prc), { timeout: 5_000 }).toEqual(['230']);
    const ours = { store_uid: STORE_UID, uid, key, order_id: orderId, order_cost: 100, device_name: 'A08' };
    const refundPosts = () => h.sim.journal(0, 100_000).filter((e) => e.cmd === 'api/posrefund' && (e.request as { uid?: string }).uid === uid);

    const over = await h.producer.enqueueRefund({ ...ours, refund_id: `${orderId}-over`, cost: 50 });
    expect(await h.waitForState(over.operation.id, FINAL)).toBe('rejected');
    expect(refundPosts()).toHaveLength(1); // the portal's only
    expect((await h.core.store.get(over.operation.id))!.msg).toMatch(/refundable balance.*NT\$30/);

    const within = await h.producer.enqueueRefund({ ...ours, refund_id: `${orderId}-ok`, cost: 30 });
    expect(await h.waitForState(within.operation.id, FINAL)).toBe('refunded');
    expect(refundPosts()).toHaveLength(2);
    const rec = (await h.core.store.get(within.operation.id))!;
    expect(rec.refund_uid).toBe(simOrders(h, orderId)[0]!.refunds[1]!.uid);
  });
});
