/**
 * Several worker processes on one Redis (issue #4 must-shows): per-terminal FIFO and zero busy
 * violations under a mixed load, and a worker killed with SIGKILL in the middle of a charge.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/simulator/index.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { spawnWorker, type WorkerProcess } from '../support/processes.js';

let h: Harness | undefined;
const procs: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill9()));
  await h?.close();
  h = undefined;
});

async function workers(n: number, concurrency: number): Promise<void> {
  // Generous gateway timeouts: on a loaded 2-core machine a loopback answer can take seconds, and
  // this test is about serialization, not about timeouts (those have tests of their own).
  // An answer timeout ends in `not_received` when the gateway never took the request (a loaded
  // machine can starve the in-process simulator for seconds): keep it well above any in-flight
  // delay, and the terminal window above it (production: 3 min window vs 15 s answer timeout).
  const env = { MYPAY_ANSWER_TIMEOUT_MS: '30000', TERMINAL_WINDOW_MS: '40000', RECONCILE_HORIZON_MS: '120000' };
  const started = await Promise.all(Array.from({ length: n }, () => spawnWorker({ redisUrl: h!.redis.url, prefix: h!.redis.prefix, gatewayUrl: h!.sim.url, concurrency, env })));
  procs.push(...started);
}

async function waitAll(ids: string[], finals: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ops = await h!.core.store.getMany(ids);
    const open = ops.filter((o) => !o || !finals.includes(o.state));
    if (open.length === 0) return;
    if (Date.now() > deadline || open.some((o) => o?.state === 'unresolved')) {
      const stuck = open.find((o) => o?.state === 'unresolved') ?? open[0];
      const trail = stuck ? await h!.core.store.auditTrail(stuck.id) : [];
      throw new Error(`${open.length} operations not final, e.g. ${stuck?.id} ${stuck?.state} ${stuck?.msg ?? ''}\n${JSON.stringify(trail.map((e) => [e.at, e.event, e.data]))}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('worker processes', () => {
  it('kill -9 in the middle of a charge: another process recovers it, one charge POST, paid', async () => {
    h = await startHarness({ sim: { serviceMs: 10 } });
    h.sim.faults.add({ kind: 'hang', command: 'api/postransaction', device_name: 'A05', count: 1 });
    const [first] = await Promise.all([spawnWorker({ redisUrl: h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url, env: { MYPAY_ANSWER_TIMEOUT_MS: '30000' } })]);
    procs.push(first!);
    const orderId = `kill-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A05'));
    await h.waitForState(operation.id, ['sending']);
    // The POST is on the wire and the simulator has charged; the answer is being held back.
    const deadline = Date.now() + 5_000;
    while (!h.sim.engine.stats.chargePosts[orderId] && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
    await first!.kill9();
    await workers(1, 5);
    await h.waitForState(operation.id, ['paid'], 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${procs.map((p) => p.output()).join('\n---\n')}`);
    });
    const posts = h.sim.journal(0, 100_000).filter((e) => e.cmd === 'api/postransaction' && (e.request as { order_id: string }).order_id === orderId);
    expect(posts).toHaveLength(1);
    expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
    expect(h.sim.engine.stats.busyViolations).toBe(0);
  }, 60_000);

  it('3 processes × concurrency 50, 200 terminals × 25 mixed operations: FIFO per terminal, no busy violations, one POST per charge', async () => {
    const TERMINALS = 200;
    h = await startHarness({ sim: { devices: TERMINALS, serviceMs: 5, journalSize: 200_000 } });
    await workers(3, 50);
    const devices = Array.from({ length: TERMINALS }, (_, i) => `A${String(i + 1).padStart(3, '0')}`);
    const run = Date.now().toString(36);
    /** Per terminal: the expected order of the first POSTs, as request signatures. */
    const expected = new Map<string, string[]>();
    const ids: string[] = [];
    const sig = (cmd: string, r: Record<string, unknown>) =>
      cmd === 'api/postransaction' ? `charge ${r.order_id}` : cmd === 'api/posrefund' ? `refund ${r.uid} ${r.cost}` : `${cmd} ${r.uid}`;

    // Phase 1: 10 charges per terminal.
    await Promise.all(devices.map(async (d) => {
      const list: string[] = [];
      expected.set(d, list);
      for (let i = 0; i < 10; i++) {
        const orderId = `${run}-${d}-c${i}`;
        ids.push((await h!.producer.enqueueCharge(charge(orderId, 100 + i, d))).operation.id);
        list.push(`charge ${orderId}`);
      }
    }));
    // Phase 2, while phase 1 is still running: once a terminal's first 5 charges are paid, queue
    // 5 refunds, 5 reprints and 5 more charges behind whatever it still has in line.
    await Promise.all(devices.map(async (d) => {
      const list = expected.get(d)!;
      const firstFive = Array.from({ length: 5 }, (_, i) => `charge.${STORE_UID}.${run}-${d}-c${i}`);
      await waitAll(firstFive, ['paid'], 60_000);
      const paid = await h!.core.store.getMany(firstFive);
      for (let i = 0; i < 5; i++) {
        const c = paid[i]!;
        ids.push((await h!.producer.enqueueRefund({ store_uid: STORE_UID, order_id: c.order_id!, refund_id: `${c.order_id}-r`, cost: i + 1 })).operation.id);
        list.push(`refund ${c.uid} ${i + 1}`);
        const reprint = i % 2 === 0
          ? await h!.producer.enqueueInvoiceReprint({ store_uid: STORE_UID, order_id: c.order_id!, type: 2 })
          : await h!.producer.enqueueSignatureReprint({ store_uid: STORE_UID, order_id: c.order_id! });
        ids.push(reprint.operation.id);
        list.push(`${i % 2 === 0 ? 'api/posreprintinvoice' : 'api/posreprintsignature'} ${c.uid}`);
        const orderId = `${run}-${d}-c${10 + i}`;
        ids.push((await h!.producer.enqueueCharge(charge(orderId, 200 + i, d))).operation.id);
        list.push(`charge ${orderId}`);
      }
    }));
    expect(ids).toHaveLength(TERMINALS * 25);
    const t0 = Date.now();
    await waitAll(ids, ['paid', 'partially_refunded', 'refunded', 'printed'], 120_000);
    console.log(`5,000 mixed operations final ${Date.now() - t0} ms after the last enqueue`);

    const stats = h.sim.engine.stats;
    expect(stats.busyViolations).toBe(0);
    expect(Object.values(stats.chargePosts).every((n) => n === 1)).toBe(true);
    expect(stats.duplicateChargePosts).toEqual({});
    expect(Object.keys(stats.chargePosts).filter((k) => k.startsWith(run))).toHaveLength(TERMINALS * 15);

    // FIFO: the first POST of each operation, per terminal, in the simulator's own order.
    const seen = new Map<string, string[]>();
    const firstSeen = new Set<string>();
    for (const e of h.sim.journal(0, 1_000_000) as JournalEntry[]) {
      if (e.cmd === 'api/querydirect' || e.status !== 200) continue;
      const r = e.request as Record<string, unknown>;
      const s = sig(e.cmd, r);
      if (firstSeen.has(s)) continue;
      firstSeen.add(s);
      const d = String(r.device_name);
      if (!seen.has(d)) seen.set(d, []);
      seen.get(d)!.push(s);
    }
    for (const d of devices) expect(seen.get(d), d).toEqual(expected.get(d));
  }, 240_000);
});
