/**
 * GET /v1/attention over real HTTP: what a person must act on, each item with why and the runbook
 * step that settles it — review, amount mismatch, unresolved, not_received, an unknown prc code, a
 * terminal stuck busy past its lease, a refund batch with rows not refunded.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, charge, waitForPayment, STORE_UID, type ApiHarness } from './support.js';
import { control } from '../simulator/helpers.js';

type Item = { kind: string; title: string; why: string; runbook: string; store_uid?: string; operation?: { id: string; order_id?: string }; device_name?: string; batch_id?: string };
type View = { counts: Record<string, number>; per_kind: number; items: Item[] };

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ sim: { serviceMs: 0 } });
});
afterAll(async () => {
  await api?.close();
});

const runbooks = readFileSync('docs/OPERATIONS.md', 'utf8') + readFileSync('docs/WEBHOOKS.md', 'utf8');
/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces → '-'. */
const anchors = new Set([...runbooks.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));

describe('GET /v1/attention', () => {
  it('lists every kind of operation a person must act on, with why and a runbook step that exists', async () => {
    await api.call('POST', '/v1/charges', { body: charge('at-mismatch', 1055, 'A01') });
    await api.call('POST', '/v1/charges', { body: charge('at-unknown', 1062, 'A02') });
    await api.call('POST', '/v1/charges', { body: charge('at-pending', 1056, 'A03') });
    // A 5xx before the gateway acts: outcome unknown, then not_received a terminal window later.
    await control(api.h.sim, 'POST', '/_sim/faults', { kind: 'http5xx', count: 1, command: 'api/postransaction', device_name: 'A04' });
    await api.call('POST', '/v1/charges', { body: charge('at-lost', 100, 'A04') });
    await api.call('POST', '/v1/charges', { body: charge('at-fine', 100, 'A05') });
    await waitForPayment(api, 'at-mismatch', ['needs_review']);
    await waitForPayment(api, 'at-lost', ['not_received']);
    await waitForPayment(api, 'at-fine', ['paid']);
    await waitForPayment(api, 'at-pending', ['unresolved'], 15_000);

    const r = await api.call('GET', '/v1/attention');
    expect(r.status).toBe(200);
    const view = r.body as View;
    const byOrder = (order: string) => view.items.find((i) => i.operation?.order_id === order);
    expect(byOrder('at-mismatch')).toMatchObject({ kind: 'amount_mismatch', store_uid: STORE_UID, title: expect.stringMatching(/prc 290/) });
    expect(byOrder('at-pending')).toMatchObject({ kind: 'unresolved' });
    expect(byOrder('at-lost')).toMatchObject({ kind: 'not_received', why: expect.stringMatching(/retry/) });
    expect(byOrder('at-fine')).toBeUndefined();
    // The unknown code (265) is followed up as pending until the horizon, then unresolved.
    expect(['unknown_prc', 'unresolved']).toContain(byOrder('at-unknown')?.kind);
    for (const item of view.items) {
      expect(item.why.length, JSON.stringify(item)).toBeGreaterThan(10);
      const anchor = item.runbook.split('#')[1]!;
      expect(anchors, `${item.kind} → ${item.runbook}`).toContain(anchor);
    }
    expect(view.counts).toMatchObject({ amount_mismatch: 1, not_received: 1 });
    expect(view.counts.unresolved).toBeGreaterThanOrEqual(1);
    expect((await api.call('GET', '/v1/attention', { auth: false })).status).toBe(401);
    expect((await api.call('GET', '/v1/attention?per_kind=0')).status).toBe(400);
  }, 30_000);

  it('shows a charge with an unknown prc while it is followed up', async () => {
    await api.call('POST', '/v1/charges', { body: charge('at-unknown-2', 2062, 'A06') });
    await expect.poll(async () => ((await api.call('GET', '/v1/attention')).body as View).items.find((i) => i.operation?.order_id === 'at-unknown-2')?.kind, { timeout: 5_000, interval: 50 }).toBe('unknown_prc');
  });

  it('a terminal stuck busy past its lease, and a refund batch that completed with rows not refunded', async () => {
    const idle = await startApi({ workers: false });
    try {
      const { core } = idle.h;
      const long = core.now() - 10 * 60_000;
      await core.redis.multi().set(core.store.keys.lease(`${STORE_UID}|A09`), 'charge.x.stuck').zadd(core.store.keys.leases, long, `${STORE_UID}|A09`).exec();
      const meta = `{${core.tag}}:batch:b-att`;
      await core.redis.multi().hset(meta, 'id', 'b-att', 'store', STORE_UID, 'file_hash', 'h', 'rows', 5, 'tracked', 5, 'skipped', 0, 'status', 'complete', 'created', long, 'completed', long, 'not_refunded', 2).zadd(`{${core.tag}}:batches`, long, 'b-att').exec();
      const view = (await idle.call('GET', '/v1/attention')).body as View;
      expect(view.items.find((i) => i.kind === 'stuck_terminal')).toMatchObject({ device_name: 'A09', store_uid: STORE_UID, title: expect.stringMatching(/A09 busy past its lease/) });
      expect(view.items.find((i) => i.kind === 'batch_rows_not_refunded')).toMatchObject({ batch_id: 'b-att', title: expect.stringMatching(/2 of 5 rows not refunded/) });
      expect(view.counts).toMatchObject({ stuck_terminal: 1, batch_rows_not_refunded: 1 });
    } finally {
      await idle.close();
    }
  });
});
