/**
 * Scenario W — webhooks. The same charge lifecycle as scenario 1, twice on fresh Redis: without
 * webhooks (the peer: what delivery must not slow down) and with every event delivered to a local
 * receiver that verifies each signature with the `standardwebhooks` package. Reports payments/s
 * both ways, webhook deliveries/s, and the delay from an operation's final state (the event's
 * `created_at`, written by the finish script) to its delivery at the receiver (p50/p99).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { createWebhookEndpoint, webhookEndpoints } from '../../src/workers/notify/endpoints.js';
import { startNotify, type NotifyRuntime } from '../../src/workers/notify/runtime.js';
import { mapLimit, round, summarize, waitUntil } from './support/measure.js';
import { benchSettings, chargeInput, deviceName, startOrchestrator, STORE_UID } from './support/orchestrator.js';
import { startBenchRedis } from './support/redis.js';
import { startSimProcess } from './support/sim-process.js';
import type { ScenarioContext, ScenarioResult } from './support/types.js';

const LABEL = 'W webhooks';
const PACED_PER_SECOND = 40;
const SECRET = `whsec_${Buffer.from('bench-webhook-secret-0123456789ab').toString('base64')}`;

interface Options {
  payments: number;
  terminals: number;
  concurrency: number;
  producers: number;
}
const DEFAULTS: Options = { payments: 2_000, terminals: 200, concurrency: 100, producers: 64 };
const QUICK: Options = { payments: 300, terminals: 50, concurrency: 50, producers: 32 };

interface Receiver {
  url: string;
  /** event id → (type, ms from the event's created_at to its verified arrival). */
  seen: Map<string, { type: string; lagMs: number; at: number }>;
  duplicates: number;
  refused: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const wh = new Webhook(SECRET);
  const seen: Receiver['seen'] = new Map();
  let duplicates = 0;
  let refused = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const e = wh.verify(body, req.headers as Record<string, string>) as { id: string; type: string; created_at: string };
        if (seen.has(e.id)) duplicates++;
        else seen.set(e.id, { type: e.type, lagMs: Date.now() - Date.parse(e.created_at), at: performance.now() });
        res.writeHead(204).end();
      } catch {
        refused++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    seen,
    get duplicates() {
      return duplicates;
    },
    get refused() {
      return refused;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function run(o: Options, deadline: number, withWebhooks: boolean, paceMs = 0) {
  const redis = await startBenchRedis();
  const sim = await startSimProcess({ devices: o.terminals, serviceMs: 0 });
  const orch = startOrchestrator({ redisUrl: redis.url, simUrl: sim.url, settings: benchSettings(1) });
  const receiver = withWebhooks ? await startReceiver() : null;
  let notify: NotifyRuntime | null = null;
  try {
    const rt = orch.startWorkers(o.concurrency);
    await Promise.all([rt.device.waitUntilReady(), rt.status.waitUntilReady()]);
    if (receiver) {
      const endpoints = webhookEndpoints([createWebhookEndpoint({ id: 'bench', url: receiver.url, store: STORE_UID, secrets: [SECRET] })]);
      notify = startNotify({ core: orch.core, endpoints, logger: pino({ level: 'silent' }), concurrency: 100, settings: { dispatchBlockMs: 200, endpointConcurrency: 50 } });
      await notify.worker.waitUntilReady();
    }
    await orch.producer.enqueueCharge(chargeInput('warmup', deviceName(0, o.terminals)));
    await orch.waitForFinals(1, deadline);
    if (receiver) await waitUntil(() => receiver.seen.size >= 2, deadline, 5);
    const base = orch.finalCount();
    const seenBase = receiver?.seen.size ?? 0;
    const t0 = performance.now();
    const orders = Array.from({ length: o.payments }, (_, i) => i);
    if (paceMs > 0) {
      // Paced: one payment every `paceMs`, so the delay measured is the pipeline's, not a backlog's.
      for (const i of orders) {
        if (Date.now() > deadline) break;
        void orch.producer.enqueueCharge(chargeInput(`wh-${i}`, deviceName(i % o.terminals, o.terminals)));
        await new Promise((r) => setTimeout(r, paceMs));
      }
    } else {
      await mapLimit(orders, o.producers, async (i) => void (await orch.producer.enqueueCharge(chargeInput(`wh-${i}`, deviceName(i % o.terminals, o.terminals)))), deadline);
    }
    const finished = await orch.waitForFinals(base + o.payments, deadline);
    const paidMs = performance.now() - t0;
    const done = orch.finalCount() - base;
    // Every payment has two events (charge.accepted, charge.paid).
    const expected = seenBase + 2 * done;
    const delivered = receiver ? await waitUntil(() => receiver.seen.size >= expected, deadline, 5) : true;
    const all = receiver ? [...receiver.seen.values()] : [];
    const lastAt = all.reduce((m, s) => Math.max(m, s.at), t0);
    return {
      done, finished: finished && delivered, paymentsPerSecond: (done / paidMs) * 1000,
      deliveries: all.length - seenBase, deliveriesPerSecond: ((all.length - seenBase) / (lastAt - t0)) * 1000,
      finalLag: summarize(all.filter((s) => s.type === 'charge.paid').map((s) => s.lagMs)),
      duplicates: receiver?.duplicates ?? 0, refused: receiver?.refused ?? 0,
    };
  } finally {
    await notify?.close();
    await receiver?.close();
    await orch.close();
    await sim.stop();
    await redis.stop();
  }
}

export async function webhooksScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const o = ctx.quick ? QUICK : DEFAULTS;
  const started = Date.now();
  ctx.log(`without webhooks: ${o.payments} payments over ${o.terminals} terminals`);
  const peer = await run(o, started + ctx.budgetMs * 0.45, false);
  ctx.log(`without webhooks: ${peer.paymentsPerSecond.toFixed(0)} payments/s; with webhooks to a verifying receiver`);
  const ours = await run(o, started + ctx.budgetMs * 0.75, true);
  ctx.log(`with webhooks: ${ours.paymentsPerSecond.toFixed(0)} payments/s, ${ours.deliveriesPerSecond.toFixed(0)} deliveries/s, final → delivered p50 ${ours.finalLag.p50} ms / p99 ${ours.finalLag.p99} ms`);
  const paced = await run({ ...o, payments: Math.min(o.payments, ctx.quick ? 150 : 600) }, started + ctx.budgetMs, true, 1000 / PACED_PER_SECOND);
  ctx.log(`paced at ${PACED_PER_SECOND} payments/s: final → delivered p50 ${paced.finalLag.p50} ms / p99 ${paced.finalLag.p99} ms`);
  const note = ours.finished ? undefined : `time budget: ${ours.done} payments, ${ours.deliveries} deliveries`;
  return {
    id: 'W',
    title: 'Webhooks: payments/s with every event delivered (signed, verified by the receiver) vs without; deliveries/s; final state → delivered',
    status: ours.finished && peer.finished ? 'ok' : 'partial',
    durationMs: Date.now() - started,
    rows: [
      { scenario: LABEL, metric: 'charge lifecycle with webhooks', unit: 'payments/s', measured: round(ours.paymentsPerSecond, 0), peer: { name: 'same, no webhooks', value: round(peer.paymentsPerSecond, 0) }, better: 'higher', note },
      { scenario: LABEL, metric: 'webhook deliveries (2 events per payment)', unit: 'deliveries/s', measured: round(ours.deliveriesPerSecond, 0), peer: { name: 'payments/s × 2 (events made)', value: round(ours.paymentsPerSecond * 2, 0) }, better: 'higher', note: `${ours.duplicates} duplicate(s), ${ours.refused} refused signature(s)` },
      { scenario: LABEL, metric: 'final state → delivered p50, all at once (backlog included)', unit: 'ms', measured: ours.finalLag.p50, better: 'lower' },
      { scenario: LABEL, metric: 'final state → delivered p99, all at once (backlog included)', unit: 'ms', measured: ours.finalLag.p99, better: 'lower' },
      { scenario: LABEL, metric: `final state → delivered p50 at ${PACED_PER_SECOND} payments/s`, unit: 'ms', measured: paced.finalLag.p50, better: 'lower', note: paced.finished ? undefined : 'time budget: partial' },
      { scenario: LABEL, metric: `final state → delivered p99 at ${PACED_PER_SECOND} payments/s`, unit: 'ms', measured: paced.finalLag.p99, better: 'lower' },
    ],
    details: { options: o, peer, ours, paced },
  };
}
