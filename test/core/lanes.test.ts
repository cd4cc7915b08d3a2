/** Batch (bulk-lane) refunds: live operations go first on a terminal, and bulk sends are rate-limited. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBulkSendGate } from '../../src/batch/send-gate.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { serviceMs: 40 } });
  h.ctx.bulkGate = createBulkSendGate(h.core.redis, h.redis.prefix, 10); // 10 bulk sends per second
  h.startWorker();
});
afterAll(async () => h?.close());

const firstPosts = () => {
  const seen = new Set<string>();
  return h.sim.journal(0, 100_000).filter((e) => {
    if (e.cmd === 'api/querydirect' || e.status !== 200) return false;
    const r = e.request as Record<string, unknown>;
    const sig = e.cmd === 'api/posrefund' ? `refund ${r.uid} ${r.cost}` : `charge ${r.order_id}`;
    if (seen.has(sig)) return false;
    seen.add(sig);
    return true;
  });
};

describe('lanes', () => {
  it('a live charge enqueued after batch refunds on the same terminal is served before them', async () => {
    const run = Date.now();
    const paid = [];
    for (let i = 0; i < 3; i++) paid.push((await h.producer.enqueueCharge(charge(`lane-${run}-${i}`, 100, 'A01'))).operation.id);
    for (const id of paid) await h.waitForState(id, ['paid']);
    const blocker = await h.producer.enqueueCharge(charge(`lane-${run}-blocker`, 156, 'A01')); // stays pending: holds A01 for the window
    await h.waitForState(blocker.operation.id, ['pending', 'accepted']);
    const refunds = [];
    for (let i = 0; i < 3; i++) {
      refunds.push((await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: `lane-${run}-${i}`, refund_id: `lane-${run}-r${i}`, cost: 10 + i, lane: 'bulk' })).operation.id);
    }
    const live = await h.producer.enqueueCharge(charge(`lane-${run}-live`, 100, 'A01'));
    const view = await h.core.store.terminal(STORE_UID, 'A01');
    expect(view.waiting_live).toEqual([live.operation.id]);
    expect(view.waiting_bulk).toEqual(refunds);
    for (const id of refunds) await h.waitForState(id, ['refunded'], 15_000);
    const order = firstPosts().filter((e) => (e.request as { device_name: string }).device_name === 'A01').map((e) => e.cmd === 'api/posrefund' ? 'refund' : (e.request as { order_id: string }).order_id);
    expect(order.slice(-5)).toEqual([`lane-${run}-blocker`, `lane-${run}-live`, 'refund', 'refund', 'refund']);
  });

  it('bulk sends across terminals respect the batch rate limit', async () => {
    const run = Date.now();
    const devices = ['A02', 'A03', 'A04', 'A05', 'A06', 'A07'];
    const charges = await Promise.all(devices.map((d) => h.producer.enqueueCharge(charge(`rate-${run}-${d}`, 100, d))));
    for (const c of charges) await h.waitForState(c.operation.id, ['paid']);
    const since = h.sim.journal(0, 100_000).at(-1)!.seq;
    const refunds = await Promise.all(devices.map((d) => h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: `rate-${run}-${d}`, refund_id: `rate-${run}-${d}-r`, cost: 5, lane: 'bulk' })));
    for (const r of refunds) await h.waitForState(r.operation.id, ['refunded'], 15_000);
    const times = h.sim.journal(since, 100_000).filter((e) => e.cmd === 'api/posrefund').map((e) => e.at).sort((a, b) => a - b);
    expect(times).toHaveLength(6);
    // 10 per second: six sends span at least five 100 ms slots (a little slack for timer rounding).
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(450);
  });
});
