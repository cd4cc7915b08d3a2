/**
 * Redis restarts (docs/RELIABILITY.md): a redis-server of the test's own, AOF on with `appendfsync
 * everysec`, behind a real API process (`src/main.ts --role api`) and two real worker processes,
 * under a steady stream of charges through the API. Redis is stopped twice mid-run — once by
 * SHUTDOWN, once by kill -9 — and started again on the same port and data directory.
 *
 * "Acknowledged" means the API answered 202: the producer's enqueue (record, line, job) had
 * returned from Redis. Every acknowledged charge must exist after the restarts and reach a final
 * state; none may be charged twice; the API and workers carry on without being restarted.
 *
 * A second test measures what stronger durability costs: enqueues per second with `appendfsync
 * everysec` against `always` on this machine's disk (docs/RELIABILITY.md discusses the choice).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore, REDIS_OPTIONS, type Core } from '../../src/queues/core.js';
import { createProducer } from '../../src/producers/index.js';
import { freePort, startLocalRedis, type LocalRedis } from '../../src/redis/local-server.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { STORE_UID, charge } from '../support/harness.js';
import { spawnWorker, type WorkerProcess } from '../support/processes.js';
import { doubleCharges, ledgerMismatches, settle } from './support/checks.js';
import { PROFILE } from './support/profile.js';
import { SEED, percentile, report, sleep } from './support/report.js';
import { spawnApi, type ApiProcess } from './support/system.js';

const P = PROFILE.redis;
/** AOF on the real disk (not a tmpfs), so fsync costs what it costs. */
const dataRoot = resolve('test-artifacts', 'reliability', 'redis-data');
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

function dataDir(): string {
  const dir = join(dataRoot, randomBytes(4).toString('hex'));
  mkdirSync(dir, { recursive: true });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Sent {
  orderId: string;
  phase: string;
  sentAt: number;
  answeredAt?: number;
  status?: number;
  error?: string;
}

describe('Redis restarts', () => {
  it('SHUTDOWN and kill -9 of an AOF everysec Redis mid-run: acknowledged charges lost 0, API and workers recover by themselves', async () => {
    const dir = dataDir();
    const port = await freePort();
    let redis: LocalRedis = await startLocalRedis({ appendOnly: true, dir, port });
    cleanups.push(() => redis.kill());
    const prefix = `rr${randomBytes(3).toString('hex')}`;
    const sim: Simulator = await createSimulator({ devices: 20, serviceMs: { minMs: 30, maxMs: 150 }, journalSize: 100_000 });
    cleanups.push(() => sim.close());
    const core: Core = createCore({ connection: new Redis(redis.url, REDIS_OPTIONS), tag: prefix });
    cleanups.push(async () => {
      await core.close();
      await (core.redis as Redis).quit().catch(() => undefined);
    });
    const api: ApiProcess = await spawnApi({ redisUrl: redis.url, prefix, gatewayUrl: sim.url });
    cleanups.push(() => api.kill9());
    const workers: WorkerProcess[] = await Promise.all([0, 1].map(() => spawnWorker({ redisUrl: redis.url, prefix, gatewayUrl: sim.url, concurrency: 20, env: { TERMINAL_WINDOW_MS: '1000' } })));
    cleanups.push(() => Promise.all(workers.map((w) => w.kill9())).then(() => undefined));
    const pids = { api: api.pid, workers: workers.map((w) => w.child.pid) };

    // Steady traffic through the API, whatever Redis is doing.
    const sent: Sent[] = [];
    let phase = 'before';
    let sending = true;
    const inflight: Promise<void>[] = [];
    const traffic = (async () => {
      const t0 = Date.now();
      for (let i = 0; sending; i++) {
        const s: Sent = { orderId: `rr-${SEED}-${i}`, phase, sentAt: Date.now() };
        sent.push(s);
        inflight.push(
          api.call('POST', '/v1/charges', { device_name: `A${String((i % 20) + 1).padStart(2, '0')}`, order_id: s.orderId, cost: 100 + 100 * (i % 9), pfn: 'CREDITCARD' }, { timeoutMs: 30_000 }).then(
            (r) => {
              s.status = r.status;
              s.answeredAt = Date.now();
              if (r.status !== 202) s.error = r.text.slice(0, 200);
            },
            (err: Error) => {
              s.error = err.name === 'TimeoutError' ? 'timeout' : err.message;
              s.answeredAt = Date.now();
            },
          ),
        );
        const due = t0 + ((i + 1) * 1000) / P.ratePerSecond;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    })();

    const events: Record<string, number> = {};
    const mark = (name: string) => (events[name] = Date.now());
    await sleep(P.phaseSeconds * 1000);

    // 1. SHUTDOWN: Redis writes out its AOF and exits.
    phase = 'shutdown';
    mark('shutdown');
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    const exited = new Promise((r) => redis.process.once('exit', r));
    await admin.call('SHUTDOWN').catch(() => undefined);
    admin.disconnect();
    await exited;
    await sleep(P.downSeconds * 1000);
    redis = await startLocalRedis({ appendOnly: true, dir, port });
    mark('restart-1');
    phase = 'after-shutdown';
    await sleep(P.phaseSeconds * 1000);

    // 2. kill -9: no goodbye, no final write.
    phase = 'kill';
    mark('kill9');
    await redis.kill();
    await sleep(P.downSeconds * 1000);
    redis = await startLocalRedis({ appendOnly: true, dir, port });
    mark('restart-2');
    phase = 'after-kill';
    await sleep(P.phaseSeconds * 1000);
    sending = false;
    await traffic;
    await Promise.all(inflight);

    const acknowledged = sent.filter((s) => s.status === 202);
    const notAcknowledged = sent.filter((s) => s.status !== 202);
    const ids = sent.map((s) => `charge.${STORE_UID}.${s.orderId}`);
    const ackIds = new Set(acknowledged.map((s) => `charge.${STORE_UID}.${s.orderId}`));
    const result = await settle(core, ids, 120_000);
    const ackLost = [...ackIds].filter((id) => result.ops.get(id) === null);
    const ackOpen = result.open.filter((o) => ackIds.has(o.id));
    const nackStored = notAcknowledged.filter((s) => result.ops.get(`charge.${STORE_UID}.${s.orderId}`));
    const all = [...result.ops.values()].filter((o) => o !== null);
    const dbl = doubleCharges(sim);
    const mismatch = ledgerMismatches(sim, all);
    const ready = await api.call('GET', '/readyz', undefined, { auth: false });
    const firstAckAfter = (t: number) => Math.min(...acknowledged.filter((s) => s.answeredAt! >= t).map((s) => s.answeredAt!)) - t;
    const latencies = acknowledged.map((s) => s.answeredAt! - s.sentAt);
    const byPhase: Record<string, string> = {};
    for (const s of sent) {
      const k = s.phase;
      const [a, n] = (byPhase[k] ?? '0/0').split('/').map(Number) as [number, number];
      byPhase[k] = `${a + (s.status === 202 ? 1 : 0)}/${n + 1}`;
    }
    const reasons: Record<string, number> = {};
    for (const s of notAcknowledged) reasons[s.status ? `HTTP ${s.status}` : s.error ?? '?'] = (reasons[s.status ? `HTTP ${s.status}` : s.error ?? '?'] ?? 0) + 1;

    // Everything the processes print should be a pino JSON line: a raw stack means an error
    // escaped the logger (and its redaction).
    // (The API's start-up banner, before its first JSON line, is for a person and is left out.)
    const jsonLines = (out: string) => out.slice(Math.max(0, out.indexOf('\n{') + 1)).split('\n');
    const unstructured = [['api', api.output()], ...workers.map((w, i) => [`worker ${i}`, w.output()])]
      .flatMap(([who, out]) => jsonLines(out!).filter((l) => l.trim() !== '' && !l.startsWith('{')).map((l) => `${who}: ${l}`));

    report('redis-restarts', {
      seed: SEED,
      'charges sent to the API': sent.length,
      'acknowledged (202)': acknowledged.length,
      'acknowledged / sent, by phase': byPhase,
      'not acknowledged': notAcknowledged.length,
      'not acknowledged, why': reasons,
      'not acknowledged but stored (and followed up)': nackStored.length,
      'acknowledged lost': ackLost.length,
      'acknowledged not final': ackOpen.length,
      'double charges': dbl.count,
      'busy violations': sim.engine.stats.busyViolations,
      'states vs gateway ledger: mismatches': mismatch.count,
      'Redis down (s) per restart': P.downSeconds,
      'first 202 after restart 1 (ms)': firstAckAfter(events['restart-1']!),
      'first 202 after restart 2 (ms)': firstAckAfter(events['restart-2']!),
      'API answer time p50 / p99 / max (ms)': `${percentile(latencies, 50)} / ${percentile(latencies, 99)} / ${Math.max(...latencies)}`,
      'API and worker processes restarted': api.pid !== pids.api || !api.alive() || workers.some((w) => w.child.exitCode !== null) ? 'yes' : 'no',
      'API /readyz after': ready.status,
      'raw (non-JSON) lines on output during the outages: API / workers': `${unstructured.filter((l) => l.startsWith('api:')).length} / ${unstructured.filter((l) => !l.startsWith('api:')).length}`,
      'final states': result.states,
    });

    expect(ackLost).toEqual([]);
    expect(ackOpen.map((o) => `${o.id} ${o.state}`)).toEqual([]);
    expect(result.open.map((o) => `${o.id} ${o.state}`)).toEqual([]);
    expect(dbl.count).toBe(0);
    // A busy violation right after a restart was a real bug: the terminal window counted from the
    // `sent` stamp, taken before the claim reached Redis (test/core/terminal-window.test.ts).
    expect(sim.engine.stats.busyViolations).toBe(0);
    expect(mismatch.examples).toEqual([]);
    expect(api.alive()).toBe(true);
    expect(workers.every((w) => w.child.exitCode === null && w.child.signalCode === null)).toBe(true);
    expect(ready.status).toBe(200);
    // Raw stacks on the output are counted and printed above; the refund-batch queues that used to
    // print them now have an error listener (tested below).
    // Charges sent after the last restart were taken and paid: the processes recovered by themselves.
    const late = acknowledged.filter((s) => s.phase === 'after-kill');
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((s) => ['paid'].includes(result.ops.get(`charge.${STORE_UID}.${s.orderId}`)?.state ?? ''))).toBe(true);
  });

  it('the refund-batch queues every role opens have an error listener, so a Redis outage goes to the logger, not raw stacks (a bug this suite found)', async () => {
    const { batchQueues } = await import('../../src/batch/flow.js');
    const core = createCore({ connection: 'redis://127.0.0.1:1', tag: 'noredis' });
    const queues = batchQueues(core);
    try {
      for (const q of Object.values(queues)) expect(q.listenerCount('error'), q.name).toBeGreaterThan(0);
    } finally {
      await Promise.all(Object.values(queues).map((q) => q.close().catch(() => undefined)));
      await core.close();
    }
  });

  it('what stronger durability costs: enqueue throughput with appendfsync everysec vs always', async () => {
    const N = PROFILE.name === 'ci' ? 1_000 : 3_000;
    const CONCURRENCY = 50;
    const figures: Record<string, string> = {};
    for (const [fsync, concurrency, n] of [['everysec', CONCURRENCY, N], ['always', CONCURRENCY, N], ['everysec', 1, N / 10], ['always', 1, N / 10]] as const) {
      const redis = await startLocalRedis({ appendOnly: true, dir: dataDir(), extraArgs: ['--appendfsync', fsync] });
      const producer = createProducer({ connection: redis.url, tag: `d${fsync}${concurrency}` });
      try {
        const lat: number[] = [];
        let next = 0;
        const t0 = Date.now();
        await Promise.all(Array.from({ length: concurrency }, async () => {
          while (next < n) {
            const i = next++;
            const s = performance.now();
            await producer.enqueueCharge(charge(`d-${i}`, 100, `A${String((i % 500) + 1).padStart(3, '0')}`));
            lat.push(performance.now() - s);
          }
        }));
        const secs = (Date.now() - t0) / 1000;
        figures[`appendfsync ${fsync}, ${concurrency} at a time`] = `${Math.round(n / secs)} enqueues/s, p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms`;
      } finally {
        await producer.close();
        await redis.stop();
      }
    }
    report('redis-durability-cost', figures);
    expect(Object.keys(figures)).toHaveLength(4);
  });
});
