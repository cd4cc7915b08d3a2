/**
 * GET /v1/payments and GET /v1/operations over real HTTP: filters, newest first, cursor pages that
 * stay stable while operations are created and change state, and a cost per page (Redis commands)
 * that does not grow with the data: the same queries on 1 000 and on 100 000 records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, charge, waitForPayment, type ApiHarness } from './support.js';
import { searchResultSchema } from '../../src/api/schemas.js';
import type { CreateOperation } from '../../src/store/operations.js';
import { OperationSearch } from '../../src/store/search.js';
import { Redis } from 'ioredis';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ sim: { serviceMs: 0, devices: 20 } });
});
afterAll(async () => {
  await api?.close();
});

type Page = { data: { id: string; order_id?: string; state: string; device_name: string; kind: string; created_at: string }[]; next_cursor: string | null };

async function get(path: string): Promise<Page> {
  const r = await api.call('GET', path);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return searchResultSchema.parse(r.body) as Page;
}

async function all(path: string, limit: number): Promise<Page['data']> {
  const out: Page['data'] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 500; i++) {
    const page: Page = await get(`${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page.data);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
  throw new Error('too many pages');
}

describe('search', () => {
  it('filters payments by state, terminal, order id prefix and time (ISO 8601 with a zone), newest first; operations by kind', async () => {
    const t0 = new Date(Date.now() - 1).toISOString();
    const plan: [string, number, string][] = [['s-paid-1', 100, 'A01'], ['s-paid-2', 200, 'A02'], ['s-decl-1', 1051, 'A01'], ['t-paid-3', 300, 'A03'], ['s-decl-2', 2051, 'A02']];
    for (const [order, cost, device] of plan) {
      expect((await api.call('POST', '/v1/charges', { body: charge(order, cost, device) })).status).toBe(202);
      await new Promise((r) => setTimeout(r, 3));
    }
    for (const [order, cost] of plan) await waitForPayment(api, order, [cost % 100 === 51 ? 'declined' : 'paid']);
    const t1 = new Date().toISOString();
    const orders = (p: Page['data']) => p.map((o) => o.order_id);
    expect(orders((await get('/v1/payments?state=paid')).data)).toEqual(['t-paid-3', 's-paid-2', 's-paid-1']);
    const refund = await api.call('POST', '/v1/refunds', { body: { order_id: 's-paid-1', cost: 40, refund_id: 's-paid-1-r' } });
    expect(refund.status).toBe(202);

    expect(orders((await get('/v1/payments?state=declined')).data)).toEqual(['s-decl-2', 's-decl-1']);
    expect(orders((await get('/v1/payments?device_name=A01')).data)).toEqual(['s-decl-1', 's-paid-1']);
    expect(orders((await get('/v1/payments?device_name=A02&state=declined')).data)).toEqual(['s-decl-2']);
    expect(orders((await get('/v1/payments?order_id_prefix=s-paid')).data)).toEqual(['s-paid-2', 's-paid-1']);
    const between = orders((await get(`/v1/payments?created_gte=${encodeURIComponent(t0)}&created_lt=${encodeURIComponent(t1)}`)).data);
    expect(between).toEqual(['s-decl-2', 't-paid-3', 's-decl-1', 's-paid-2', 's-paid-1']);
    // The same instant written in Taipei time.
    const taipei = new Date(Date.parse(t1) + 8 * 3_600_000).toISOString().replace('Z', '+08:00');
    expect(orders((await get(`/v1/payments?created_lt=${encodeURIComponent(taipei)}&order_id_prefix=s-`)).data)).toEqual(['s-decl-2', 's-decl-1', 's-paid-2', 's-paid-1']);

    const refunds = (await get('/v1/operations?kind=refund')).data;
    expect(refunds.map((o) => o.id)).toEqual([(refund.body as { id: string }).id]);
    const mixed = (await get('/v1/operations?order_id_prefix=s-paid-1')).data;
    expect(mixed.map((o) => o.kind)).toEqual(['refund', 'charge']);
    // A paid charge partly refunded moved to its new state's index.
    await waitForPayment(api, 's-paid-1', ['partially_refunded']);
    expect(orders((await get('/v1/payments?state=partially_refunded')).data)).toEqual(['s-paid-1']);
    expect(orders((await get('/v1/payments?state=paid')).data)).toEqual(['t-paid-3', 's-paid-2']);
  });

  it('names every bad parameter at once', async () => {
    const r = await api.call('GET', '/v1/operations?state=settled&created_gte=2026-11-28T09:00:00&limit=0&kind=charge,coffee&cursor=%21%21&colour=red');
    expect(r.status).toBe(400);
    const fields = (r.body as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['state', 'created_gte', 'limit', 'kind', 'cursor']));
    expect(fields.length).toBeGreaterThanOrEqual(6);
    const order = await api.call('GET', '/v1/payments?created_gte=2026-11-28T10:00:00Z&created_lt=2026-11-28T09:00:00Z');
    expect(order.status).toBe(400);
    expect((await api.call('GET', '/v1/payments?store_uid=999999999999')).status).toBe(404);
    expect((await api.call('GET', '/v1/payments', { auth: false })).status).toBe(401);
  });

  it('pages stay stable while operations are created and change state: every operation present before the first page, once, newest first', async () => {
    const before: string[] = [];
    for (let i = 0; i < 60; i++) {
      const c = await api.call('POST', '/v1/charges', { body: charge(`pg-${String(i).padStart(2, '0')}`, 100 + (i % 3 === 0 ? 51 : 0), `A${String(4 + (i % 12)).padStart(2, '0')}`) });
      before.push((c.body as { id: string }).id);
    }
    // Meanwhile: the workers move these 60 through sending/accepted/final, and 40 more arrive.
    const writes = (async () => {
      for (let i = 0; i < 40; i++) {
        await api.call('POST', '/v1/charges', { body: charge(`pg-new-${i}`, 100, `A${String(4 + (i % 12)).padStart(2, '0')}`) });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const seen = await all('/v1/payments?order_id_prefix=pg-', 7);
    await writes;
    const ids = seen.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of before) expect(ids).toContain(id);
    const created = seen.map((o) => Date.parse(o.created_at));
    for (let i = 1; i < created.length; i++) expect(created[i]!).toBeLessThanOrEqual(created[i - 1]!);
  });

  it('costs the same number of Redis commands per page on 100 000 records as on 1 000', async () => {
    const store = 'cost-store';
    const { core } = api.h;
    let n = 0;
    async function seed(count: number): Promise<void> {
      const now = Date.now();
      for (let done = 0; done < count; done += 2_000) {
        const pipe = core.redis.pipeline();
        for (let i = done; i < Math.min(count, done + 2_000); i++, n++) {
          const order = `bulk-${String(n).padStart(6, '0')}`;
          const c: CreateOperation = {
            id: `charge.${store}.${order}`, fingerprint: 'f', lane: 'live', store, device: `T${n % 100}`,
            fields: { kind: 'charge', order_id: order, cost: 100, req: '{}' },
          };
          (pipe as unknown as { mypayEnqueue(...a: unknown[]): void }).mypayEnqueue(...(core.store as unknown as { enqueueArgs(c: CreateOperation, now: number, lease: number): unknown[] }).enqueueArgs(c, now + n, now + n));
        }
        await pipe.exec();
      }
    }
    // The page's own commands, counted on a connection of its own (the workers share the server).
    const conn = new Redis(api.h.redis.url);
    let sent = 0;
    const send = conn.sendCommand.bind(conn);
    conn.sendCommand = ((cmd: Parameters<typeof send>[0]) => {
      sent++;
      return send(cmd);
    }) as typeof conn.sendCommand;
    const search = new OperationSearch(conn, core.tag);
    await conn.ping();
    async function cost(query: Omit<Parameters<typeof core.search.page>[0], 'store' | 'limit'>): Promise<number> {
      const c0 = sent;
      const page = await search.page({ store, limit: 20, ...query });
      expect(page.operations.length).toBeLessThanOrEqual(20);
      return sent - c0;
    }
    const queries = {
      newest: {},
      byTerminal: { device: 'T7' },
      rareState: { state: 'needs_review' as const },
      prefixScan: { orderIdPrefix: 'nothing-matches' },
      olderThan: { createdLt: Date.now() + 500 },
    };
    const costs = async () => {
      const out: Record<string, number> = {};
      for (const [k, q] of Object.entries(queries)) out[k] = await cost(q); // one at a time: the counter is shared
      return out;
    };
    await seed(1_000);
    const small = await costs();
    await seed(99_000);
    const large = await costs();
    // A page reads one index per family (3 commands) and the records it shows — or, when the records
    // must be checked (an order id prefix), at most the 1 000 it looks at — however many there are.
    const bound: Record<string, number> = { newest: 25, byTerminal: 25, rareState: 25, olderThan: 25, prefixScan: 1_010 };
    for (const k of Object.keys(queries)) {
      console.log(`search cost ${k}: ${small[k]} commands on 1 000 records, ${large[k]} on 100 000`);
      expect(large[k], k).toBeLessThanOrEqual(bound[k]!);
      expect(large[k]! - small[k]!, k).toBeLessThanOrEqual(20); // at most one page of records more
    }
    // And the pages are right: the newest 20 of 100 000, then the next 20 from the cursor.
    const first = await core.search.page({ store, limit: 20 });
    expect(first.operations.map((o) => o.order_id)).toEqual(Array.from({ length: 20 }, (_, i) => `bulk-${String(99_999 - i).padStart(6, '0')}`));
    const second = await core.search.page({ store, limit: 20, cursor: first.next! });
    expect(second.operations[0]!.order_id).toBe('bulk-099979');
    expect((await core.search.page({ store, limit: 20, device: 'T7' })).operations.every((o) => o.device === 'T7')).toBe(true);
    conn.disconnect();
  }, 120_000);
});
