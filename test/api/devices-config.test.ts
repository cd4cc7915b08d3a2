/**
 * Terminals from configuration (`devices` per store in the stores file, `MYPAY_DEVICES`): GET
 * /v1/devices lists every configured terminal, also those never used, by name in natural order
 * (A2 before A10); a charge, refund or reprint on a terminal not in the list is refused at intake
 * (400 naming device_name) by the API and by the library's producer alike. Without a list, the
 * terminals seen in Redis are listed, as before.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import { ConfigError, loadEnv, loadStores, terminalsOf, TEST_MERCHANT } from '../../src/config/config.js';
import { listen } from '../../src/launch/listen.js';
import { createProducer } from '../../src/producers/index.js';
import { ValidationError } from '../../src/domain/validation.js';
import { ADMIN, API_KEY, STORE_UID, charge, startApi, waitForPayment, type ApiHarness } from './support.js';

const CONFIGURED = ['A10', 'A2', 'B3', 'A1'];
const SORTED = ['A1', 'A2', 'A10', 'B3'];
const terminals = { [STORE_UID]: CONFIGURED };

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({
    // X9 exists at the gateway, but is not one of the store's configured terminals.
    sim: { serviceMs: 0, devices: [...CONFIGURED, 'X9'] },
    api: { terminals },
    producer: { stores: [STORE_UID], terminals },
  });
});
afterAll(async () => {
  await api?.close();
});

type Device = { store_uid: string; device_name: string; configured: boolean; status: string; waiting: number; last_answer_code: string | null };
const devices = async (query = '') => {
  const r = await api.call('GET', `/v1/devices${query}`);
  expect(r.status).toBe(200);
  return (r.body as { devices: Device[] }).devices;
};

describe('GET /v1/devices with configured terminals', () => {
  it('lists every configured terminal before its first use, idle, by name in natural order; pages in that order', async () => {
    const list = await devices();
    expect(list.map((d) => d.device_name)).toEqual(SORTED);
    expect(list.every((d) => d.configured && d.status === 'idle' && d.waiting === 0 && d.store_uid === STORE_UID && d.last_answer_code === null)).toBe(true);
    expect((await devices('?offset=1&limit=2')).map((d) => d.device_name)).toEqual(['A2', 'A10']);
  });

  it('a used terminal keeps its place and shows its last answer; the unused ones stay listed', async () => {
    expect((await api.call('POST', '/v1/charges', { body: charge('dc-1', 100, 'A10') })).status).toBe(202);
    await waitForPayment(api, 'dc-1', ['paid']);
    const list = await devices();
    expect(list.map((d) => d.device_name)).toEqual(SORTED);
    expect(list.find((d) => d.device_name === 'A10')).toMatchObject({ status: 'idle', last_answer_code: 'B200', configured: true });
    expect(list.find((d) => d.device_name === 'B3')).toMatchObject({ status: 'idle', last_answer_code: null });
  });
});

describe('a terminal not configured is refused at intake', () => {
  it('by the API: charge, refund and reprints → 400 naming device_name, nothing enqueued, nothing about other stores', async () => {
    const r = await api.call('POST', '/v1/charges', { body: charge('dc-x', 100, 'X9') });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'validation', errors: [{ field: 'device_name', message: expect.stringContaining('X9 is not a terminal configured for store') }] });
    expect(JSON.stringify(r.body)).not.toMatch(/A10|B3/);
    expect((await api.call('GET', `/v1/payments/${STORE_UID}/dc-x`)).status).toBe(404);
    // A refund or reprint on another terminal than the charge's, naming one not configured.
    for (const [path, body] of [
      ['/v1/refunds', { order_id: 'dc-1', cost: 10, refund_id: 'dc-1-r', device_name: 'X9' }],
      ['/v1/reprints/invoice', { order_id: 'dc-1', reprint_id: 'dc-1-p', device_name: 'X9' }],
      ['/v1/reprints/signature', { order_id: 'dc-1', reprint_id: 'dc-1-s', device_name: 'X9' }],
    ] as const) {
      const refused = await api.call('POST', path, { body });
      expect(refused, path).toMatchObject({ status: 400, body: { errors: [{ field: 'device_name' }] } });
    }
    expect((await api.call('GET', '/v1/operations/refund.289151880002.dc-1-r')).status).toBe(404);
    // On its own terminal (from the charge) the refund goes.
    expect((await api.call('POST', '/v1/refunds', { body: { order_id: 'dc-1', cost: 10, refund_id: 'dc-1-r2' } })).status).toBe(202);
    // Never used: X9 is not listed.
    expect((await devices()).map((d) => d.device_name)).toEqual(SORTED);
  });

  it('by the library producer given the terminals; one without them accepts any terminal', async () => {
    const producer = createProducer(api.h.core, { stores: [STORE_UID], terminals });
    const err = await producer.enqueueCharge({ store_uid: STORE_UID, ...charge('dc-lib', 100, 'X9') } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fieldsAtFault()).toEqual([{ field: 'device_name', message: expect.stringContaining('X9') }]);
    expect(await api.h.core.store.get(`charge.${STORE_UID}.dc-lib`)).toBeNull();
    expect((await producer.enqueueCharge({ store_uid: STORE_UID, ...charge('dc-lib-ok', 100, 'A2') } as never)).created).toBe(true);
  });

  it('a terminal off the list still shows while it holds work (configured: false); without a list the terminals seen are listed, as before', async () => {
    // Enqueued past the API (a producer without the list, as before the list existed) on X9, offline for a while.
    api.h.sim.setOnline('X9', false, { forMs: 1_000 });
    const op = await api.h.producer.enqueueCharge({ store_uid: STORE_UID, ...charge('dc-off', 100, 'X9') } as never);
    await expect.poll(async () => (await devices()).find((d) => d.device_name === 'X9')?.status, { timeout: 5_000 }).toBe('busy');
    expect((await devices()).find((d) => d.device_name === 'X9')).toMatchObject({ configured: false });
    await api.h.waitForState(op.operation.id, ['paid', 'rejected', 'failed', 'unknown', 'accepted', 'pending'], 10_000);

    // The same Redis behind an API without configured terminals: what Redis has seen, by name.
    const plain = await listen(createApiApp({ core: api.h.core, producer: api.h.producer, stores: [STORE_UID], apiKeys: [API_KEY], admin: ADMIN, logger: pino({ level: 'silent' }) }), 0, '127.0.0.1');
    try {
      const r = await fetch(`${plain.url}/v1/devices`, { headers: { authorization: `Bearer ${API_KEY}` } });
      const seen = ((await r.json()) as { devices: Device[] }).devices;
      expect(seen.map((d) => d.device_name)).toEqual(['A2', 'A10', 'X9']);
      expect(seen.every((d) => !d.configured)).toBe(true);
    } finally {
      await plain.close();
    }
  });
});

describe('configuration', () => {
  const key = TEST_MERCHANT.key;
  const dir = mkdtempSync(join(tmpdir(), 'devices-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('MYPAY_DEVICES for the single merchant; devices per store in the stores file', () => {
    const single = loadStores(loadEnv({ MYPAY_STORE_UID: STORE_UID, MYPAY_STORE_KEY: key, MYPAY_DEVICES: 'A01, A02,A10' }));
    expect(terminalsOf(single)).toEqual({ [STORE_UID]: ['A01', 'A02', 'A10'] });
    const file = join(dir, 'stores.json');
    writeFileSync(file, JSON.stringify([{ store_uid: STORE_UID, key, devices: ['T1', 'T2'] }, { store_uid: '289151880003', key }]));
    expect(terminalsOf(loadStores(loadEnv({ MYPAY_STORES_FILE: file })))).toEqual({ [STORE_UID]: ['T1', 'T2'] });
  });

  it.each([
    ['a terminal listed twice', { MYPAY_STORE_UID: STORE_UID, MYPAY_STORE_KEY: key, MYPAY_DEVICES: 'A1,A2,A1' }, /^MYPAY_DEVICES: terminal A1 is listed twice$/],
    ['MYPAY_DEVICES beside a stores file', { MYPAY_STORES_FILE: '/nonexistent.json', MYPAY_DEVICES: 'A1' }, /^MYPAY_DEVICES: applies to MYPAY_STORE_UID only/],
  ])('refuses %s in one line', (_what, env, line) => {
    const err = (() => {
      try {
        loadStores(loadEnv(env));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).lines).toEqual([expect.stringMatching(line)]);
  });
});
