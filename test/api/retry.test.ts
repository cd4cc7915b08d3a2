/**
 * Starting a not_received operation again is an explicit act (docs/CORE.md, "No resend"):
 * `POST /v1/operations/{id}/retry` (and `mypay retry`) — a fresh query first, then a new attempt only
 * if the gateway still has no trace; anything else answers 409 with its state and sends nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { runRetry } from '../../src/cli/retry.js';
import { STORE_UID, charge, startApi, type ApiHarness } from './support.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ sim: { serviceMs: 10 } });
});
afterAll(async () => api?.close());

const posts = (orderId: string) => api.h.sim.journal(0, 100_000).filter((e) => e.cmd === 'api/postransaction' && (e.request as { order_id?: string }).order_id === orderId);
const path = (id: string) => `/v1/operations/${encodeURIComponent(id)}/retry`;

async function notReceived(orderId: string, device: string): Promise<string> {
  api.h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: device, count: 1, when: 'before' });
  const r = await api.call('POST', '/v1/charges', { body: charge(orderId, 100, device) });
  expect(r.status).toBe(202);
  const id = (r.body as { id: string }).id;
  await api.h.waitForState(id, ['not_received']);
  return id;
}

describe('POST /v1/operations/{id}/retry', () => {
  it('a not_received charge: 202, a fresh query, then a second POST that pays it; retrying it again is 409', async () => {
    const orderId = `retry-api-${Date.now()}`;
    const id = await notReceived(orderId, 'A01');
    expect(posts(orderId)).toHaveLength(1);
    const r = await api.call('POST', path(id));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ id, state: 'not_received', result: 'retry_requested' });
    await api.h.waitForState(id, ['paid']);
    expect(posts(orderId)).toHaveLength(2);
    expect(api.h.sim.engine.stats.chargePosts[orderId]).toBe(1);
    const view = await api.call('GET', `/v1/operations/${encodeURIComponent(id)}`);
    expect(view.body).toMatchObject({ state: 'paid', attempt: 2 });
    expect((view.body as { audit: { event: string }[] }).audit.map((e) => e.event)).toEqual(expect.arrayContaining(['retry']));
    const again = await api.call('POST', path(id));
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body)).toMatch(/paid/);
  });

  it('a charge the gateway took after all is settled by the fresh query, never sent again', async () => {
    const orderId = `retry-late-${Date.now()}`;
    const id = await notReceived(orderId, 'A02');
    // The order reaches the gateway behind our back (as a late-processed POST would).
    await api.h.gateway.send({ store_uid: STORE_UID, key: TEST_MERCHANT.key }, 'api/postransaction', { store_uid: STORE_UID, device_name: 'A02', order_id: orderId, cost: '100', pfn: 'CREDITCARD' });
    expect((await api.call('POST', path(id))).status).toBe(202);
    await api.h.waitForState(id, ['paid']);
    const op = (await api.h.core.store.get(id))!;
    expect(op.review).toMatch(/late row/);
    expect(op.sends).toBe(1);
  });

  it('an unknown id is 404; `mypay retry` does the same from the command line', async () => {
    expect((await api.call('POST', path(`charge.${STORE_UID}.nope`))).status).toBe(404);
    const orderId = `retry-cli-${Date.now()}`;
    const id = await notReceived(orderId, 'A03');
    const out: string[] = [];
    const err: string[] = [];
    const env = { REDIS_URL: api.h.redis.url, QUEUE_PREFIX: api.h.redis.prefix };
    const code = await runRetry([id, `charge.${STORE_UID}.nope`], {}, { env, out: (t) => out.push(t), err: (t) => err.push(t) });
    expect(code).toBe(2);
    expect(out.join('\n')).toMatch(/retry requested/);
    expect(err.join('\n')).toMatch(/nope: no such operation/);
    await api.h.waitForState(id, ['paid']);
  });
});
