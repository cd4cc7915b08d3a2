/**
 * Events written before the event stream carried the record (a pointer in `{tag}:events`, the body in
 * `{tag}:events:<store>` under the same id) still read whole — in the feed and by id — until they
 * expire with the retention: an upgrade must not blank 90 days of a merchant's feed or the bodies of
 * webhooks still waiting for delivery.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { charge, startHarness, STORE_UID, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  h.startWorker(5);
});

afterAll(() => h.close());

it('an old pointer entry is rendered from the store stream of its time; new entries from themselves', async () => {
  const k = h.core.store.keys;
  const { operation } = await h.producer.enqueueCharge(charge(`new-${Date.now()}`, 100, 'A02'));
  await h.waitForState(operation.id, ['paid']);
  const rows = (await h.core.redis.xrange(k.events, '-', '+')) as [string, string[]][];
  const paid = rows.map(([, f]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]!]])))).find((f) => f.op === operation.id && f.type === 'charge.paid')!;
  expect(paid.obj).toBeDefined();

  // The same event as the earlier layout wrote it: a pointer here, the body in the store's stream.
  const sid = (await h.core.redis.xadd(k.events, '*', 'type', 'charge.paid', 'store', STORE_UID, 'op', operation.id, 'state', 'paid')) as string;
  await h.core.redis.xadd(`${k.events}:${STORE_UID}`, sid, 'type', 'charge.paid', 'op', operation.id, 'at', paid.at!, 'obj', paid.obj!);

  const page = await h.core.events.page(STORE_UID, { limit: 50 });
  const fresh = page.events.filter((e) => e.id !== `evt_${sid}` && (e.data.object as { id?: string }).id === operation.id);
  expect(fresh.map((e) => e.type)).toEqual(['charge.accepted', 'charge.paid']);
  const legacy = page.events.find((e) => e.id === `evt_${sid}`);
  expect(legacy?.data.object).toEqual(fresh[1]!.data.object);
  expect((legacy?.data.object as { order_id?: string }).order_id).toBe(operation.order_id);
  expect((await h.core.events.get(STORE_UID, `evt_${sid}`))?.data.object).toEqual(fresh[1]!.data.object);
});
