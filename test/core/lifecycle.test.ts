/**
 * Orchestrator core against real Redis and the simulator over HTTP (issue #4).
 * Simulator outcomes by amount suffix are documented in docs/SIMULATOR.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyConflictError, RefundBalanceError } from '../../src/producers/index.js';
import { ValidationError } from '../../src/domain/validation.js';
import { operationId } from '../../src/store/keys.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { serviceMs: 30 } });
  h.startWorker();
});
afterAll(async () => h?.close());

const stats = () => h.sim.engine.stats;

describe('charges end in the state their prc says', () => {
  it.each([
    [100, 'paid', '250'],
    [151, 'declined', '300'],
    [152, 'abandoned', 'A0002'],
    [153, 'paid', '250'], // A0001 then 250
    [154, 'declined', '300'], // A0001 then 300
    [155, 'needs_review', '290'],
    [157, 'data_error', '100'],
    [158, 'paid', '250'], // 400 then 250
    [159, 'paid', '250|600'], // 250 then 600: both success; final at the first one seen
    [161, 'paid', '250'], // 280 then 250
  ])('amount %i → %s', async (cost, state, prc) => {
    const orderId = `o-${cost}-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, cost, `A0${(cost % 9) + 1}`));
    expect(operation.state).toBe('queued');
    await h.waitForState(operation.id, [state]);
    const rec = (await h.producer.getOperation(operation.id))!;
    expect(prc.split('|')).toContain(rec.prc);
    if (state === 'paid') {
      expect(rec.uid).toBeTruthy();
      expect(rec.key).toBe('[redacted]');
    }
    expect(stats().chargePosts[orderId]).toBe(1);
  });

  it('a charge that stays pending (or answers an unknown prc) ends unresolved at the horizon, never paid', async () => {
    const a = await h.producer.enqueueCharge(charge(`pend-${Date.now()}`, 156, 'A05'));
    const b = await h.producer.enqueueCharge(charge(`unk-${Date.now()}`, 162, 'A06'));
    await h.waitForState(a.operation.id, ['unresolved'], 15_000);
    await h.waitForState(b.operation.id, ['unresolved'], 15_000);
    const rec = (await h.producer.getOperation(b.operation.id))!;
    expect(rec.unknown_prc).toBe('265');
    expect(rec.polls).toBeGreaterThan(3);
  });
});

describe('idempotency', () => {
  it('the same order twice is one charge; other parameters are a conflict', async () => {
    const orderId = `idem-${Date.now()}`;
    const first = await h.producer.enqueueCharge(charge(orderId, 100, 'A07'));
    const again = await h.producer.enqueueCharge(charge(orderId, 100, 'A07'));
    expect(again.created).toBe(false);
    expect(again.operation.id).toBe(first.operation.id);
    await expect(h.producer.enqueueCharge(charge(orderId, 200, 'A07'))).rejects.toBeInstanceOf(IdempotencyConflictError);
    await h.waitForState(first.operation.id, ['paid']);
    expect(stats().chargePosts[orderId]).toBe(1);
  });

  it('bad input names the field and writes nothing', async () => {
    const before = await h.core.redis.dbsize();
    const err = await h.producer.enqueueCharge({ ...charge(`bad-${Date.now()}`, 100), cost: -5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.field)).toContain('cost');
    expect(await h.core.redis.dbsize()).toBe(before);
  });
});

describe('follow-up', () => {
  it('a first poll due within inlineWaitMs runs in the device job: one job per fast payment, its log has the poll', async () => {
    const orderId = `inline-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A08'));
    await h.waitForState(operation.id, ['paid']);
    expect(await h.core.statusQueue.getJob(`${operation.id}.status`)).toBeUndefined();
    const { logs } = await h.core.deviceQueue.getJobLogs(operation.id);
    expect(logs.join('\n')).toMatch(/poll \d+: prc 250 → paid/);
  });
});

describe('bulk charges', () => {
  it('enqueueCharges: outcomes in order, bad inputs named, lines kept in input order per terminal', async () => {
    const run = Date.now();
    const inputs = [
      charge(`bc-${run}-1`, 100, 'A09'),
      { ...charge(`bc-${run}-2`, 100, 'A09'), cost: 0 },
      charge(`bc-${run}-3`, 100, 'A09'),
      charge(`bc-${run}-1`, 999, 'A09'), // same order, other amount: conflict
    ];
    const out = await h.producer.enqueueCharges(inputs);
    expect(out.map((o) => (o.ok ? 'ok' : o.error.name))).toEqual(['ok', 'ValidationError', 'ok', 'IdempotencyConflictError']);
    const ids = out.flatMap((o) => (o.ok ? [o.result.operation.id] : []));
    for (const id of ids) await h.waitForState(id, ['paid']);
    const ops = await h.core.store.getMany(ids);
    expect(ops[0]!.first_sent!).toBeLessThanOrEqual(ops[1]!.first_sent!);
    expect(h.sim.engine.stats.chargePosts[`bc-${run}-2`]).toBeUndefined();
  });
});

describe('refunds', () => {
  it('partial refunds add up, the balance is enforced, a refund id is idempotent', async () => {
    const orderId = `rf-${Date.now()}`;
    const c = await h.producer.enqueueCharge(charge(orderId, 100, 'A08'));
    await h.waitForState(c.operation.id, ['paid']);
    const r1 = await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r1`, cost: 30 });
    const r2 = await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r2`, cost: 60 });
    await expect(h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r3`, cost: 11 })).rejects.toBeInstanceOf(RefundBalanceError);
    await expect(h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r1`, cost: 31 })).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect((await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r1`, cost: 30 })).created).toBe(false);
    await h.waitForState(r1.operation.id, ['refunded']);
    await h.waitForState(r2.operation.id, ['refunded']);
    const pay = (await h.producer.getPayment(STORE_UID, orderId))!;
    expect(pay.state).toBe('partially_refunded');
    expect(pay.refunded_amount).toBe(90);
    const r3 = await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r3`, cost: 10 });
    await h.waitForState(r3.operation.id, ['refunded']);
    expect((await h.producer.getPayment(STORE_UID, orderId))!.state).toBe('refunded');
    const r1rec = (await h.producer.getOperation(r1.operation.id))!;
    const r2rec = (await h.producer.getOperation(r2.operation.id))!;
    expect(r1rec.refund_uid).toBeTruthy();
    expect(r1rec.refund_uid).not.toBe(r2rec.refund_uid);
  });

  it('enqueueRefunds: one outcome per input, in order; errors stay per refund; replays are idempotent', async () => {
    const orderId = `bulk-${Date.now()}`;
    const c = await h.producer.enqueueCharge(charge(orderId, 100, 'A03'));
    await h.waitForState(c.operation.id, ['paid']);
    const inputs = [
      { store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-a`, cost: 60, lane: 'bulk' as const },
      { store_uid: STORE_UID, order_id: 'no-such-order', refund_id: `${orderId}-b`, cost: 1 },
      { store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-c`, cost: 50 }, // 60 + 50 > 100
      { store_uid: STORE_UID, order_id: orderId, refund_id: '', cost: 1 },
      { store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-d`, cost: 40 },
    ];
    const out = await h.producer.enqueueRefunds(inputs);
    expect(out.map((o) => (o.ok ? 'ok' : o.error.name))).toEqual(['ok', 'ValidationError', 'RefundBalanceError', 'ValidationError', 'ok']);
    expect(out[1]!.ok ? '' : out[1]!.error.message).toMatch(/order_id/);
    expect(out[3]!.ok ? '' : out[3]!.error.message).toMatch(/refund_id/);
    const again = await h.producer.enqueueRefunds([inputs[0]!, inputs[4]!]);
    expect(again.map((o) => o.ok && o.result.created)).toEqual([false, false]);
    for (const o of out.filter((x) => x.ok)) await h.waitForState(o.ok ? o.result.operation.id : '', ['refunded']);
    expect((await h.producer.getPayment(STORE_UID, orderId))!.state).toBe('refunded');
  });

  it('a declined charge cannot be refunded', async () => {
    const orderId = `rfd-${Date.now()}`;
    const c = await h.producer.enqueueCharge(charge(orderId, 151, 'A09'));
    await h.waitForState(c.operation.id, ['declined']);
    await expect(h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r`, cost: 10 })).rejects.toThrow(/order_id/);
  });
});

describe('reprints', () => {
  it('invoice and signature reprints are sent with the charge uid/key and end printed', async () => {
    const orderId = `rp-${Date.now()}`;
    const c = await h.producer.enqueueCharge(charge(orderId, 100, 'A10'));
    await h.waitForState(c.operation.id, ['paid']);
    const inv = await h.producer.enqueueInvoiceReprint({ store_uid: STORE_UID, order_id: orderId, type: 1 });
    const sig = await h.producer.enqueueSignatureReprint({ store_uid: STORE_UID, order_id: orderId, receipt_type: 1 });
    await h.waitForState(inv.operation.id, ['printed']);
    await h.waitForState(sig.operation.id, ['printed']);
    expect(stats().busyViolations).toBe(0);
  });
});

describe('terminal lines', () => {
  it('serve one operation at a time, in enqueue order, with no busy violations', async () => {
    const ids: string[] = [];
    // The queue paused while the line fills, so the view below is not racing a fast terminal (a
    // paused worker would not do: a blocking fetch already in flight still takes the first job).
    await h.core.deviceQueue.pause();
    try {
      for (let i = 0; i < 8; i++) ids.push((await h.producer.enqueueCharge(charge(`fifo-${Date.now()}-${i}`, 100, 'A02'))).operation.id);
      const view = await h.core.store.terminal(STORE_UID, 'A02');
      expect(view.in_flight).toBe(ids[0]);
      expect(view.waiting).toBe(7);
      expect(view.waiting_live).toEqual(ids.slice(1));
    } finally {
      await h.core.deviceQueue.resume();
    }
    for (const id of ids) await h.waitForState(id, ['paid']);
    const ops = await h.core.store.getMany(ids);
    const sent = ops.map((o) => o!.first_sent!);
    expect([...sent].sort((a, b) => a - b)).toEqual(sent);
    expect(stats().busyViolations).toBe(0);
  });

  it('an offline terminal is retried at the head of its line, then fails at the deadline', async () => {
    h.sim.setOnline('A03', false);
    const a = await h.producer.enqueueCharge(charge(`off-${Date.now()}`, 100, 'A03'));
    await h.waitForState(a.operation.id, ['failed'], 5_000);
    const rec = (await h.producer.getOperation(a.operation.id))!;
    expect(rec.message).toMatch(/未連線/);
    expect(rec.posts).toBeGreaterThan(1);
    h.sim.setOnline('A03', true);
  });

  it('operation ids are the idempotency keys', () => {
    expect(operationId('charge', STORE_UID, 'a:b.c')).toBe(`charge.${STORE_UID}.a%3Ab%2Ec`);
  });
});

describe('look-ups and hints', () => {
  it('an order shows its refunds and reprints; refund items must be items of the charge', async () => {
    const orderId = `view-${Date.now()}`;
    const items = [{ id: '1', name: '拿鐵', cost: 60, amount: 1, total: 60 }, { id: '2', name: '貝果', cost: 40, amount: 1, total: 40 }];
    const c = await h.producer.enqueueCharge(charge(orderId, 100, 'A04', { items }));
    await h.waitForState(c.operation.id, ['paid']);
    await expect(h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-x`, cost: 40, items: [{ id: '9', name: '蛋糕', cost: 40, amount: 1, total: 40 }] }))
      .rejects.toThrow(/items\.0\.name/);
    const r = await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r`, cost: 40, items: [items[1]!] });
    const p = await h.producer.enqueueSignatureReprint({ store_uid: STORE_UID, order_id: orderId });
    await h.waitForState(r.operation.id, ['refunded']);
    await h.waitForState(p.operation.id, ['printed']);
    const view = (await h.producer.getOrder(STORE_UID, orderId))!;
    expect(view.payment.state).toBe('partially_refunded');
    expect(view.refunds.map((x) => x.id)).toEqual([r.operation.id]);
    expect(view.reprints.map((x) => x.id)).toEqual([p.operation.id]);
    expect(JSON.stringify(view)).not.toMatch(/"key":"(?!\[redacted\])/);
  });

  it('an unresolved charge is settled by a later recheck once the gateway knows the outcome', async () => {
    const { recheckOperation } = await import('../../src/workers/callbacks.js');
    const orderId = `late-${Date.now()}`;
    h.sim.script(orderId, [{ prc: 'A0001' }, { prc: '250', afterMs: 4_500 }]); // paid after our 3 s horizon
    const c = await h.producer.enqueueCharge(charge(orderId, 100, 'A07'));
    await h.waitForState(c.operation.id, ['unresolved'], 10_000);
    expect(await recheckOperation(h.core, (await h.core.store.get(c.operation.id))!)).toBe('queried');
    // Still A0001 at the gateway: a recheck changes nothing.
    await expect.poll(async () => (await h.core.store.auditTrail(c.operation.id)).some((e) => e.event === 'query' && (e.data as { recheck?: boolean }).recheck)).toBe(true);
    expect((await h.core.store.get(c.operation.id))!.state).toBe('unresolved');
    await new Promise((r) => setTimeout(r, 2_000));
    await recheckOperation(h.core, (await h.core.store.get(c.operation.id))!);
    await h.waitForState(c.operation.id, ['paid']);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
  });

  it('a callback hint makes the status query run now and changes nothing by itself', async () => {
    const { handleCallbackHint } = await import('../../src/workers/callbacks.js');
    expect(await handleCallbackHint(h.core, { store_uid: STORE_UID, order_id: 'no-such-order' })).toBe('unknown_order');
    const orderId = `hint-${Date.now()}`;
    const c = await h.producer.enqueueCharge(charge(orderId, 156, 'A06')); // stays pending
    await h.waitForState(c.operation.id, ['pending']);
    const before = (await h.producer.getOperation(c.operation.id))!;
    expect(await handleCallbackHint(h.core, { store_uid: STORE_UID, order_id: orderId })).toBe('queried');
    expect((await h.producer.getOperation(c.operation.id))!.state).toBe(before.state);
  });
});
