/**
 * Batch refund bench (issue 6), runnable alone: `npx tsx bench/batch.bench.ts [--quick]`, or through
 * `npm run bench` (scenario B). Figures:
 *
 * 1. validate + enqueue of a 10,000-row CSV (target < 3 s), no workers running, with its parts
 *    (parse, validate, plan, Bull Board flow, enqueue through the producer);
 * 2. makespan of a whole 10,000-row batch against the simulator (200 terminals, zero service time),
 *    workers and the batch tracker running from the start, against the ideal: rows / terminals
 *    × the time one refund holds its terminal when it runs alone (POST + status polls until prc 230).
 *
 * Each part has its own Redis key prefix; the paid charges are seeded (test/batch/support/seed.ts).
 */
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { TEST_MERCHANT } from '../src/config/config.js';
import { createGatewayClient } from '../src/gateway/index.js';
import { createCore, REDIS_OPTIONS, type Core } from '../src/queues/core.js';
import type { SettingsInput } from '../src/queues/settings.js';
import { createProducer } from '../src/producers/index.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { createSimulator } from '../src/simulator/index.js';
import { startWorkers } from '../src/workers/index.js';
import { getBatchStatus, isFinalRowState, readRowResults, readRows, runBatch, startBatchTracker } from '../src/batch/index.js';
import { seedPaidCharges } from '../test/batch/support/seed.js';

export interface BatchBenchOptions {
  quick?: boolean;
  log?: (m: string) => void;
  /** Rows per batch. Default 10 000 (2 000 with `quick`). */
  rows?: number;
}

const STORE = TEST_MERCHANT.storeUid;
const TERMINALS = 200;
/** Fast follow-up settings (as the tests'): a refund is final at its first status poll after 20 ms. */
const SETTINGS: SettingsInput = {
  leaseMs: 5_000, parkMs: 600_000, answerTimeoutMs: 5_000, sweepIntervalMs: 1_000,
  poll: { denseIntervalMs: 20, terminalWindowMs: 2_000, reconcileStartMs: 100, reconcileMaxIntervalMs: 500, maxAgeMs: 120_000 },
  retry: { baseMs: 20, maxMs: 200 },
};

const csvOf = (orders: { order_id: string; cost: number }[]) => `order_id,cost\n${orders.map((o) => `${o.order_id},${o.cost}`).join('\n')}\n`;
const round = (n: number) => Math.round(n);

export async function runBatchBench(options: BatchBenchOptions = {}) {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const rows = options.rows ?? (options.quick ? 2_000 : 10_000);
  const redis = await startLocalRedis();
  const sim = await createSimulator({ devices: TERMINALS, serviceMs: 0, journalSize: 1_000 });
  const conns: Redis[] = [];
  const cores: Core[] = [];
  const open = (tag: string) => {
    const conn = new Redis(redis.url, REDIS_OPTIONS);
    conns.push(conn);
    const core = createCore({ connection: conn, tag, settings: SETTINGS });
    cores.push(core);
    return core;
  };
  const gateway = createGatewayClient({ url: sim.url, allowedHosts: ['127.0.0.1'], answerTimeoutMs: 5_000, connectTimeoutMs: 1_000, connections: 256 });
  const logger = pino({ level: 'silent' });
  try {
    // 1. Validate + enqueue, nothing else running.
    const a = open('benchA');
    const chargesA = await seedPaidCharges(a, sim, { count: rows, prefix: 'ba', devices: TERMINALS, storeUid: STORE });
    log(`batch bench: ${rows} rows, validate + enqueue …`);
    const enq = await runBatch({ core: a, producer: createProducer(a) }, { text: csvOf(chargesA), batchId: 'bench-a', storeUid: STORE });
    const t = enq.timings;

    // 2. Makespan with workers and tracker, against the ideal.
    const b = open('benchB');
    const ctx = { core: b, gateway, logger, merchantKey: (s: string) => (s === STORE ? TEST_MERCHANT.key : undefined) };
    const workers = startWorkers(ctx, { concurrency: TERMINALS + 50 });
    const tracker = startBatchTracker(b, { reconcileMs: 10_000 });
    try {
      const [solo] = await seedPaidCharges(b, sim, { count: 1, prefix: 'solo', devices: TERMINALS, storeUid: STORE });
      const producer = createProducer(b);
      const { operation } = await producer.enqueueRefund({ store_uid: STORE, order_id: solo!.order_id, refund_id: 'solo', cost: solo!.cost });
      let soloOp = await b.store.get(operation.id);
      while (soloOp?.state !== 'refunded') {
        await new Promise((r) => setTimeout(r, 2));
        soloOp = await b.store.get(operation.id);
      }
      const opMs = soloOp.finished! - soloOp.created;
      const chargesB = await seedPaidCharges(b, sim, { count: rows, prefix: 'bb', devices: TERMINALS, storeUid: STORE });
      log('batch bench: whole run against the simulator …');
      const start = performance.now();
      const run = await runBatch({ core: b, producer }, { text: csvOf(chargesB), batchId: 'bench-b', storeUid: STORE });
      // Progress read incrementally (rows not final yet), as the CLI does, so the bench's own
      // polling stays a small share of this process's CPU.
      const deadline = Date.now() + (options.quick ? 120_000 : 480_000);
      let open = await readRows(b, 'bench-b');
      while (open.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        const results = await readRowResults(b, open);
        const still = new Set(results.filter((r) => !isFinalRowState(r.state)).map((r) => r.row));
        open = open.filter((r) => still.has(r.row));
      }
      const makespan = performance.now() - start;
      let status = await getBatchStatus(b, 'bench-b');
      while (status && status.parent !== 'completed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        status = await getBatchStatus(b, 'bench-b');
      }
      const parentDone = performance.now() - start;
      const ideal = Math.ceil(rows / TERMINALS) * opMs;
      const byUid = sim.engine.ledger.refundsByUid();
      const once = chargesB.filter((c) => byUid[c.uid]?.count === 1).length;
      const refunded = status?.counts.refunded ?? 0;
      const figures = {
        rows,
        validateEnqueueMs: round(t.enqueuedMs),
        withFlowMs: round(t.totalMs),
        parts: { parseMs: round(t.parseMs), validateMs: round(t.validateMs), planMs: round(t.planMs), flowMs: round(t.flowMs), enqueueMs: round(t.enqueueMs) }, // enqueue, then flow
        enqueueUnderLoadMs: round(run.timings.totalMs),
        soloRefundMs: opMs,
        idealMakespanMs: ideal,
        makespanMs: round(makespan),
        makespanOverIdeal: Number((makespan / ideal).toFixed(2)),
        parentCompletedMs: round(parentDone),
        refunded,
        refundedExactlyOnce: once,
        busyViolations: sim.engine.stats.busyViolations,
      };
      const rowsOut = [
        { metric: `validate + enqueue ${rows} rows`, unit: 'ms', measured: figures.validateEnqueueMs, target: { op: '<=', value: 3_000 }, better: 'lower', note: `parse ${figures.parts.parseMs} · validate ${figures.parts.validateMs} · plan ${figures.parts.planMs} · enqueue ${figures.parts.enqueueMs} ms; then the Bull Board flow ${figures.parts.flowMs} ms (all: ${figures.withFlowMs} ms)` },
        { metric: 'validate + enqueue with workers running', unit: 'ms', measured: figures.enqueueUnderLoadMs },
        { metric: `makespan ${rows} refunds, ${TERMINALS} terminals, zero service time`, unit: 'ms', measured: figures.makespanMs, note: `ideal ${ideal} ms = ${Math.ceil(rows / TERMINALS)} per terminal × ${opMs} ms (one refund alone: POST + polls to prc 230)` },
        { metric: 'makespan / ideal', unit: '×', measured: figures.makespanOverIdeal, better: 'lower' },
        { metric: 'Bull Board parent completed after', unit: 'ms', measured: figures.parentCompletedMs },
        { metric: 'rows refunded exactly once (simulator)', unit: 'rows', measured: once, target: { op: '>=', value: rows } },
        { metric: 'busy violations', unit: 'ops', measured: figures.busyViolations, target: { op: '<=', value: 0 } },
      ];
      log(`batch bench: ${JSON.stringify(figures)}`);
      return { ...figures, rows: rowsOut, rowCount: rows };
    } finally {
      await tracker.close();
      await workers.close();
    }
  } finally {
    for (const c of cores) await c.close();
    for (const c of conns) await c.quit().catch(() => undefined);
    await gateway.close();
    await sim.close();
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runBatchBench({ quick: process.argv.includes('--quick') }).then(
    (out) => {
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      process.exit(0);
    },
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
