/**
 * One redaction (issue #16): every known secret fed through every output, none comes out.
 * Secrets: the merchant key, the charge `key` (交易驗証碼, made by the simulator), an envelope's
 * `encry_data` and `service`, the API keys, the dashboard password, an `Authorization` header, a card
 * number and a 身分證字號. (MYPAY callbacks carry no signature: there is no webhook secret.)
 * Outputs: logs (pino through createLogger), API answers (records, audit trails, devices, problems),
 * Bull Board job data and return values, the `mypay send` CLI, the simulator's journal and orders.
 * The list itself is src/domain/redact.ts.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSend, type CliIo } from '../../src/cli/send.js';
import { createLogger } from '../../src/config/logger.js';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { encodeEnvelope } from '../../src/domain/codec/index.js';
import { REDACTED, SECRET_FIELDS, redactSecrets } from '../../src/domain/redact.js';
import { ADMIN, API_KEY, OTHER_KEY, charge, startApi, waitForPayment, type ApiHarness } from './support.js';

let api: ApiHarness;
let chargeKey: string;
const ORDER = 'secret-1';
const envelope = encodeEnvelope(TEST_MERCHANT.storeUid, TEST_MERCHANT.key, 'api/querydirect', { order_id: ORDER, cost: '100' });
const CARD = '4311952222222222';
const USER_SN = 'A123456789';

/** Every secret value this test knows, by name. */
const secrets = (): Record<string, string> => ({
  'merchant key': TEST_MERCHANT.key,
  'charge key': chargeKey,
  encry_data: envelope.encry_data,
  service: envelope.service,
  'API key': API_KEY,
  'second API key': OTHER_KEY,
  'dashboard password': ADMIN.password,
  'card number': CARD,
  身分證字號: USER_SN,
});

function expectNoSecret(output: string, where: string): void {
  for (const [name, value] of Object.entries(secrets())) expect(output.includes(value), `${name} in ${where}`).toBe(false);
}

/** An object carrying every secret under the field names it travels with, at several depths. */
const everything = () => ({
  key: chargeKey,
  store: { store_uid: TEST_MERCHANT.storeUid, key: TEST_MERCHANT.key, storeKey: TEST_MERCHANT.key },
  env: { MYPAY_STORE_KEY: TEST_MERCHANT.key, API_KEYS: `${API_KEY},${OTHER_KEY}`, ADMIN_PASSWORD: ADMIN.password },
  envelope,
  req: { headers: { authorization: `Bearer ${API_KEY}` } },
  admin: { user: ADMIN.user, password: ADMIN.password },
  answer: { code: 'B200', rows: [{ uid: '1', key: chargeKey, cardno: CARD, nested: { deeper: { user_sn: USER_SN, apiKey: OTHER_KEY } } }] },
});

beforeAll(async () => {
  api = await startApi({ api: { boardReadOnly: false } });
  expect((await api.call('POST', '/v1/charges', { body: charge(ORDER, 100) })).status).toBe(202);
  await waitForPayment(api, ORDER, ['paid']);
  // The charge key the simulator made: with the uid it authorises refunds and reprints.
  chargeKey = api.h.sim.engine.ledger.orders().find((o) => o.order_id === ORDER)!.key;
  expect(chargeKey).toMatch(/^[0-9a-f]{32}$/);
  // A refund queries the charge first (its rows, with the key, go into the audit trail).
  expect((await api.call('POST', '/v1/refunds', { body: { order_id: ORDER, refund_id: `${ORDER}-r1`, cost: 40 } })).status).toBe(202);
  const deadline = Date.now() + 10_000;
  while ((await api.h.core.store.get(`refund.${TEST_MERCHANT.storeUid}.${ORDER}-r1`))?.state !== 'refunded' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  await api?.close();
});

describe('one redaction for every output', () => {
  it('the shared list masks every secret at any depth, whatever the letter case', () => {
    const out = JSON.stringify(redactSecrets({ ...everything(), MERCHANTKEY: TEST_MERCHANT.key, list: [[{ Encry_Data: envelope.encry_data }]] }));
    expectNoSecret(out, 'redactSecrets');
    expect(out).toContain(REDACTED);
    expect(SECRET_FIELDS).toEqual(expect.arrayContaining(['key', 'encry_data', 'service', 'MYPAY_STORE_KEY', 'password', 'authorization', 'API_KEYS', 'cardno', 'user_sn']));
  });

  it('logs: pino redact paths and the log formatter, top level, nested, in child bindings', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const logger = createLogger('info', sink);
    logger.info(everything(), 'everything');
    logger.child({ key: chargeKey, authorization: `Bearer ${API_KEY}` }).warn({ err: new Error('a failure') }, 'child');
    logger.info({ user_email: 'someone@example.com', order: { user_cellphone: '0912345678' } }, 'personal');
    const text = lines.join('');
    expect(lines).toHaveLength(3);
    expectNoSecret(text, 'logs');
    expect(text).not.toContain('someone@example.com');
    expect(text).not.toContain('0912345678');
    expect(text).toContain('a failure');
  });

  it('API answers: payment, operation with its audit trail, devices, refused requests', async () => {
    const bodies = await Promise.all([
      api.call('GET', `/v1/payments/${TEST_MERCHANT.storeUid}/${ORDER}`),
      api.call('GET', `/v1/operations/charge.${TEST_MERCHANT.storeUid}.${ORDER}`),
      api.call('GET', `/v1/operations/refund.${TEST_MERCHANT.storeUid}.${ORDER}-r1`),
      api.call('GET', `/v1/devices?store_uid=${TEST_MERCHANT.storeUid}`),
      // Secrets in refused requests are not echoed back.
      api.call('POST', '/v1/charges', { body: { ...charge('secret-2', 100), encry_data: envelope.encry_data, cardno: CARD } }),
      api.call('POST', '/v1/refunds', { body: { uid: '1', key: chargeKey, refund_id: 'secret-r9', cost: 1, device_name: 'A01', service: envelope.service } }),
      api.call('GET', '/v1/payments/x/y', { headers: { authorization: `Bearer ${ADMIN.password}` } }),
    ]);
    const [payment, chargeOp, refundOp] = bodies;
    expect(payment!.status).toBe(200);
    expect(JSON.stringify(chargeOp!.body)).toContain('"audit"');
    // The refund's pre-query answer (rows with the charge key) is in its audit trail, redacted.
    expect(JSON.stringify(refundOp!.body)).toContain('"query"');
    expectNoSecret(JSON.stringify(bodies.map((b) => b.body)), 'API answers');
  });

  it('Bull Board: job data, return values and job lists', async () => {
    const job = await api.h.core.statusQueue.add('planted', { opId: 'planted', ...everything() } as never, { jobId: 'secret-planted', delay: 600_000 });
    await api.h.core.redis.hset(`${api.h.core.prefix}:status:${job.id}`, 'returnvalue', JSON.stringify(everything()));
    const basic = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;
    const texts = await Promise.all(
      ['/api/queues/status/secret-planted', '/api/queues?activeQueue=status&status=delayed&page=1&jobsPerPage=50', '/api/queues?activeQueue=device&status=completed&page=1&jobsPerPage=50'].map(async (path) => {
        const res = await fetch(`${api.url}/admin/queues${path}`, { headers: { authorization: basic } });
        expect(res.status, path).toBe(200);
        return res.text();
      }),
    );
    expect(texts[0]).toContain('"opId":"planted"');
    expectNoSecret(texts.join('\n'), 'Bull Board');
    await job.remove();
  });

  it('the mypay send CLI: a query answer with the charge key', async () => {
    let out = '';
    const io: CliIo = {
      env: { MYPAY_URL: api.h.sim.url, MYPAY_ALLOWED_HOSTS: '127.0.0.1', MYPAY_STORE_UID: TEST_MERCHANT.storeUid, MYPAY_STORE_KEY: TEST_MERCHANT.key },
      out: (t) => void (out += `${t}\n`),
      err: (t) => void (out += `${t}\n`),
    };
    expect(await runSend('query', { data: JSON.stringify({ order_id: ORDER, cost: '100' }) }, io)).toBe(0);
    expect(out).toContain('"uid"');
    expect(out).toContain(REDACTED);
    expectNoSecret(out, 'mypay send');
  });

  it('the simulator: journal and orders served over HTTP (its ledger does hold the key)', async () => {
    expect(JSON.stringify(api.h.sim.engine.ledger.orders())).toContain(chargeKey);
    const served = await Promise.all(['/_sim/journal', '/_sim/orders'].map(async (p) => (await fetch(`${api.h.sim.origin}${p}`)).text()));
    expect(served[0]).toContain(ORDER);
    expectNoSecret(served.join('\n'), 'simulator journal and orders');
  });
});
