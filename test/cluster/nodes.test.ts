/**
 * Worker nodes (issue #9):
 * 1. Three `npm run worker` processes, each with its ops server on its own loopback host and port,
 *    on a 3-master Redis Cluster (`REDIS_URL=redis+cluster://…`), share the load; every terminal's
 *    operations still run one at a time and in enqueue order. `npm run api` works on the cluster too.
 * 2. A worker whose Redis link goes down in the middle of a charge, for longer than the BullMQ lock:
 *    another worker takes the job over, and the gateway still sees exactly one POST for the order,
 *    which ends `paid` — whether the link is reset (the client reconnects and replays) or silently
 *    stalled (the held bytes arrive late, after the takeover).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { REDIS_OPTIONS, createCore } from '../../src/queues/core.js';
import { createProducer } from '../../src/producers/index.js';
import { createSimulator, type JournalEntry, type Simulator } from '../../src/simulator/index.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { startLocalCluster, type LocalCluster } from './support/cluster.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { startWorkerNode, type WorkerNode } from './support/worker-node.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const postsFor = (sim: Simulator, orderId: string) =>
  (sim.journal(0, 1_000_000) as JournalEntry[]).filter((e) => e.cmd === 'api/postransaction' && (e.request as { order_id?: string }).order_id === orderId);

describe('worker nodes', () => {
  it('3 `npm run worker` nodes on 127.0.0.1/.2/.3 and a 3-master cluster share 40 terminals × 8 charges: FIFO, no busy violations; npm run api on the cluster', async () => {
    const cluster: LocalCluster = await startLocalCluster(3);
    cleanup.push(() => cluster.stop());
    const sim = await createSimulator({ devices: 40, serviceMs: 10, journalSize: 50_000 });
    cleanup.push(() => sim.close());
    const conn = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: REDIS_OPTIONS });
    const prefix = `n${Date.now().toString(36)}`;
    const core = createCore({ connection: conn, tag: prefix });
    const producer = createProducer(core);
    cleanup.push(async () => {
      await core.close();
      await conn.quit();
    });
    const nodes: WorkerNode[] = await Promise.all(['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((host) =>
      startWorkerNode({ host, redisUrl: cluster.url, prefix, gatewayUrl: sim.url, concurrency: 10, env: { MYPAY_ANSWER_TIMEOUT_MS: '5000', TERMINAL_WINDOW_MS: '15000', RECONCILE_HORIZON_MS: '60000' } })));
    cleanup.push(() => Promise.all(nodes.map((n) => n.stop())));

    const devices = Array.from({ length: 40 }, (_, i) => `A${String(i + 1).padStart(2, '0')}`);
    const expected = new Map<string, string[]>();
    const ids: string[] = [];
    await Promise.all(devices.map(async (d) => {
      const list: string[] = [];
      expected.set(d, list);
      for (let i = 0; i < 8; i++) {
        const orderId = `${prefix}-${d}-${i}`;
        ids.push((await producer.enqueueCharge(charge(orderId, 100 + i, d))).operation.id);
        list.push(orderId);
      }
    }));
    const t0 = Date.now();
    await until('320 charges paid', async () => (await core.store.getMany(ids)).every((op) => op?.state === 'paid'), 90_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${nodes.map((n) => n.output().slice(-2_000)).join('\n---\n')}`);
    });
    const elapsed = Date.now() - t0;

    const stats = sim.engine.stats;
    expect(stats.busyViolations).toBe(0);
    expect(stats.duplicateChargePosts).toEqual({});
    for (const list of expected.values()) for (const orderId of list) expect(stats.chargePosts[orderId], orderId).toBe(1);
    const seen = new Map<string, string[]>();
    for (const e of sim.journal(0, 1_000_000) as JournalEntry[]) {
      if (e.cmd !== 'api/postransaction' || e.status !== 200) continue;
      const r = e.request as { device_name: string; order_id: string };
      if (!seen.has(r.device_name)) seen.set(r.device_name, []);
      seen.get(r.device_name)!.push(r.order_id);
    }
    for (const d of devices) expect(seen.get(d), d).toEqual(expected.get(d));

    // Each node did part of the work, as its own /metrics says (POSTs by any outcome: on a loaded
    // machine an answer can come after the timeout — outcome unknown, followed up, never resent; the
    // terminal window above stays well over that timeout, or a request the loaded simulator takes
    // late would be not_received and overtaken by the next one in line, as the design allows).
    const perNode = await Promise.all(nodes.map((n) => n.metric('mypay_gateway_posts_total', { command: 'api/postransaction' })));
    const recoveries = await Promise.all(nodes.map((n) => n.metric('mypay_lease_recoveries_total')));
    const unknown = await Promise.all(nodes.map((n) => n.metric('mypay_unknown_outcomes_total')));
    console.log(`3 worker nodes on a 3-master cluster: 320 charges on 40 terminals paid in ${elapsed} ms; charge POSTs per node ${perNode.join(' / ')}; unknown outcomes ${unknown.join(' / ')}; lease recoveries ${recoveries.join(' / ')}`);
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(320);
    for (const n of perNode) expect(n).toBeGreaterThan(0);

    // `npm run api` on the same cluster: intake, payment view, devices, Bull Board.
    const api = await startWorkerNode({ role: 'api', host: '127.0.0.1', redisUrl: cluster.url, prefix, gatewayUrl: sim.url, env: { API_KEYS: 'cluster-test-key', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'cluster-test-password' } });
    cleanup.push(() => api.stop());
    const bearer = { authorization: 'Bearer cluster-test-key', 'content-type': 'application/json' };
    const orderId = `${prefix}-api`;
    const posted = await fetch(`${api.origin}/v1/charges`, { method: 'POST', headers: bearer, body: JSON.stringify({ device_name: 'A01', order_id: orderId, cost: 100, pfn: 'CREDITCARD' }) });
    expect(posted.status).toBe(202);
    await until('the API charge paid', async () => ((await (await fetch(`${api.origin}/v1/payments/${STORE_UID}/${orderId}`, { headers: bearer })).json()) as { state: string }).state === 'paid', 20_000);
    const devicesView = (await (await fetch(`${api.origin}/v1/devices?store_uid=${STORE_UID}`, { headers: bearer })).json()) as { devices: unknown[] };
    expect(devicesView.devices).toHaveLength(40);
    const board = await fetch(`${api.origin}/admin/queues/api/queues?activeQueue=device&status=completed&page=1`, { headers: { authorization: `Basic ${Buffer.from('ops:cluster-test-password').toString('base64')}` } });
    expect(board.status).toBe(200);
    expect(JSON.stringify(await board.json())).toContain(`charge A01 · order ${orderId}`);
  }, 150_000);

  describe('a worker losing its Redis link mid-charge for longer than the lock (2 s)', () => {
    /** Worker nodes as production runs them (`npm run worker`): w1 on 127.0.0.1 through the proxy, w2 on 127.0.0.2 direct. */
    async function setup(): Promise<{ h: Harness; proxy: TcpProxy; spawn(viaProxy: boolean, env?: Record<string, string>): Promise<WorkerNode> }> {
      const h = await startHarness({ sim: { serviceMs: 100 } });
      cleanup.push(() => h.close());
      const target = new URL(h.redis.url);
      const proxy = await startTcpProxy(Number(target.port || 6379));
      cleanup.push(() => proxy.close());
      return {
        h,
        proxy,
        async spawn(viaProxy, env = {}) {
          const w = await startWorkerNode({ host: viaProxy ? '127.0.0.1' : '127.0.0.2', redisUrl: viaProxy ? proxy.url : h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url, concurrency: 5, env });
          cleanup.push(() => w.kill9());
          return w;
        },
      };
    }

    it('link reset (the client reconnects and replays) while the gateway holds the answer: one POST, paid', async () => {
      const { h, proxy, spawn } = await setup();
      // The gateway charges at once but holds the answer 8 s, then drops the connection.
      h.sim.faults.add({ kind: 'hang', command: 'api/postransaction', device_name: 'A01', count: 1, ms: 8_000 });
      const w1 = await spawn(true, { MYPAY_ANSWER_TIMEOUT_MS: '15000' });
      const orderId = `cut-${Date.now()}`;
      const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A01'));
      await until('the charge POST at the gateway', () => h.sim.engine.stats.chargePosts[orderId] === 1, 10_000);
      expect((await h.core.store.get(operation.id))!.state).toBe('sending');

      const w2 = await spawn(false);
      proxy.cut();
      const cutAt = Date.now();
      await h.waitForState(operation.id, ['paid'], 20_000).catch((err: Error) => {
        throw new Error(`${err.message}\n--- w1\n${w1.output().slice(-3_000)}\n--- w2\n${w2.output().slice(-3_000)}`);
      });
      const takeoverMs = Date.now() - cutAt;
      // w1's POST is still unanswered (the gateway holds it 8 s): it was taken over, not finished.
      await until('the gateway to drop w1\'s held request', () => Date.now() - cutAt > 8_500, 10_000);
      const acceptedBefore = proxy.accepted();
      proxy.restore();
      await until('w1 to reconnect', () => proxy.accepted() > acceptedBefore, 10_000);
      await sleep(2_000); // w1 replays what it queued while offline: its stale writes must change nothing

      const op = (await h.core.store.get(operation.id))!;
      console.log(`link reset: taken over and paid ${takeoverMs} ms after the cut; POSTs ${postsFor(h.sim, orderId).length}, sends ${op.sends}, polls ${op.polls}`);
      // Taken over only after w1's lock lapsed (2 s from its last renewal, up to 1 s before the cut)
      // and, what money safety rests on, after the claim's fence (Redis' clock, docs/CORE.md).
      expect(takeoverMs).toBeGreaterThan(1_000);
      const takeover = (await h.core.store.auditTrail(operation.id)).find((e) => e.event === 'takeover');
      expect(takeover, 'a takeover entry in the audit trail').toBeDefined();
      expect(Date.parse(takeover!.at)).toBeGreaterThanOrEqual(op.claim_until!);
      expect(op.state).toBe('paid');
      expect(op.sends).toBe(1);
      expect(postsFor(h.sim, orderId)).toHaveLength(1);
      expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
      expect(h.sim.engine.stats.duplicateChargePosts[orderId]).toBeUndefined();
      expect((await h.core.store.auditTrail(operation.id)).filter((e) => e.event === 'request')).toHaveLength(1);
      expect(w1.child.exitCode).toBeNull();
      expect(w2.child.exitCode).toBeNull();

      // The terminal was handed on: the next charge on it runs at once, by either node.
      const next = await h.producer.enqueueCharge(charge(`${orderId}-next`, 100, 'A01'));
      await h.waitForState(next.operation.id, ['paid'], 10_000);
      expect(h.sim.engine.stats.busyViolations).toBe(0);
    }, 90_000);

    it('silent partition (held bytes arrive after the takeover) while the gateway has not yet processed the POST: one POST, paid', async () => {
      const { h, proxy, spawn } = await setup();
      // The gateway sits on the request 12 s before it charges: the takeover meanwhile finds no order.
      h.sim.faults.add({ kind: 'latency', command: 'api/postransaction', device_name: 'A02', count: 1, ms: 12_000 });
      // A realistic terminal window (longer than the gateway's delay), so "not found yet" is never taken for "lost".
      const env = { MYPAY_ANSWER_TIMEOUT_MS: '15000', TERMINAL_WINDOW_MS: '20000', POLL_DENSE_MS: '200' };
      const w1 = await spawn(true, env);
      const orderId = `stall-${Date.now()}`;
      const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A02'));
      await until('the charge POST at the gateway', () => h.sim.engine.stats.faults.latency === 1, 10_000);
      expect((await h.core.store.get(operation.id))!.state).toBe('sending');

      const w2 = await spawn(false, env);
      proxy.stall();
      const stallAt = Date.now();
      await h.waitForState(operation.id, ['paid'], 25_000).catch((err: Error) => {
        throw new Error(`${err.message}\n--- w1\n${w1.output().slice(-3_000)}\n--- w2\n${w2.output().slice(-3_000)}`);
      });
      const takeoverMs = Date.now() - stallAt;
      const during = (await h.core.store.get(operation.id))!;
      expect(during.polls).toBeGreaterThan(1); // w2 queried "not found" before the gateway charged, and did not resend
      await sleep(500); // w1 has its B200 by now, unsent
      proxy.restore();
      await sleep(3_000); // w1's held lock renewal, audit and state change reach Redis now

      const op = (await h.core.store.get(operation.id))!;
      console.log(`silent partition: paid ${takeoverMs} ms after the stall (gateway held the POST 12 s); POSTs ${postsFor(h.sim, orderId).length}, sends ${op.sends}, polls ${op.polls}`);
      expect(op.state).toBe('paid');
      expect(op.sends).toBe(1);
      expect(postsFor(h.sim, orderId)).toHaveLength(1);
      expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
      expect(h.sim.engine.stats.duplicateChargePosts[orderId]).toBeUndefined();
      expect(w1.child.exitCode).toBeNull();
      expect(w2.child.exitCode).toBeNull();

      const next = await h.producer.enqueueCharge(charge(`${orderId}-next`, 100, 'A02'));
      await h.waitForState(next.operation.id, ['paid'], 10_000);
      expect(h.sim.engine.stats.busyViolations).toBe(0);
    }, 90_000);
  });
});

