/**
 * DESIGN.md §3.2 "No double charge": a charge whose POST may have reached the gateway is never
 * re-sent before a query has shown the order unknown to the gateway after the terminal window.
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

  it('5xx before processing → query shows the order unknown → resent once, not before the terminal window', async () => {
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: 'A03', count: 1, when: 'before' });
    const orderId = `lost-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A03'));
    await h.waitForState(operation.id, ['paid']);
    const posts = chargePosts(orderId);
    expect(posts).toHaveLength(2);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(FAST_SETTINGS.poll!.terminalWindowMs!);
    // Between the two POSTs, at least one query saw the order unknown.
    const queries = h.sim.journal(0, 100_000).filter((e) => e.cmd === 'api/querydirect' && (e.request as { order_id?: string }).order_id === orderId && e.at > posts[0]!.at && e.at < posts[1]!.at);
    expect(queries.length).toBeGreaterThan(0);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
    expect((await h.producer.getOperation(operation.id))!.resends).toBe(1);
  });

  it('a gateway that never learns of the order → resends are capped, then unresolved', async () => {
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: 'A04', count: 10, when: 'before' });
    const orderId = `never-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A04'));
    await h.waitForState(operation.id, ['unresolved'], 10_000);
    expect(chargePosts(orderId)).toHaveLength(1 + 2); // first + maxResends (default 2)
    expect(h.sim.engine.stats.chargePosts[orderId]).toBeUndefined();
  });

  it('a malformed answer after processing is outcome-unknown too → one POST, paid', async () => {
    h.sim.faults.add({ kind: 'malformed', command: 'api/postransaction', device_name: 'A05', count: 1 });
    const orderId = `malformed-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A05'));
    await h.waitForState(operation.id, ['paid']);
    expect(chargePosts(orderId)).toHaveLength(1);
  });

  it('a resend that is refused (terminal offline until the deadline) is never "failed": only a query settles it', async () => {
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: 'A06', count: 1, when: 'before' });
    const orderId = `refused-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A06'));
    await h.waitForState(operation.id, ['unknown']);
    h.sim.setOnline('A06', false);
    try {
      await h.waitForState(operation.id, ['unresolved', 'failed', 'rejected'], 15_000);
    } finally {
      h.sim.setOnline('A06', true);
    }
    const rec = (await h.producer.getOperation(operation.id))!;
    expect(rec.state).toBe('unresolved');
    expect(rec.resends).toBe(2);
    const trail = await h.core.store.auditTrail(operation.id);
    expect(trail.filter((e) => e.event === 'answer' && JSON.stringify(e.data).includes('未連線')).length).toBeGreaterThan(1);
  });
});
