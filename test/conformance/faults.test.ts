/**
 * Every simulator fault mode, through the gateway client, lands in the error class the client
 * promises (src/gateway/errors.ts) — and the simulator's ledger shows whether the operation happened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  GatewayBadAnswerError,
  GatewayOutcomeUnknownError,
  GatewayRejectedError,
  type GatewayFailure,
} from '../../src/gateway/index.js';
import { simulatorHarness, STORE, type SimHarness } from './harness.js';

let h: SimHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const charge = (orderId: string, device = 'A01') => ({ store_uid: STORE.store_uid, device_name: device, order_id: orderId, cost: '100', pfn: 'CREDITCARD' });

async function failure(p: Promise<unknown>): Promise<GatewayFailure> {
  try {
    await p;
  } catch (err) {
    return err as GatewayFailure;
  }
  throw new Error('expected the send to fail');
}

describe.each([
  { transport: 'HTTP', tls: false },
  { transport: 'HTTPS', tls: true },
])('fault modes through the gateway client ($transport)', ({ tls }) => {
  const setup = async (answerTimeoutMs = 3_000) => {
    h = await simulatorHarness({ tls, serviceMs: 0 }, { answerTimeoutMs });
    return h;
  };

  it('reset after processing → OutcomeUnknown (not retryable), while the charge exists in the simulator', async () => {
    const { client, control, sim } = await setup();
    await control('POST', '/_sim/faults', { kind: 'reset', count: 1, command: 'api/postransaction' });
    const err = await failure(client.send(STORE, 'api/postransaction', charge('FR-1')));
    expect(err).toBeInstanceOf(GatewayOutcomeUnknownError);
    // A real reset, seen at once — not the client's answer timeout.
    expect((err as GatewayOutcomeUnknownError).reason).toBe('connection_lost');
    expect(err.retryable).toBe(false);
    expect(sim.engine.ledger.find(STORE.store_uid, 'FR-1')?.prc).toBe('250');
    const stats = (await control('GET', '/_sim/stats')) as { chargePosts: Record<string, number> };
    expect(stats.chargePosts['FR-1']).toBe(1);
    // What the worker must do next: query, and find the order.
    const q = await client.send(STORE, 'api/querydirect', { store_uid: STORE.store_uid, order_id: 'FR-1', cost: '100' });
    expect(q.rows?.[0]).toMatchObject({ prc: '250' });
  });

  it('hang until the client gives up → OutcomeUnknown (timeout); the charge happened', async () => {
    const { client, control, sim } = await setup(400);
    await control('POST', '/_sim/faults', { kind: 'hang', count: 1 });
    const err = await failure(client.send(STORE, 'api/postransaction', charge('FH-1')));
    expect(err).toBeInstanceOf(GatewayOutcomeUnknownError);
    expect((err as GatewayOutcomeUnknownError).reason).toBe('timeout');
    expect(sim.engine.ledger.find(STORE.store_uid, 'FH-1')).toBeDefined();
  });

  it('HTTP 5xx → OutcomeUnknown (http_5xx), for a querydirect retryable', async () => {
    const { client, control } = await setup();
    await control('POST', '/_sim/faults', { kind: 'http5xx', count: 2, status: 503 });
    const err = await failure(client.send(STORE, 'api/postransaction', charge('F5-1')));
    expect(err).toBeInstanceOf(GatewayOutcomeUnknownError);
    expect((err as GatewayOutcomeUnknownError).reason).toBe('http_5xx');
    expect((err as GatewayOutcomeUnknownError).status).toBe(503);
    expect(err.retryable).toBe(false);
    const q = await failure(client.send(STORE, 'api/querydirect', { store_uid: STORE.store_uid, order_id: 'F5-1', cost: '100' }));
    expect(q).toBeInstanceOf(GatewayOutcomeUnknownError);
    expect(q.retryable).toBe(true);
  });

  it('malformed answer → BadAnswer (not_json)', async () => {
    const { client, control, sim } = await setup();
    await control('POST', '/_sim/faults', { kind: 'malformed', count: 1 });
    const err = await failure(client.send(STORE, 'api/postransaction', charge('FM-1')));
    expect(err).toBeInstanceOf(GatewayBadAnswerError);
    expect((err as GatewayBadAnswerError).reason).toBe('not_json');
    expect(err.retryable).toBe(false);
    expect(sim.engine.ledger.find(STORE.store_uid, 'FM-1')).toBeDefined();
  });

  it('terminal offline (fault or device state) → Rejected terminal_offline, retryable; nothing charged', async () => {
    const { client, control, sim } = await setup();
    await control('POST', '/_sim/faults', { kind: 'offline', count: 1 });
    const a = await failure(client.send(STORE, 'api/postransaction', charge('FO-1')));
    expect(a).toBeInstanceOf(GatewayRejectedError);
    expect((a as GatewayRejectedError).reason).toBe('terminal_offline');
    expect(a.retryable).toBe(true);
    await control('POST', '/_sim/devices', { offline: ['A02'], forMs: 60_000 });
    const b = await failure(client.send(STORE, 'api/postransaction', charge('FO-2', 'A02')));
    expect((b as GatewayRejectedError).reason).toBe('terminal_offline');
    expect(sim.engine.ledger.find(STORE.store_uid, 'FO-1')).toBeUndefined();
    expect(sim.engine.ledger.find(STORE.store_uid, 'FO-2')).toBeUndefined();
  });

  it('latency under the answer timeout is just slow; over it → OutcomeUnknown', async () => {
    const { client, control } = await setup(500);
    await control('POST', '/_sim/faults', [
      { kind: 'latency', count: 1, ms: 100 },
      { kind: 'latency', count: 1, ms: 900 },
    ]);
    const ok = await client.send(STORE, 'api/postransaction', charge('FL-1'));
    expect(ok.code).toBe('B200');
    expect(ok.latencyMs).toBeGreaterThanOrEqual(90);
    const err = await failure(client.send(STORE, 'api/postransaction', charge('FL-2', 'A02')));
    expect(err).toBeInstanceOf(GatewayOutcomeUnknownError);
  });
});
