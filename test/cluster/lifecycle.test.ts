/**
 * The orchestrator on a local 3-master Redis Cluster (issue #9): charge / refund / reprint
 * lifecycle, an unknown outcome followed up by query, per-terminal serialization (FIFO, zero busy
 * violations), every key in the one slot of its hash tag, and a second deployment (another
 * QUEUE_PREFIX) landing on another master — the way queues are spread across slots.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type JournalEntry, type Simulator } from '../../src/simulator/index.js';
import { STORE_UID, charge } from '../support/harness.js';
import { startLocalCluster, type LocalCluster } from './support/cluster.js';
import { keysBySlot, startOrchestrator, type Orchestrator } from './support/orchestrator.js';

let cluster: LocalCluster;
let conn: Cluster;
let sim: Simulator;
let o: Orchestrator;
const tag = `c${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  cluster = await startLocalCluster(3);
  conn = cluster.connect();
  sim = await createSimulator({ devices: 12, serviceMs: 20, journalSize: 50_000 });
  o = startOrchestrator(conn, tag, sim);
});
afterAll(async () => {
  await o?.close();
  await conn?.quit().catch(() => undefined);
  await sim?.close();
  await cluster?.stop();
});

const stats = () => sim.engine.stats;

describe('on a 3-master Redis Cluster', () => {
  it('charge → paid, partial refunds → refunded, invoice and signature reprints → printed', async () => {
    const orderId = `life-${Date.now()}`;
    const c = await o.producer.enqueueCharge(charge(orderId, 100, 'A01'));
    await o.waitForState(c.operation.id, ['paid']);
    const paid = (await o.producer.getOperation(c.operation.id))!;
    expect(paid.prc).toBe('250');
    expect(paid.uid).toBeTruthy();

    const r1 = await o.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r1`, cost: 30 });
    const inv = await o.producer.enqueueInvoiceReprint({ store_uid: STORE_UID, order_id: orderId, type: 1 });
    const sig = await o.producer.enqueueSignatureReprint({ store_uid: STORE_UID, order_id: orderId, receipt_type: 1 });
    const r2 = await o.producer.enqueueRefund({ store_uid: STORE_UID, order_id: orderId, refund_id: `${orderId}-r2`, cost: 70 });
    await o.waitAll([r1.operation.id, r2.operation.id], ['refunded'], 10_000);
    await o.waitAll([inv.operation.id, sig.operation.id], ['printed'], 10_000);

    expect((await o.producer.getPayment(STORE_UID, orderId))!.state).toBe('refunded');
    const view = (await o.producer.getOrder(STORE_UID, orderId))!;
    expect(view.refunds).toHaveLength(2);
    expect(view.reprints).toHaveLength(2);
    expect(stats().chargePosts[orderId]).toBe(1);
    // The audit trail (streams) works on the cluster too.
    const trail = await o.core.store.auditTrail(c.operation.id);
    expect(trail.map((e) => e.event)).toEqual(expect.arrayContaining(['request', 'answer', 'query', 'final']));
  });

  it('an answer lost after the gateway charged: unknown, followed up by query, paid, one POST', async () => {
    const orderId = `reset-${Date.now()}`;
    sim.faults.add({ kind: 'reset', command: 'api/postransaction', device_name: 'A02', count: 1 });
    const c = await o.producer.enqueueCharge(charge(orderId, 100, 'A02'));
    await o.waitForState(c.operation.id, ['paid']);
    const rec = (await o.producer.getOperation(c.operation.id))!;
    expect(rec.polls).toBeGreaterThan(0);
    expect(stats().chargePosts[orderId]).toBe(1);
    expect(stats().duplicateChargePosts[orderId]).toBeUndefined();
  });

  it('8 terminals × (6 charges, then 2 refunds + 2 reprints each behind them): FIFO per terminal, no busy violations', async () => {
    const run = Date.now().toString(36);
    const devices = ['A03', 'A04', 'A05', 'A06', 'A07', 'A08', 'A09', 'A10'];
    const expected = new Map<string, string[]>();
    const ids: string[] = [];
    await Promise.all(devices.map(async (d) => {
      const list: string[] = [];
      expected.set(d, list);
      for (let i = 0; i < 6; i++) {
        const orderId = `${run}-${d}-${i}`;
        ids.push((await o.producer.enqueueCharge(charge(orderId, 100 + i, d))).operation.id);
        list.push(`charge ${orderId}`);
      }
    }));
    // While the terminals still work through their charges, queue refunds and reprints behind them.
    await Promise.all(devices.map(async (d) => {
      const first = `charge.${STORE_UID}.${run}-${d}-0`;
      const second = `charge.${STORE_UID}.${run}-${d}-1`;
      await o.waitAll([first, second], ['paid'], 20_000);
      const [a, b] = (await o.core.store.getMany([first, second])) as NonNullable<Awaited<ReturnType<typeof o.core.store.get>>>[];
      const list = expected.get(d)!;
      ids.push((await o.producer.enqueueRefund({ store_uid: STORE_UID, order_id: a!.order_id!, refund_id: `${a!.order_id}-r`, cost: 10 })).operation.id);
      list.push(`api/posrefund ${a!.uid}`);
      ids.push((await o.producer.enqueueInvoiceReprint({ store_uid: STORE_UID, order_id: b!.order_id!, type: 2 })).operation.id);
      list.push(`api/posreprintinvoice ${b!.uid}`);
      ids.push((await o.producer.enqueueSignatureReprint({ store_uid: STORE_UID, order_id: a!.order_id! })).operation.id);
      list.push(`api/posreprintsignature ${a!.uid}`);
      ids.push((await o.producer.enqueueRefund({ store_uid: STORE_UID, order_id: b!.order_id!, refund_id: `${b!.order_id}-r`, cost: 20 })).operation.id);
      list.push(`api/posrefund ${b!.uid}`);
    }));
    const t0 = Date.now();
    await o.waitAll(ids, ['paid', 'partially_refunded', 'refunded', 'printed'], 60_000);
    console.log(`cluster: ${ids.length} operations on ${devices.length} terminals final ${Date.now() - t0} ms after the last enqueue`);

    expect(stats().busyViolations).toBe(0);
    expect(stats().duplicateChargePosts).toEqual({});
    for (const [d, list] of expected) for (const s of list.filter((x) => x.startsWith('charge '))) expect(stats().chargePosts[s.slice(7)], `${d} ${s}`).toBe(1);

    // FIFO: the first accepted POST of each operation, per terminal, in the simulator's own order.
    const seen = new Map<string, string[]>();
    const firstSeen = new Set<string>();
    for (const e of sim.journal(0, 1_000_000) as JournalEntry[]) {
      if (e.cmd === 'api/querydirect' || e.status !== 200) continue;
      const r = e.request as Record<string, unknown>;
      const s = e.cmd === 'api/postransaction' ? `charge ${r.order_id}` : `${e.cmd} ${r.uid}`;
      if (!devices.includes(String(r.device_name)) || firstSeen.has(s)) continue;
      firstSeen.add(s);
      if (!seen.has(String(r.device_name))) seen.set(String(r.device_name), []);
      seen.get(String(r.device_name))!.push(s);
    }
    for (const d of devices) expect(seen.get(d), d).toEqual(expected.get(d));
  });

  it('every key the orchestrator and BullMQ wrote is in the one slot of {tag}, on one master', async () => {
    // Nothing but this orchestrator has written to the cluster so far: every key there is ours.
    const keys = await keysBySlot(conn);
    expect(keys.length).toBeGreaterThan(100);
    expect(keys.filter((k) => !k.key.startsWith(`{${tag}}:`)).map((k) => k.key)).toEqual([]);
    const slot = Number(await conn.cluster('KEYSLOT', `{${tag}}`));
    const stray = keys.filter((k) => k.slot !== slot);
    expect(stray, `keys outside slot ${slot}: ${stray.slice(0, 5).map((k) => k.key).join(', ')}`).toEqual([]);
    expect(new Set(keys.map((k) => k.port)).size).toBe(1);
    // Both BullMQ queues and our own records are there.
    const names = keys.map((k) => k.key);
    expect(names.some((k) => k.startsWith(`{${tag}}:device:`))).toBe(true);
    expect(names.some((k) => k.startsWith(`{${tag}}:status:`))).toBe(true);
    expect(names.some((k) => k.startsWith(`{${tag}}:op:`))).toBe(true);
    expect(names.some((k) => k.startsWith(`{${tag}}:audit:`))).toBe(true);
  });

  it('a second deployment with another QUEUE_PREFIX lives on another master and runs side by side', async () => {
    const home = await cluster.portOfKey(`{${tag}}`);
    let other = '';
    for (let i = 0; i < 100 && !other; i++) {
      if ((await cluster.portOfKey(`{${tag}s${i}}`)) !== home) other = `${tag}s${i}`;
    }
    expect(other).not.toBe('');
    const second = startOrchestrator(conn, other, sim);
    try {
      const a = `shard-a-${Date.now()}`;
      const b = `shard-b-${Date.now()}`;
      const [ca, cb] = await Promise.all([o.producer.enqueueCharge(charge(a, 100, 'A11')), second.producer.enqueueCharge(charge(b, 100, 'A12'))]);
      await Promise.all([o.waitForState(ca.operation.id, ['paid']), second.waitForState(cb.operation.id, ['paid'])]);
      const keys = await keysBySlot(conn);
      const ports = new Set(keys.filter((k) => k.key.startsWith(`{${other}}`)).map((k) => k.port));
      expect([...ports]).toEqual([await cluster.portOfKey(`{${other}}`)]);
      expect([...ports][0]).not.toBe(home);
    } finally {
      await second.close();
    }
  });
});
