/**
 * The one-command start and the split roles, as real processes through the package scripts:
 * `npm start` in demo mode (bundled simulator, generated credentials) takes a charge to paid;
 * without MYPAY_URL's demo mode it refuses to run without credentials; `npm run api` +
 * `npm run worker` work as two processes on one Redis. In demo mode a restart keeps the credentials
 * and the simulator's orders (DEMO_DATA_DIR): a charge in flight when stopped ends paid.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { freePort } from '../../src/redis/local-server.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { runScript, type Script } from './spawn.js';

let redis: TestRedis;
const running: Script[] = [];
// Demo mode keeps its simulator's orders and credentials in DEMO_DATA_DIR: never the repository's .data/.
const dataDirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-data-'));
  dataDirs.push(dir);
  return dir;
};
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await redis?.stop();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

const fast = { POLL_DENSE_MS: '100', SIM_SERVICE_MS: '200', SIM_FOLLOW_UP_MS: '200', LOG_LEVEL: 'info', DEMO_DATA_DIR: dataDir() };

async function waitPaid(base: string, key: string, orderId: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const r = await fetch(`${base}/v1/payments/${TEST_MERCHANT.storeUid}/${orderId}`, { headers: { authorization: `Bearer ${key}` } });
    last = await r.json();
    if ((last as { state?: string }).state === 'paid') return last as Record<string, unknown>;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`not paid: ${JSON.stringify(last)}`);
}

const postCharge = (base: string, key: string, orderId: string) =>
  fetch(`${base}/v1/charges`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ device_name: 'A01', order_id: orderId, cost: 100, pfn: 'CREDITCARD' }),
  });

describe('npm start', () => {
  it('starts API, dashboard, workers and the bundled simulator, prints URLs and demo credentials, and takes a charge to paid', async () => {
    const app = runScript('start', { ...fast, PORT: '0', SIM_PORT: '0', REDIS_URL: redis.url, QUEUE_PREFIX: `${redis.prefix}s` });
    running.push(app);
    const [, base] = await app.waitFor(/API\s+(http:\/\/\S+)\/v1\n/);
    const [, user, password] = await app.waitFor(/Login\s+(\S+) \/ (\S+)/);
    const [, key] = await app.waitFor(/API key\s+(\S+)/);
    expect(app.output()).toMatch(/Dashboard\s+http:\/\/\S+\/admin\/queues/);

    expect((await postCharge(base!, key!, 'start-1')).status).toBe(202);
    expect(await waitPaid(base!, key!, 'start-1')).toMatchObject({ state: 'paid', prc: '250' });
    // Demo mode sends signed events to a receiver it started, which verifies each signature.
    expect(app.output()).toMatch(/Webhooks\s+http:\/\/127\.0\.0\.1:\d+\/webhooks\s+\(demo receiver/);
    await app.waitFor(/"type":"charge\.paid"[^\n]*"order":"start-1"[^\n]*webhook received: charge\.paid \(signature verified\)/);
    expect(app.output()).not.toMatch(/webhook refused/);
    const boardRes = await fetch(`${base}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
    expect(boardRes.status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await app.stop()).toBe(true);
    expect(app.output()).toMatch(/"signal":"SIGTERM","msg":"stopping: finishing running jobs"/);
  });

  it('keeps the demo across a restart: the same API key and login, and a charge in flight when stopped ends paid with one charge POST', async () => {
    const data = dataDir();
    // A slow terminal, so the charge is still in its hands when the process stops; polls further apart
    // than a worker waits in a job (250 ms), so the stop does not wait for the follow-up to see it paid.
    const env = { ...fast, POLL_DENSE_MS: '500', SIM_SERVICE_MS: '2500', PORT: '0', SIM_PORT: '0', REDIS_URL: redis.url, QUEUE_PREFIX: `${redis.prefix}k`, DEMO_DATA_DIR: data };
    const first = runScript('start', env);
    running.push(first);
    const [, base1] = await first.waitFor(/API\s+(http:\/\/\S+)\/v1\n/);
    const [, login] = await first.waitFor(/Login\s+(\S+ \/ \S+)/);
    const [, key] = await first.waitFor(/API key\s+(\S+)/);
    const credentials = join(data, 'demo-credentials.json');
    expect(first.output()).toContain(`(generated; kept in ${credentials} — delete it for new ones; set API_KEYS to choose)`);
    expect(first.output()).toMatch(/Sim orders\s+kept in \S+simulator\.json/);
    expect(statSync(credentials).mode & 0o777).toBe(0o600);

    expect((await postCharge(base1!, key!, 'kept-1')).status).toBe(202);
    // The gateway accepted it (B200) and saved it (within 500 ms): stop while the terminal works on it.
    type Saved = { orders: { order_id: string; uid: string; prc: string }[]; charges: { uid: string }[] };
    const saved = (): Saved | undefined => {
      try {
        return JSON.parse(readFileSync(join(data, 'simulator.json'), 'utf8')) as Saved;
      } catch {
        return undefined;
      }
    };
    for (let i = 0; !saved()?.orders.some((o) => o.order_id === 'kept-1'); i++) {
      if (i > 200) throw new Error(`the charge was never saved:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await first.stop()).toBe(true);
    const state = saved()!;
    const order = state.orders.find((o) => o.order_id === 'kept-1');
    expect(state.orders.filter((o) => o.order_id === 'kept-1')).toHaveLength(1);
    expect(order?.prc).toBe('200');
    expect(state.charges.map((c) => c.uid)).toEqual([order?.uid]);

    const second = runScript('start', env);
    running.push(second);
    const [, base2] = await second.waitFor(/API\s+(http:\/\/\S+)\/v1\n/);
    const [, sim2] = await second.waitFor(/Simulator\s+(http:\/\/\S+)/);
    expect((await second.waitFor(/Login\s+(\S+ \/ \S+)/))[1]).toBe(login);
    expect((await second.waitFor(/API key\s+(\S+)/))[1]).toBe(key);
    expect(second.output()).toMatch(/"resumed":\{"charges":1,"refunds":0\}[^\n]*"msg":"simulator orders restored/);
    expect(await waitPaid(base2!, key!, 'kept-1')).toMatchObject({ state: 'paid', prc: '250' });
    // One charge POST: none after the restart (not even one refused as a repeat), one order at the gateway.
    const stats = async (origin: string) => (await (await fetch(`${origin}/_sim/stats`)).json()) as { chargePosts: Record<string, number>; duplicateChargePosts: Record<string, number> };
    expect(await stats(sim2!)).toMatchObject({ chargePosts: {}, duplicateChargePosts: {} });
    const orders = (await (await fetch(`${sim2}/_sim/orders`)).json()) as { order_id: string; uid: string; prc: string }[];
    expect(orders.filter((o) => o.order_id === 'kept-1')).toEqual([expect.objectContaining({ uid: order?.uid, prc: '250' })]);
    expect(await second.stop()).toBe(true);
  });

  it('refuses to start against a real gateway without API keys and dashboard credentials', async () => {
    const app = runScript('start', { PORT: '0', REDIS_URL: redis.url, MYPAY_URL: 'https://pay.usecase.cc/api/init', MYPAY_STORE_UID: TEST_MERCHANT.storeUid, MYPAY_STORE_KEY: TEST_MERCHANT.key });
    running.push(app);
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/configuration error: API_KEYS is required/);
  });
});

describe('start-up errors are one line each, never a stack trace', () => {
  it('a busy PORT', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const app = runScript('start', { ...fast, PORT: String(port), SIM_PORT: '0', REDIS_URL: redis.url, QUEUE_PREFIX: `${redis.prefix}p` });
      running.push(app);
      expect(await app.exited).toBe(1);
      const errors = app.output().split('\n').filter((l) => /error|failed/i.test(l) && !l.startsWith('{'));
      expect(errors).toEqual([`configuration error: PORT=${port}: 127.0.0.1:${port} is already in use by another process — stop it or choose another PORT`]);
      expect(app.output()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('a bad setting', async () => {
    const app = runScript('start', { PORT: 'eighty', REDIS_URL: redis.url });
    running.push(app);
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/^configuration error: PORT: .+$/m);
    expect(app.output()).not.toMatch(/\n\s+at /);
  });
});

describe('npm run api + npm run worker', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await createSimulator({ devices: 4, serviceMs: 100 });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('run as two processes on one Redis: the API enqueues, the worker pays, each reports health and metrics', async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const common = {
      ...fast, REDIS_URL: redis.url, QUEUE_PREFIX: `${redis.prefix}r`, MYPAY_URL: sim.url, MYPAY_ALLOWED_HOSTS: '127.0.0.1',
      MYPAY_STORE_UID: TEST_MERCHANT.storeUid, MYPAY_STORE_KEY: TEST_MERCHANT.key, API_KEYS: 'split-key-1234567890', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'split-password',
    };
    const api = runScript('api', { ...common, PORT: String(apiPort) });
    const worker = runScript('worker', { ...common, METRICS_PORT: String(metricsPort) });
    running.push(api, worker);
    await api.waitFor(/API\s+http/);
    await worker.waitFor(/Metrics\s+http/);
    const base = `http://127.0.0.1:${apiPort}`;
    expect((await postCharge(base, 'split-key-1234567890', 'split-1')).status).toBe(202);
    await waitPaid(base, 'split-key-1234567890', 'split-1');

    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ status: 'ready', checks: { redis: true, workers: 'not in this process' } });
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/mypay_operations_final_total\{kind="charge",state="paid"[^}]*\} 1/);
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).json()).toMatchObject({ checks: { redis: true, workers: true } });
    expect(await api.stop()).toBe(true);
    expect(await worker.stop()).toBe(true);
    expect(worker.output()).toMatch(/"msg":"stopping: finishing running jobs"/);
  });
});
