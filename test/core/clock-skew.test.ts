/**
 * Issue #13, item 7 (first half): a worker whose clock is off by ±10 minutes must not shorten the
 * terminal window before `not_received`. The window runs from the moment the POST's outcome became
 * unknown (stamped by the worker that sent it) to a query that found no trace (made by the worker
 * that follows it up) — two processes, two clocks — so both readings are on Redis' clock
 * (src/queues/clock.ts), never a host's own.
 *
 * In process: each side of the operation runs on its own core whose local clock is skewed and
 * corrected by `createRedisClock` (what `createCore` does by default). In a real process: a worker
 * started with a preloaded module that shifts `Date.now` by −10 minutes sends a charge whose outcome
 * is unknown and dies; a worker with the right time follows it up.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClock } from '../../src/queues/clock.js';
import { createCore, type Core } from '../../src/queues/core.js';
import { QUEUES } from '../../src/queues/registry.js';
import { createDeviceProcessor, createStatusProcessor } from '../../src/workers/index.js';
import { charge, startHarness, type Harness } from '../support/harness.js';
import { spawnWorker, type WorkerProcess } from '../support/processes.js';

const MIN10 = 10 * 60_000;
const WINDOW = 2_000;
const FINAL = ['not_received', 'paid', 'needs_review', 'unresolved', 'rejected', 'failed'];

let h: Harness | undefined;
const workers: Worker[] = [];
const cores: Core[] = [];
const procs: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await Promise.all(procs.splice(0).map((p) => p.kill9()));
  await h?.close();
  h = undefined;
});

/** A core whose host clock is off by `skewMs`: corrected to Redis' clock (`redis`), or read as is (`raw`). */
async function skewedCore(hh: Harness, skewMs: number, mode: 'redis' | 'raw'): Promise<Core> {
  const local = () => Date.now() + skewMs;
  let now = local;
  if (mode === 'redis') {
    const clock = createRedisClock(hh.core.redis, { local, refreshMs: 0 });
    await clock.sync();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(100);
    now = () => clock.now();
  }
  const core = createCore({ connection: hh.core.redis, tag: hh.redis.prefix, settings: hh.core.settings, now });
  cores.push(core);
  return core;
}

/** A worker of one queue only, on `core` (the gateway and merchant keys of the harness). */
function worker(hh: Harness, queue: 'device' | 'status', core: Core): void {
  const ctx = { ...hh.ctx, core };
  const processor = queue === 'device' ? createDeviceProcessor(ctx) : createStatusProcessor(ctx);
  workers.push(new Worker(QUEUES[queue], processor, { connection: hh.core.redis, prefix: hh.core.prefix, concurrency: 5, stalledInterval: 200, maxStalledCount: 100 }));
}

/**
 * A charge whose POST fails before the gateway acted (5xx): its outcome is unknown, and only a query
 * a whole terminal window later may call it `not_received`. Returns how long after the POST that
 * verdict was observed (test clock = simulator clock = Redis' clock: one host).
 */
async function lostCharge(hh: Harness, device: string): Promise<{ state: string; afterPostMs: number; posts: number }> {
  hh.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: device, count: 1, when: 'before' });
  const orderId = `skew-${device}-${Date.now()}`;
  const { operation } = await hh.producer.enqueueCharge(charge(orderId, 100, device));
  const state = await hh.waitForState(operation.id, FINAL, 15_000);
  const seenAt = Date.now();
  const posts = hh.sim.journal(0, 100_000).filter((e) => e.cmd === 'api/postransaction' && (e.request as { order_id?: string }).order_id === orderId);
  return { state, afterPostMs: seenAt - posts[0]!.at, posts: posts.length };
}

describe('7. clock skew: windows are measured on Redis\' clock', () => {
  it('the follow-up worker\'s clock is 10 min fast: not_received only after a full terminal window, nothing resent', async () => {
    h = await startHarness({ sim: { serviceMs: 20 }, settings: { poll: { terminalWindowMs: WINDOW, maxAgeMs: 10_000 } } });
    worker(h, 'device', h.core);
    worker(h, 'status', await skewedCore(h, +MIN10, 'redis'));
    const r = await lostCharge(h, 'A01');
    expect(r.state).toBe('not_received');
    expect(r.afterPostMs).toBeGreaterThanOrEqual(WINDOW);
    expect(r.posts).toBe(1);
  });

  it('the sending worker\'s clock is 10 min slow: not_received only after a full terminal window, nothing resent', async () => {
    h = await startHarness({ sim: { serviceMs: 20 }, settings: { poll: { terminalWindowMs: WINDOW, maxAgeMs: 10_000 } } });
    worker(h, 'device', await skewedCore(h, -MIN10, 'redis'));
    worker(h, 'status', h.core);
    const r = await lostCharge(h, 'A02');
    expect(r.state).toBe('not_received');
    expect(r.afterPostMs).toBeGreaterThanOrEqual(WINDOW);
    expect(r.posts).toBe(1);
  });

  it('control: the same skew read from the host clock (no Redis clock) cut the window short — what the two tests above catch', async () => {
    h = await startHarness({ sim: { serviceMs: 20 }, settings: { poll: { terminalWindowMs: WINDOW, maxAgeMs: 10_000 } } });
    worker(h, 'device', h.core);
    worker(h, 'status', await skewedCore(h, +MIN10, 'raw'));
    const r = await lostCharge(h, 'A03');
    expect(r.state).toBe('not_received');
    expect(r.afterPostMs).toBeLessThan(WINDOW);
  });

  it('a real worker process 10 min slow (Date.now shifted by a preloaded module) sends a charge whose outcome is unknown; a worker with the right time follows it up: not_received only after a full window', async () => {
    const window = 5_000;
    h = await startHarness({ sim: { serviceMs: 20 }, settings: { poll: { terminalWindowMs: window, maxAgeMs: 30_000 } } });
    const preload = join(tmpdir(), `skew-clock-${process.pid}.mjs`);
    writeFileSync(preload, 'const skew = Number(process.env.CLOCK_SKEW_MS ?? 0);\nconst now = Date.now;\nDate.now = () => now.call(Date) + skew;\n');
    const env = { NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`, CLOCK_SKEW_MS: String(-MIN10), TERMINAL_WINDOW_MS: String(window), RECONCILE_HORIZON_MS: '30000' };
    const proc = await spawnWorker({ redisUrl: h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url, env }).finally(() => rmSync(preload, { force: true }));
    procs.push(proc);
    // Its own clock really is 10 minutes behind (pino stamps log lines with Date.now); it syncs to Redis' clock at start.
    const logged = JSON.parse(proc.output().split('\n').find((l) => l.includes('"msg":"started"'))!) as { time: number };
    expect(Date.now() - logged.time).toBeGreaterThan(MIN10 - 60_000);

    // The slow process sends the charge; the POST fails before the gateway acted.
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', device_name: 'A04', count: 1, when: 'before' });
    const orderId = `skew-proc-${Date.now()}`;
    const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A04'));
    await h.waitForState(operation.id, ['unknown']);
    await expect.poll(() => h!.core.statusQueue.getJob(`${operation.id}.status`)).toBeDefined();
    // It dies; a worker with the right time takes the follow-up over (after the dead one's job lock, 2 s).
    await proc.kill9();
    const killedAt = Date.now();
    worker(h, 'status', h.core);
    const state = await h.waitForState(operation.id, FINAL, 15_000);
    const decidedAt = Date.now();

    const journal = h.sim.journal(0, 100_000).filter((e) => (e.request as { order_id?: string }).order_id === orderId);
    const posts = journal.filter((e) => e.cmd === 'api/postransaction');
    const postAt = posts[0]!.at;
    // Sensitivity: the worker with the right time asked well before the window was over.
    const firstQueryAfterKill = journal.find((e) => e.cmd === 'api/querydirect' && e.at > killedAt);
    expect(firstQueryAfterKill!.at - postAt).toBeLessThan(window - 1_000);
    expect(state).toBe('not_received');
    expect(decidedAt - postAt).toBeGreaterThanOrEqual(window);
    expect(posts).toHaveLength(1);
  });
});
