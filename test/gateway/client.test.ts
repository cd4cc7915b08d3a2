/** The gateway client over real HTTP on 127.0.0.1: every failure lands in exactly one error class. */
import { once } from 'node:events';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/config/logger.js';
import { openEnvelope, parseEnvelope } from '../../src/domain/codec/index.js';
import {
  createGatewayClient,
  GatewayBadAnswerError,
  GatewayNotDeliveredError,
  GatewayOutcomeUnknownError,
  GatewayRejectedError,
  type GatewayClient,
  type GatewayClientOptions,
} from '../../src/gateway/index.js';
import { answerJson, startServer, type Behaviour, type TestServer } from '../support/gateway-server.js';
import { CHARGE, expectNoSecrets, rejectionOf, STORE } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(behaviour: Behaviour, options: Partial<GatewayClientOptions> = {}): Promise<{ server: TestServer; client: GatewayClient }> {
  const server = await startServer(behaviour);
  const client = createGatewayClient({ url: server.url, allowedHosts: ['127.0.0.1'], answerTimeoutMs: 2_000, connectTimeoutMs: 1_000, ...options });
  // Client first: close() waits for in-flight requests, the server close then drops what is left.
  cleanups.push(() => server.close(), () => client.close());
  return { server, client };
}

const ciphertextsOf = (server: TestServer): string[] =>
  server.requests.flatMap((r) => {
    const env = parseEnvelope(r.body, r.contentType);
    return [env.service, env.encry_data];
  });

describe('gateway client: answers', () => {
  it('returns a B200 answer with latency; the server decrypts the form body', async () => {
    const { server, client } = await setup(answerJson({ code: 'B200', msg: '執行成功。' }));
    const answer = await client.send(STORE, 'api/postransaction', CHARGE);
    expect(answer).toMatchObject({ code: 'B200', msg: '執行成功。' });
    expect(answer.latencyMs).toBeGreaterThanOrEqual(0);
    const [req] = server.requests;
    expect(req?.contentType).toBe('application/x-www-form-urlencoded');
    expect(req?.body).toMatch(/^store_uid=289151880002&service=[^&]+&encry_data=[^&]+$/);
    const env = parseEnvelope(req!.body, req!.contentType);
    expect(env.store_uid).toBe(STORE.store_uid);
    expect(openEnvelope(env, STORE.key)).toEqual({ cmd: 'api/postransaction', data: CHARGE });
  });

  it('sends a JSON body when bodyFormat is json, and the server decrypts it', async () => {
    const { server, client } = await setup(answerJson({ code: 'B200', msg: 'ok' }), { bodyFormat: 'json' });
    await client.send(STORE, 'api/posreprintinvoice', { store_uid: STORE.store_uid, device_name: 'A01', uid: 'u1', key: 'k1', type: 1 });
    const [req] = server.requests;
    expect(req?.contentType).toBe('application/json');
    const body = JSON.parse(req!.body) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['encry_data', 'service', 'store_uid']);
    expect(openEnvelope(parseEnvelope(req!.body, req!.contentType), STORE.key)).toEqual({
      cmd: 'api/posreprintinvoice',
      data: { store_uid: STORE.store_uid, device_name: 'A01', uid: 'u1', key: 'k1', type: 1 },
    });
  });

  it('parses querydirect rows with the domain schema and keeps unknown answer fields', async () => {
    const rows = [{ uid: '1', key: 'secret-charge-key', prc: 250, order_id: 'ORD-0001', cost: '10', refund_order: null }];
    const { client } = await setup(answerJson({ code: 'B200', msg: '執行成功', rows, extra: 1 }));
    const answer = await client.send(STORE, 'api/querydirect', { store_uid: STORE.store_uid, order_id: 'ORD-0001', cost: '10' });
    expect(answer.rows).toHaveLength(1);
    // Lenient domain parsing: numbers-as-strings, null arrays as [].
    expect(answer.rows[0]).toMatchObject({ uid: '1', key: 'secret-charge-key', prc: '250', order_id: 'ORD-0001', refund_order: [] });
    expect(answer.extra).toBe(1);
  });

  it('querydirect rows that are not rows → BadAnswer bad_shape', async () => {
    const { client } = await setup(answerJson({ code: 'B200', msg: 'ok', rows: [5] }));
    const err = await rejectionOf(() => client.send(STORE, 'api/querydirect', { order_id: 'o' }));
    expect(err).toMatchObject({ kind: 'bad_answer', reason: 'bad_shape' });
  });

  it('reuses keep-alive connections for consecutive sends', async () => {
    const { server, client } = await setup(answerJson({ code: 'B200', msg: 'ok', rows: [] }));
    for (let i = 0; i < 6; i++) await client.send(STORE, 'api/querydirect', { order_id: `o${i}` });
    expect(server.requests).toHaveLength(6);
    // undici's Pool may open a second socket when a send follows in the same tick as the previous
    // answer's end (the first client is not yet marked free); it never opens one per request.
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it('B500 offline (the spec sample) → GatewayRejectedError terminal_offline, retryable', async () => {
    const { client } = await setup(answerJson({ code: 'B500', msg: '設備「A01」目前未連線,請確認' }));
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect(err).toMatchObject({ kind: 'rejected', code: 'GATEWAY_REJECTED', reason: 'terminal_offline', retryable: true, gatewayMessage: '設備「A01」目前未連線,請確認' });
  });

  it('B500 with bad data → invalid_data, not retryable', async () => {
    const { client } = await setup(answerJson({ code: 'B500', msg: '資料錯誤' }));
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toMatchObject({ kind: 'rejected', reason: 'invalid_data', retryable: false });
  });
});

describe('gateway client: may have reached the gateway → OutcomeUnknown / BadAnswer', () => {
  it('a server that accepts and never answers → OutcomeUnknown timeout', async () => {
    const { server, client } = await setup(() => undefined, { answerTimeoutMs: 300 });
    const t0 = Date.now();
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toBeInstanceOf(GatewayOutcomeUnknownError);
    expect(err).toMatchObject({ kind: 'outcome_unknown', reason: 'timeout', retryable: false });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
    expectNoSecrets(err, ciphertextsOf(server));
  });

  it('headers sent, body never finished → OutcomeUnknown timeout', async () => {
    const { client } = await setup(
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"code":"B2');
      },
      { answerTimeoutMs: 300 },
    );
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toMatchObject({ kind: 'outcome_unknown', reason: 'timeout' });
  });

  it('HTTP 5xx → OutcomeUnknown http_5xx; not retryable for a charge, retryable for a query', async () => {
    const { client } = await setup(answerJson({ code: 'B200', msg: 'ignored' }, 502));
    const charge = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(charge).toBeInstanceOf(GatewayOutcomeUnknownError);
    expect(charge).toMatchObject({ reason: 'http_5xx', status: 502, retryable: false });
    const refund = await rejectionOf(() => client.send(STORE, 'api/posrefund', { uid: 'u', key: 'k', cost: '10' }));
    expect(refund).toMatchObject({ kind: 'outcome_unknown', retryable: false });
    const query = await rejectionOf(() => client.send(STORE, 'api/querydirect', { order_id: 'o' }));
    expect(query).toMatchObject({ kind: 'outcome_unknown', retryable: true });
  });

  it('socket destroyed after reading the request → OutcomeUnknown connection_lost', async () => {
    const { server, client } = await setup((req) => req.socket.destroy());
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toBeInstanceOf(GatewayOutcomeUnknownError);
    expect(err).toMatchObject({ reason: 'connection_lost', retryable: false });
    expect(server.requests).toHaveLength(1);
    expectNoSecrets(err, ciphertextsOf(server));
  });

  it('socket reset mid-answer → OutcomeUnknown connection_lost', async () => {
    const { client } = await setup((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":"B200"', () => req.socket.resetAndDestroy());
    });
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toMatchObject({ kind: 'outcome_unknown', reason: 'connection_lost' });
  });

  it('garbage answer → BadAnswer not_json, body not quoted back', async () => {
    const { server, client } = await setup((_q, res, body) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html>proxy error, your request was ${body}</html>`);
    });
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toBeInstanceOf(GatewayBadAnswerError);
    expect(err).toMatchObject({ kind: 'bad_answer', reason: 'not_json', retryable: false });
    expect(err.message).not.toContain('proxy error');
    expectNoSecrets(err, ciphertextsOf(server));
  });

  it('not HTTP at all → BadAnswer not_http', async () => {
    const { client } = await setup((req) => {
      req.socket.end('garbage garbage\r\n\r\n');
    });
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toMatchObject({ kind: 'bad_answer', reason: 'not_http' });
  });

  it.each([
    ['wrong shape', answerJson({ status: 'ok' }), 'bad_shape'],
    ['unknown code', answerJson({ code: 'B999', msg: '?' }), 'unknown_code'],
    ['HTTP 404', answerJson({ code: 'B200', msg: 'ok' }, 404), 'http_status'],
    ['HTTP 302', ((_q, res) => { res.writeHead(302, { location: 'https://evil.example/' }); res.end(); }) as Behaviour, 'http_status'],
  ])('%s → BadAnswer %s', async (_name, behaviour, reason) => {
    const { client } = await setup(behaviour);
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toMatchObject({ kind: 'bad_answer', reason, retryable: false });
  });

  it('querydirect B200 without rows → BadAnswer bad_shape (retryable: a query is read-only)', async () => {
    const { client } = await setup(answerJson({ code: 'B200', msg: 'ok' }));
    const err = await rejectionOf(() => client.send(STORE, 'api/querydirect', { order_id: 'o' }));
    expect(err).toMatchObject({ kind: 'bad_answer', reason: 'bad_shape', retryable: true });
  });

  it('an answer above maxAnswerBytes → BadAnswer too_large', async () => {
    const { client } = await setup(answerJson({ code: 'B200', msg: 'x'.repeat(10_000) }), { maxAnswerBytes: 1_000 });
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toMatchObject({ kind: 'bad_answer', reason: 'too_large' });
  });
});

describe('gateway client: never reached the gateway → NotDelivered', () => {
  it('a closed port → NotDelivered refused, retryable', async () => {
    const probe = createNetServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    probe.close();
    await once(probe, 'close');
    const client = createGatewayClient({ url: `http://127.0.0.1:${port}/api/init`, allowedHosts: ['127.0.0.1'] });
    cleanups.push(() => client.close());
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toBeInstanceOf(GatewayNotDeliveredError);
    expect(err).toMatchObject({ kind: 'not_delivered', code: 'GATEWAY_NOT_DELIVERED', reason: 'refused', retryable: true });
    expectNoSecrets(err);
  });

  it('TCP accepted but no TLS handshake → NotDelivered connect_timeout', async () => {
    const silent = createNetServer(() => undefined).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const sockets: Socket[] = [];
    silent.on('connection', (s) => sockets.push(s));
    cleanups.push(async () => {
      sockets.forEach((s) => s.destroy());
      silent.close();
    });
    const { port } = silent.address() as AddressInfo;
    const client = createGatewayClient({ url: `https://localhost:${port}/api/init`, allowedHosts: ['localhost'], connectTimeoutMs: 300 });
    cleanups.push(() => client.close());
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toMatchObject({ kind: 'not_delivered', reason: 'connect_timeout', retryable: true });
  });

  it('a DNS failure → NotDelivered dns', async () => {
    const client = createGatewayClient({ url: 'https://no-such-host.invalid/api/init', allowedHosts: ['no-such-host.invalid'], connectTimeoutMs: 2_000 });
    cleanups.push(() => client.close());
    const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
    expect(err).toMatchObject({ kind: 'not_delivered', retryable: true });
    expect(['dns', 'connect_timeout']).toContain(err.reason);
  });

  it('a merchant key of the wrong length is a config error raised before any connection', async () => {
    const { server, client } = await setup(answerJson({ code: 'B200', msg: 'ok' }));
    const err = await rejectionOf(() => client.send({ store_uid: STORE.store_uid, key: 'short' }, 'api/postransaction', CHARGE));
    expect(err).toMatchObject({ kind: 'config', retryable: false });
    expect(server.connections).toBe(0);
  });
});

describe('gateway client: secrets', () => {
  it('logs command, store and outcome but never the key or a ciphertext', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('debug', sink);
    const { server, client } = await setup(
      (_q, res) => {
        const n = server.requests.length;
        answerJson(n === 1 ? { code: 'B200', msg: 'ok' } : { code: 'B500', msg: '設備「A01」目前未連線,請確認' })(_q, res, '');
      },
      { logger },
    );
    await client.send(STORE, 'api/postransaction', CHARGE);
    await client.send(STORE, 'api/postransaction', CHARGE).catch(() => undefined);
    const text = lines.join('');
    expect(text).toContain('api/postransaction');
    expect(text).toContain('terminal_offline');
    expect(text).not.toContain(STORE.key);
    for (const c of ciphertextsOf(server)) expect(text).not.toContain(c.slice(0, 24));
  });
});
