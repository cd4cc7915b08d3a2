/**
 * The follow-up under a per-store cap on queries that binds (GATEWAY_QUERIES_PER_SECOND, docs/CORE.md ›
 * The cap on queries to the gateway): a held-back poll is no answer, so the operation is asked again
 * at its next poll and still settles — paid, one POST, the hold-back in its audit trail.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { createGatewayClient, createQueryCap, type GatewayClient } from '../../src/gateway/index.js';
import { REDIS_OPTIONS } from '../../src/queues/core.js';
import { startWorkers } from '../../src/workers/index.js';
import { charge, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let conn: Redis;
let capped: GatewayClient;

beforeAll(async () => {
  h = await startHarness({ sim: { serviceMs: 200 } });
  conn = new Redis(h.redis.url, REDIS_OPTIONS);
  // 5 queries per second for a store whose terminals each ask 50 (a poll every 20 ms).
  capped = createGatewayClient({ url: h.sim.url, allowedHosts: ['127.0.0.1'], answerTimeoutMs: 1_000, queryCap: createQueryCap(conn, h.redis.prefix, 5) });
  h.workers.push(startWorkers({ ...h.ctx, gateway: capped }, { concurrency: 20 }));
});

afterAll(async () => {
  await h.close();
  await capped.close();
  conn.disconnect();
});

it('every charge is paid with one POST although most of its polls were held back; the audit trail names the cap', async () => {
  const ops = await Promise.all(['A01', 'A02', 'A03', 'A04'].map((d, i) => h.producer.enqueueCharge(charge(`cap-${i}-${Date.now()}`, 100, d))));
  for (const { operation } of ops) expect(await h.waitForState(operation.id, ['paid'], 15_000)).toBe('paid');
  for (const { operation } of ops) expect(h.sim.engine.stats.chargePosts[operation.order_id!]).toBe(1);
  const trails = await Promise.all(ops.map(({ operation }) => h.core.store.auditTrail(operation.id)));
  const heldBack = trails.flat().filter((e) => e.event === 'query' && JSON.stringify(e.data).includes('query_cap'));
  expect(heldBack.length).toBeGreaterThan(0);
  expect(JSON.stringify(heldBack[0]!.data)).toContain(`store ${TEST_MERCHANT.storeUid} is at its cap of 5 queries per second`);
});
