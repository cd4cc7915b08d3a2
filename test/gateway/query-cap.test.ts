/**
 * The per-store cap on status queries (src/gateway/query-cap.ts) against a real Redis: two gateway
 * clients, each with its own limiter on its own Redis connection (as two worker processes have), and
 * many concurrent callers of one store never put more than the cap into any second at the gateway —
 * counted where the queries arrive. Another store keeps its own cap; charges never wait for it;
 * `mypay send query` takes its slot like a worker.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEnvelope, parseEnvelope } from '../../src/domain/codec/index.js';
import { EXIT, runSend } from '../../src/cli/send.js';
import { createGatewayClient, createQueryCap, GatewayNotDeliveredError, queryCapKey, type GatewayClient } from '../../src/gateway/index.js';
import { busiestSecond } from '../../bench/scenarios/support/measure.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { CHARGE, STORE } from './helpers.js';

const CAP = 10;
const OTHER = { store_uid: '289151880003', key: STORE.key };
const QUERY = { order_id: 'ORD-0001', cost: '10' };

let redis: TestRedis;
let gateway: Worker;
let gatewayUrl: string;
const arrivals: { at: number; store: string; cmd: string }[] = [];
const connections: Redis[] = [];
const clients: GatewayClient[] = [];

/**
 * The gateway in a thread of its own, so that when a query arrives is read on an event loop that the
 * callers do not hold up: each request's arrival time (ms since the epoch) and body go to the test.
 */
const GATEWAY = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    parentPort.postMessage({ at, body: Buffer.concat(chunks).toString('utf8'), contentType: req.headers['content-type'] ?? '' });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ code: 'B200', msg: '執行成功', rows: [] }));
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

/** A gateway client with its own limiter on its own Redis connection: one worker process. */
function processClient(): GatewayClient {
  const conn = new Redis(redis.url);
  connections.push(conn);
  const client = createGatewayClient({ url: gatewayUrl, allowedHosts: ['127.0.0.1'], answerTimeoutMs: 2_000, queryCap: createQueryCap(conn, redis.prefix, CAP) });
  clients.push(client);
  return client;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await startTestRedis();
  gateway = new Worker(GATEWAY, { eval: true });
  gateway.on('message', (m: { port: number } | { at: number; body: string; contentType: string }) => {
    if ('port' in m) return;
    const envelope = parseEnvelope(m.body, m.contentType);
    arrivals.push({ at: m.at, store: envelope.store_uid, cmd: openEnvelope(envelope, STORE.key).cmd });
  });
  const [{ port }] = (await once(gateway, 'message')) as [{ port: number }];
  gatewayUrl = `http://127.0.0.1:${port}/api/init`;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const c of connections) c.disconnect();
  await gateway.terminate();
  await redis.stop();
});

describe('GATEWAY_QUERIES_PER_SECOND', () => {
  it('two processes, 16 callers of one store: never more than the cap in any second at the gateway; another store unaffected', async () => {
    const [a, b] = [processClient(), processClient()];
    const until = performance.now() + 3_500;
    const refusals: string[] = [];
    const otherRefusals: string[] = [];
    let otherSent = 0;
    // Store A: as fast as the callers can ask; a refused query is asked again 25 ms later.
    const hammer = async (client: GatewayClient) => {
      while (performance.now() < until) {
        try {
          await client.send(STORE, 'api/querydirect', QUERY);
        } catch (err) {
          if (!(err instanceof GatewayNotDeliveredError) || err.reason !== 'query_cap') throw err;
          refusals.push(err.message);
          await sleep(25);
        }
      }
    };
    // The other store: 5 queries per second, under its cap.
    const steady = async (client: GatewayClient) => {
      while (performance.now() < until) {
        otherSent++;
        await client.send(OTHER, 'api/querydirect', QUERY).catch((err: Error) => otherRefusals.push(err.message));
        await sleep(400);
      }
    };
    const t0 = performance.now();
    await Promise.all([...Array.from({ length: 16 }, (_, i) => hammer(i % 2 ? a : b)), steady(a), steady(b)]);
    const seconds = (performance.now() - t0) / 1_000;
    await sleep(200); // the last arrivals' messages from the gateway's thread

    const mine = arrivals.filter((r) => r.store === STORE.store_uid).map((r) => r.at);
    expect(busiestSecond(mine)).toBeLessThanOrEqual(CAP);
    // Held back, not starved: the cap per 1.25 s.
    expect(mine.length).toBeGreaterThanOrEqual(CAP * Math.floor(seconds / 1.25));
    expect(mine.length).toBeLessThanOrEqual(CAP * Math.ceil(seconds / 1.25));
    expect(refusals.length).toBeGreaterThan(0);
    for (const m of refusals) expect(m).toBe('api/querydirect not delivered to 127.0.0.1: query_cap (store 289151880002 is at its cap of 10 queries per second (GATEWAY_QUERIES_PER_SECOND): no slot within 250 ms)');

    // The other store never waits for the first one's slots.
    expect(otherRefusals).toEqual([]);
    expect(arrivals.filter((r) => r.store === OTHER.store_uid)).toHaveLength(otherSent);
  });

  it('a charge (and every other command) never waits for the cap, even when the store has no slot left', async () => {
    const client = processClient();
    await Promise.all(Array.from({ length: CAP * 2 }, () => client.send(STORE, 'api/querydirect', QUERY).catch(() => undefined)));
    await expect(client.send(STORE, 'api/querydirect', QUERY)).rejects.toMatchObject({ kind: 'not_delivered', reason: 'query_cap' });
    // The slots of the last window are all Redis keeps, and they expire.
    const key = queryCapKey(redis.prefix, STORE.store_uid);
    expect(await connections[0]!.zcard(key)).toBeGreaterThan(0);
    expect(await connections[0]!.pttl(key)).toBeGreaterThan(0);
    expect(await connections[0]!.pttl(key)).toBeLessThanOrEqual(1_250 + 250);
    const before = arrivals.length;
    const started = performance.now();
    await expect(client.send(STORE, 'api/postransaction', CHARGE)).resolves.toMatchObject({ code: 'B200' });
    expect(performance.now() - started).toBeLessThan(200);
    await expect.poll(() => arrivals.slice(before).map((r) => r.cmd)).toEqual(['api/postransaction']);
  });

  it('mypay send query takes a slot of the same cap when it runs with the workers\' Redis', async () => {
    const err: string[] = [];
    const io = {
      env: {
        MYPAY_URL: gatewayUrl, MYPAY_ALLOWED_HOSTS: '127.0.0.1', MYPAY_STORE_UID: STORE.store_uid, MYPAY_STORE_KEY: STORE.key,
        REDIS_URL: redis.url, QUEUE_PREFIX: `${redis.prefix}cli`, GATEWAY_QUERIES_PER_SECOND: '1',
      },
      out: () => undefined,
      err: (line: string) => void err.push(line),
    };
    const query = { data: JSON.stringify(QUERY) };
    expect(await runSend('query', query, io)).toBe(EXIT.ok);
    expect(await runSend('query', query, io)).toBe(EXIT.notDelivered);
    expect(err.at(-1)).toMatch(/^mypay send query: api\/querydirect not delivered to 127\.0\.0\.1: query_cap \(store 289151880002 is at its cap of 1 queries per second \(GATEWAY_QUERIES_PER_SECOND\): no slot within 250 ms\) — nothing reached the gateway, safe to resend$/);
  });

  it('a cap that is not a positive whole number is refused', () => {
    const conn = new Redis(redis.url, { lazyConnect: true });
    connections.push(conn);
    expect(() => createQueryCap(conn, redis.prefix, 0)).toThrow(/positive whole number/);
    expect(() => createQueryCap(conn, redis.prefix, 2.5)).toThrow(/positive whole number/);
  });
});
