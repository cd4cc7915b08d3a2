/**
 * No double charge (docs/CORE.md): a charge whose POST may have reached the gateway is never re-sent
 * automatically. Only a query settles it; no trace a whole terminal window later → `not_received`,
 * and starting again is an explicit retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_SETTINGS, charge, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { serviceMs: 20 } });
  h.startWorker();
});
afterAll(async () => h?.close());

const chargePosts = (orderId: string) => h.sim.journal(0, 100_000).filter((e) => e.cmd === 'api/postransaction' && (e.request as { order_id?: string }).order_id === orderId);

describe('outcome unknown', () => {
  it('connection reset after the charge was processed → one charge POST, found by query, paid', async () => {
    h.sim.faults.add({ kind: 'reset', command: 'api/postransaction', device_name: 'A01', count: 1 });
    const orderId = `reset-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A01'));
    await h.waitForState(operation.id, ['paid']);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
    expect(chargePosts(orderId)).toHaveLength(1);
    expect(h.sim.engine.stats.duplicateChargePosts[orderId]).toBeUndefined();
    // The final event is appended right after the state change.
    await expect.poll(async () => (await h.core.store.auditTrail(operation.id)).map((e) => e.event)).toEqual(expect.arrayContaining(['request', 'answer', 'query', 'final']));
    const trail = await h.core.store.auditTrail(operation.id);
    expect(trail.find((e) => e.event === 'answer')!.data).toMatchObject({ error: 'outcome_unknown' });
  });

  it('a hang (answer timeout) after processing → one POST, paid', async () => {
    h.sim.faults.add({ kind: 'hang', command: 'api/postransaction', device_name: 'A02', count: 1 });
    const orderId = `hang-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A02'));
    await h.waitForState(operation.id, ['paid']);
    expect(chargePosts(orderId)).toHaveLength(1);
  });

  it('5xx before processing → never resent: not_received a terminal window later; an explicit retry pays it with one acted-on POST', async () => {
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: 'A03', count: 1, when: 'before' });
    const orderId = `lost-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A03'));
    await h.waitForState(operation.id, ['not_received']);
    const posts = chargePosts(orderId);
    expect(posts).toHaveLength(1);
    // The verdict came from a query asked a whole terminal window after the outcome became unknown.
    const rec = (await h.core.store.get(operation.id))!;
    const queries = h.sim.journal(0, 100_000).filter((e) => e.cmd === 'api/querydirect' && (e.request as { order_id?: string }).order_id === orderId);
    expect(queries.at(-1)!.at - rec.unknown_at!).toBeGreaterThanOrEqual(FAST_SETTINGS.poll!.terminalWindowMs! - 5);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBeUndefined();
    // Starting again is an explicit act: a fresh query first, then a new attempt.
    const { requestRetry } = await import('../../src/workers/callbacks.js');
    expect(await requestRetry(h.core, rec)).toEqual({ ok: true });
    await h.waitForState(operation.id, ['paid']);
    expect(chargePosts(orderId).map((e) => e.status), JSON.stringify(await h.core.store.auditTrail(operation.id))).toHaveLength(2);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
    expect((await h.producer.getOperation(operation.id))!.attempt).toBe(2);
    // A retry of anything else is refused.
    expect(await requestRetry(h.core, (await h.core.store.get(operation.id))!)).toMatchObject({ ok: false, state: 'paid' });
  });

  it('a gateway that never learns of the order → one POST, not_received, verified again at the horizon', async () => {
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: 'A04', count: 10, when: 'before' });
    const orderId = `never-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A04'));
    await h.waitForState(operation.id, ['not_received'], 10_000);
    await expect.poll(async () => (await h.core.store.get(operation.id))!.reverified, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(chargePosts(orderId)).toHaveLength(1);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBeUndefined();
    // The terminal was handed on: the next charge on A04 is served.
    h.sim.faults.clear();
    const next = await h.producer.enqueueCharge(charge(`${orderId}-next`, 100, 'A04'));
    await h.waitForState(next.operation.id, ['paid']);
  });

  it('a malformed answer after processing is outcome-unknown too → one POST, paid', async () => {
    h.sim.faults.add({ kind: 'malformed', command: 'api/postransaction', device_name: 'A05', count: 1 });
    const orderId = `malformed-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A05'));
    await h.waitForState(operation.id, ['paid']);
    expect(chargePosts(orderId)).toHaveLength(1);
  });

  it('a charge the gateway processes after the client gave up (within the window) is found by query: one POST, paid', async () => {
    h.sim.faults.add({ kind: 'late', command: 'api/postransaction', device_name: 'A06', ms: 1_150, count: 1 });
    const orderId = `late-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A06'));
    await h.waitForState(operation.id, ['paid']);
    expect(chargePosts(orderId)).toHaveLength(1);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
  });
});
