/**
 * The HTTP API on top of the shared test harness (private Redis, in-process simulator over real HTTP,
 * real workers), listening on a free loopback port; requests go over real HTTP with fetch.
 */
import { pino } from 'pino';
import { createApiApp } from '../../src/api/app.js';
import type { ApiOptions } from '../../src/api/deps.js';
import { listen, type Listening } from '../../src/launch/listen.js';
import { createMetrics, type Metrics } from '../../src/metrics/index.js';
import { startHarness, STORE_UID, type Harness } from '../support/harness.js';
import type { SimulatorOptions } from '../../src/simulator/index.js';
import type { SettingsInput } from '../../src/queues/settings.js';
import { createProducer, type ProducerScope } from '../../src/producers/index.js';

export const API_KEY = 'test-key-0123456789abcdef';
export const OTHER_KEY = 'second-key-fedcba9876543210';
export const ADMIN = { user: 'ops', password: 'correct horse battery staple' };
export { STORE_UID };

export interface ApiHarness {
  h: Harness;
  metrics: Metrics;
  http: Listening;
  url: string;
  /** fetch with the Bearer key (unless `auth: false` / other headers given). */
  call(method: string, path: string, opts?: { body?: unknown; raw?: string; headers?: Record<string, string>; auth?: boolean }): Promise<{ status: number; headers: Headers; body: unknown }>;
  close(): Promise<void>;
}

/**
 * `settings`: core settings over the fast ones; `producer`: the stores and terminals the API's
 * producer may enqueue for (default: the harness' producer, any).
 */
export async function startApi(opts: { sim?: SimulatorOptions; api?: Partial<ApiOptions>; workers?: boolean; settings?: SettingsInput; producer?: ProducerScope } = {}): Promise<ApiHarness> {
  // As in production (2 s polls), every follow-up runs in its own status job, which the dashboard
  // tests look at; inline follow-ups are covered by test/core.
  const h = await startHarness({ sim: opts.sim, settings: { inlineWaitMs: 0, ...opts.settings } });
  const metrics = createMetrics(h.core, { processMetrics: false });
  h.ctx.onEvent = metrics.onEvent;
  const workers = opts.workers === false ? undefined : h.startWorker();
  const app = createApiApp({
    core: h.core,
    producer: opts.producer ? createProducer(h.core, opts.producer) : h.producer,
    stores: [STORE_UID],
    apiKeys: [API_KEY, OTHER_KEY],
    admin: ADMIN,
    bodyLimitBytes: 4_096,
    metrics,
    workers,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...opts.api,
  });
  const http = await listen(app, 0, '127.0.0.1');
  return {
    h,
    metrics,
    http,
    url: http.url,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = {};
      if (o.auth !== false) headers.authorization = `Bearer ${API_KEY}`;
      if (o.body !== undefined || o.raw !== undefined) headers['content-type'] = 'application/json';
      Object.assign(headers, o.headers);
      const res = await fetch(`${http.url}${path}`, { method, headers, body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)) });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep text
      }
      return { status: res.status, headers: res.headers, body };
    },
    async close() {
      await http.close();
      await h.close();
    },
  };
}

export const charge = (orderId: string, cost: number, device = 'A01', extra: Record<string, unknown> = {}) => ({
  device_name: device, order_id: orderId, cost, pfn: 'CREDITCARD', ...extra,
});

/** Polls GET /v1/payments until the state is one of `states`. */
export async function waitForPayment(api: ApiHarness, orderId: string, states: string[], timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const r = await api.call('GET', `/v1/payments/${STORE_UID}/${encodeURIComponent(orderId)}`);
    last = r.body;
    if (r.status === 200 && states.includes((r.body as { state: string }).state)) return r.body as Record<string, unknown>;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`payment ${orderId} not in ${states.join('|')}: ${JSON.stringify(last)}`);
}
