/** Each endpoint's happy path over real HTTP: API → Redis → workers → simulator → record. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationRecordSchema, paymentViewSchema, operationViewSchema, devicesListSchema, callbackResultSchema } from '../../src/api/schemas.js';
import { startApi, charge, waitForPayment, STORE_UID, type ApiHarness } from './support.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

describe('POST /v1/charges', () => {
  it('answers 202 with the record, runs the charge to paid (prc 250), and a replay is the same operation', async () => {
    const r = await api.call('POST', '/v1/charges', { body: charge('ok-1', 120) });
    expect(r.status).toBe(202);
    expect(r.headers.get('location')).toBe(`/v1/payments/${STORE_UID}/ok-1`);
    expect(r.headers.get('idempotent-replayed')).toBe('false');
    const rec = operationRecordSchema.parse(r.body);
    expect(rec).toMatchObject({ id: `charge.${STORE_UID}.ok-1`, kind: 'charge', state: 'queued', store_uid: STORE_UID, order_id: 'ok-1', cost: 120 });

    const again = await api.call('POST', '/v1/charges', { body: charge('ok-1', 120), headers: { 'Idempotency-Key': 'ok-1' } });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((again.body as { id: string }).id).toBe(rec.id);

    const paid = paymentViewSchema.parse(await waitForPayment(api, 'ok-1', ['paid']));
    expect(paid).toMatchObject({ state: 'paid', prc: '250', key: '[redacted]', posts: 1 });
    expect(paid.uid).toMatch(/\S/);
    expect(paid.audit.map((e) => e.event)).toEqual(expect.arrayContaining(['request', 'answer', 'query', 'final']));
    expect(JSON.stringify(paid)).not.toMatch(/"key":"(?!\[redacted\])/);
    expect(api.h.sim.engine.stats.chargePosts['ok-1']).toBe(1);
  });

  it('takes order_id from the Idempotency-Key header when the body has none', async () => {
    const { order_id: _omit, ...body } = charge('hdr-1', 130);
    const r = await api.call('POST', '/v1/charges', { body, headers: { 'Idempotency-Key': 'hdr-1' } });
    expect(r.status).toBe(202);
    expect((r.body as { order_id: string }).order_id).toBe('hdr-1');
    await waitForPayment(api, 'hdr-1', ['paid']);
  });
});

describe('refunds and reprints', () => {
  it('refunds part of a paid charge: the payment lists the refund and becomes partially_refunded', async () => {
    await api.call('POST', '/v1/charges', { body: charge('rf-1', 500, 'A02') });
    await waitForPayment(api, 'rf-1', ['paid']);
    const r = await api.call('POST', '/v1/refunds', { body: { order_id: 'rf-1', cost: 200 }, headers: { 'Idempotency-Key': 'rf-1-a' } });
    expect(r.status).toBe(202);
    expect(r.headers.get('location')).toBe(`/v1/operations/${encodeURIComponent(`refund.${STORE_UID}.rf-1-a`)}`);
    expect(operationRecordSchema.parse(r.body)).toMatchObject({ kind: 'refund', reference: 'rf-1-a', cost: 200, key: '[redacted]' });
    const p = paymentViewSchema.parse(await waitForPayment(api, 'rf-1', ['partially_refunded']));
    expect(p.refunded_amount).toBe(200);
    expect(p.refunds).toHaveLength(1);
    expect(p.refunds[0]).toMatchObject({ id: `refund.${STORE_UID}.rf-1-a`, state: 'refunded', cost: 200, key: '[redacted]' });
  });

  it('lists a refund enqueued outside the API (library producer) too', async () => {
    await api.call('POST', '/v1/charges', { body: charge('rf-2', 300, 'A03') });
    await waitForPayment(api, 'rf-2', ['paid']);
    await api.h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: 'rf-2', refund_id: 'rf-2-lib', cost: 300 });
    const p = paymentViewSchema.parse(await waitForPayment(api, 'rf-2', ['refunded']));
    expect(p.refunds.map((x) => x.id)).toEqual([`refund.${STORE_UID}.rf-2-lib`]);
  });

  it('reprints the invoice and the signature slip of a paid charge', async () => {
    await api.call('POST', '/v1/charges', { body: charge('rp-1', 240, 'A04') });
    await waitForPayment(api, 'rp-1', ['paid']);
    const inv = await api.call('POST', '/v1/reprints/invoice', { body: { order_id: 'rp-1', type: 1 }, headers: { 'Idempotency-Key': 'rp-1-inv' } });
    const sig = await api.call('POST', '/v1/reprints/signature', { body: { order_id: 'rp-1', reprint_id: 'rp-1-sig' } });
    expect([inv.status, sig.status]).toEqual([202, 202]);
    expect(inv.body).toMatchObject({ kind: 'reprint_invoice', reference: 'rp-1-inv' });
    expect(sig.body).toMatchObject({ kind: 'reprint_signature', reference: 'rp-1-sig' });
    await api.h.waitForState(`reprint_signature.${STORE_UID}.rp-1-sig`, ['printed']);
    await api.h.waitForState(`reprint_invoice.${STORE_UID}.rp-1-inv`, ['printed']);
    const p = paymentViewSchema.parse((await api.call('GET', `/v1/payments/${STORE_UID}/rp-1`)).body);
    expect(p.reprints.map((x) => [x.kind, x.state]).sort()).toEqual([['reprint_invoice', 'printed'], ['reprint_signature', 'printed']]);
  });

  it('GET /v1/operations/:id shows any operation with its audit trail', async () => {
    const r = await api.call('GET', `/v1/operations/${encodeURIComponent(`refund.${STORE_UID}.rf-1-a`)}`);
    expect(r.status).toBe(200);
    const op = operationViewSchema.parse(r.body);
    expect(op).toMatchObject({ kind: 'refund', state: 'refunded' });
    expect(op.audit.find((e) => e.event === 'request')?.data).toMatchObject({ cmd: 'api/posrefund', payload: { key: '[redacted]' } });
  });

  it('POST /v1/operations/:id/recheck queries open operations only; unknown ids are 404', async () => {
    const done = await api.call('POST', `/v1/operations/${encodeURIComponent(`refund.${STORE_UID}.rf-1-a`)}/recheck`);
    expect(done.status).toBe(202);
    expect(done.body).toMatchObject({ state: 'refunded', result: 'not_followed_up' });
    const missing = await api.call('POST', `/v1/operations/${encodeURIComponent('charge.x.nope')}/recheck`);
    expect(missing.status).toBe(404);
  });
});

describe('GET /v1/devices', () => {
  it('shows a busy terminal with its operation in flight and the line behind it', async () => {
    api.h.sim.setOnline('A09', false, { forMs: 800 });
    await api.call('POST', '/v1/charges', { body: charge('dev-1', 100, 'A09') });
    await api.call('POST', '/v1/charges', { body: charge('dev-2', 100, 'A09') });
    const r = await api.call('GET', `/v1/devices?store_uid=${STORE_UID}`);
    expect(r.status).toBe(200);
    const a09 = devicesListSchema.parse(r.body).devices.find((d) => d.device_name === 'A09');
    expect(a09).toMatchObject({ status: 'busy', in_flight: { id: `charge.${STORE_UID}.dev-1`, kind: 'charge', order_id: 'dev-1' }, waiting: 1, next_in_line: [`charge.${STORE_UID}.dev-2`] });
    expect(await (await fetch(`${api.url}/metrics`)).text()).toMatch(/^mypay_terminals_busy\{[^}]*\} [1-9]/m);
    await waitForPayment(api, 'dev-2', ['paid']);
    const after = devicesListSchema.parse((await api.call('GET', '/v1/devices')).body).devices.find((d) => d.device_name === 'A09');
    expect(after).toMatchObject({ status: 'idle', in_flight: null, waiting: 0, last_answer_code: 'B200' });
    expect(after?.last_answer_at).toMatch(/^\d{4}-/);
  });
});

describe('POST /v1/callbacks/mypay', () => {
  it('takes form-encoded 回報 fields as a hint: queries an order still pending, ignores a paid or unknown one', async () => {
    await api.h.sim.script('cb-1', 'stays_pending');
    await api.call('POST', '/v1/charges', { body: charge('cb-1', 100, 'A05') });
    await waitForPayment(api, 'cb-1', ['pending']);
    const form = new URLSearchParams({ uid: '1', key: 'k', prc: '250', order_id: 'cb-1', cost: '100' }).toString();
    const post = (body: string, type: string) =>
      fetch(`${api.url}/v1/callbacks/mypay`, { method: 'POST', headers: { 'content-type': type }, body }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const pending = await post(form, 'application/x-www-form-urlencoded');
    expect(pending).toEqual({ status: 200, body: { result: 'queried', store_uid: STORE_UID, order_id: 'cb-1' } });
    callbackResultSchema.parse(pending.body);

    const paid = await post(JSON.stringify({ order_id: 'ok-1', prc: '250' }), 'application/json');
    expect(paid.body).toMatchObject({ result: 'not_followed_up' });
    const unknown = await post(JSON.stringify({ order_id: 'nobody', prc: 250 }), 'application/json');
    expect(unknown.body).toEqual({ result: 'unknown_order', order_id: 'nobody' });
    // A callback never changes a state by itself: the order stays pending even though it said 250.
    expect((await api.call('GET', `/v1/payments/${STORE_UID}/cb-1`)).body).toMatchObject({ state: 'pending' });
  });
});

describe('health, metrics, OpenAPI', () => {
  it('/healthz and /readyz answer without a key', async () => {
    expect(await api.call('GET', '/healthz', { auth: false })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await api.call('GET', '/readyz', { auth: false })).toMatchObject({ status: 200, body: { status: 'ready', checks: { redis: true, workers: true } } });
  });

  it('/metrics exposes queue depths, final states, gateway latency, busy terminals, unknown outcomes, unresolved, polls', async () => {
    const r = await fetch(`${api.url}/metrics`);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    for (const name of ['mypay_queue_jobs', 'mypay_operations_final_total', 'mypay_gateway_request_duration_seconds', 'mypay_terminals_busy', 'mypay_unknown_outcomes_total', 'mypay_operations_unresolved_total', 'mypay_status_polls_total']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(text).toMatch(/mypay_operations_final_total\{kind="charge",state="paid"[^}]*\} [1-9]/);
    expect(text).toMatch(/mypay_gateway_request_duration_seconds_count\{[^}]*command="api\/postransaction",outcome="B200"[^}]*\} [1-9]/);
    expect(text).toMatch(/mypay_queue_jobs\{queue="device",state="completed"[^}]*\} [1-9]/);
    expect(text).toMatch(/mypay_status_polls_total\{kind="charge",prc="250"[^}]*\} [1-9]/);
  });

  it('/v1/openapi.json is an OpenAPI 3.1 document covering every endpoint', async () => {
    const r = await api.call('GET', '/v1/openapi.json', { auth: false });
    expect(r.status).toBe(200);
    const doc = r.body as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/v1/charges', '/v1/refunds', '/v1/reprints/invoice', '/v1/reprints/signature', '/v1/payments/{store_uid}/{order_id}', '/v1/devices', '/v1/callbacks/mypay', '/v1/operations/{id}', '/v1/operations/{id}/recheck', '/v1/events',
      '/v1/operations/{id}/cancel', '/v1/payments', '/v1/operations', '/v1/attention', '/v1/refund-batches', '/v1/refund-batches/{id}',
    ]));
    expect(Object.keys((doc as unknown as { webhooks: Record<string, unknown> }).webhooks)).toEqual(['event']);
    expect(doc.components.schemas.Event?.properties?.type).toMatchObject({ enum: expect.arrayContaining(['charge.paid', 'refund.refunded', 'operation.needs_review', 'refund_batch.completed']) });
    expect(Object.keys(doc.components.schemas.ChargeBody?.properties ?? {})).toEqual(expect.arrayContaining(['device_name', 'order_id', 'cost', 'pfn', 'items']));
    expect(doc.components.schemas.Operation?.properties?.state).toMatchObject({ enum: expect.arrayContaining(['paid', 'unresolved']) });
  });
});
