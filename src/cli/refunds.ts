/**
 * `mypay refunds run <file.csv|file.json> [--dry-run] [--skip-invalid] [--batch-id ID] [--out results.csv]`
 * `mypay refunds status <batch-id> [--out results.csv] [--json]`
 *
 * `run` first names the gateway, the store and the Redis on stderr (src/cli/target.ts), validates
 * every row, enqueues the refunds (bulk lane), then shows a progress bar with counts
 * by state until every row is final and writes the results CSV. Ctrl-C while watching leaves the
 * batch running (the workers carry on); running the same file with the same batch id again resumes
 * it and never refunds twice. Ctrl-C while enqueuing (a few seconds) first finishes the enqueue;
 * a second Ctrl-C stops at once — still safe, a rerun completes it.
 *
 * A file whose every row an earlier batch already submitted (e.g. the same rows re-exported and run
 * under a new batch id) is reported as such and nothing is enqueued (exit 4); when only some were,
 * only the others are enqueued and the summary says how many were already submitted.
 *
 * Exit codes: 0 every row refunded · 1 usage/config/Redis · 2 file refused (nothing enqueued) ·
 * 3 complete, some rows not refunded (see the results) · 4 every row already submitted by an
 * earlier batch (nothing enqueued) · 130 interrupted (the batch goes on).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command as Program } from 'commander';
import { SingleBar } from 'cli-progress';
import { pino } from 'pino';
import { createLogger, loadEnv, loadStores, terminalsOf } from '../config/index.js';
import { Redis } from 'ioredis';
import { connectRedis, settingsFromEnv } from '../app/runtime.js';
import { createCore, type Core } from '../queues/core.js';
import { createProducer } from '../producers/index.js';
import {
  BatchConflictError, BatchIdError, BatchRefusedError, formatIssues, getBatchStatus, readRowResults, readRows,
  resultsCsv, runBatch, startBatchTracker, isFinalRowState, type RowResult, type RowState, type RunBatchResult,
} from '../batch/index.js';
import { processIo, type CliIo } from './send.js';
import { announceTarget } from './target.js';

export const REFUNDS_EXIT = { ok: 0, usage: 1, refused: 2, notAllRefunded: 3, alreadySubmitted: 4, interrupted: 130 } as const;

interface RunOptions {
  dryRun?: boolean;
  skipInvalid?: boolean;
  batchId?: string;
  out?: string;
  store?: string;
  wait: boolean;
}

class UsageError extends Error {}

/** The core's connection retries forever (right for workers); a CLI should say at once that Redis is not there. */
async function checkRedis(url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new UsageError(`cannot reach Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')} (${(err as Error).message})`);
  } finally {
    probe.disconnect();
  }
}

export async function openCore(io: CliIo) {
  const env = loadEnv(io.env);
  const merchants = loadStores(env);
  const stores = merchants.map((s) => s.store_uid);
  const terminals = terminalsOf(merchants);
  const logger = createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL, pino.destination(2));
  const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!url.startsWith('redis+cluster://')) await checkRedis(url);
  const core = createCore({ connection: url.startsWith('redis+cluster://') ? connectRedis(url) : url, tag: env.QUEUE_PREFIX, settings: settingsFromEnv(env), logger });
  return { env, stores, terminals, logger, core, redisUrl: url };
}

/** Counts shown beside the bar: refunded, other final states, in flight, waiting. */
function summarize(counts: Partial<Record<RowState, number>>) {
  let refunded = 0, other = 0, active = 0, waiting = 0;
  for (const [state, n] of Object.entries(counts) as [RowState, number][]) {
    if (state === 'refunded') refunded += n;
    else if (isFinalRowState(state)) other += n;
    else if (state === 'queued' || state === 'missing') waiting += n;
    else active += n;
  }
  return { refunded, other, active, waiting };
}

function countLine(counts: Partial<Record<RowState, number>>): string {
  return Object.entries(counts).sort(([, a], [, b]) => b - a).map(([s, n]) => `${s} ${n}`).join(' · ');
}

/** Watches until every row is final (resolves true) or `stop()` is called (false). */
async function watch(core: Core, batchId: string, io: CliIo, isTTY: boolean, stopped: () => boolean): Promise<boolean> {
  const rows = await readRows(core, batchId);
  const final = new Map<number, RowResult>();
  const bar = new SingleBar({
    format: ' {bar} {value}/{total} final | refunded {refunded} · other final {other} · in flight {active} · waiting {waiting}',
    stream: process.stderr, hideCursor: isTTY, noTTYOutput: true, notTTYSchedule: 2_000, barsize: 30,
  });
  bar.start(rows.length, 0, { refunded: 0, other: 0, active: 0, waiting: rows.length });
  try {
    for (;;) {
      const open = rows.filter((r) => !final.has(r.row));
      const results = await readRowResults(core, open);
      const counts: Partial<Record<RowState, number>> = {};
      for (const r of results) {
        if (isFinalRowState(r.state)) final.set(r.row, r);
        else counts[r.state] = (counts[r.state] ?? 0) + 1;
      }
      for (const r of final.values()) counts[r.state] = (counts[r.state] ?? 0) + 1;
      bar.update(final.size, summarize(counts));
      if (final.size === rows.length) return true;
      if (stopped()) return false;
      await new Promise((r) => setTimeout(r, 300));
      if (stopped()) return false;
    }
  } finally {
    bar.stop();
    if (!isTTY) io.err('');
  }
}

async function writeResults(core: Core, batchId: string, out: string, io: CliIo): Promise<RowResult[]> {
  const results = await readRowResults(core, await readRows(core, batchId));
  writeFileSync(out, resultsCsv(results));
  io.out(`results: ${out} (${results.length} rows)`);
  return results;
}

export async function runRefunds(file: string, options: RunOptions, io: CliIo = processIo, signals: NodeJS.EventEmitter = process): Promise<number> {
  let ctx: Awaited<ReturnType<typeof openCore>> | undefined;
  let tracker: ReturnType<typeof startBatchTracker> | undefined;
  let phase: 'commit' | 'watch' = 'commit';
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (phase === 'commit') {
      if (interrupts > 1) {
        io.err('mypay refunds run: stopped while enqueuing; run the same command again to finish the batch (nothing is refunded twice)');
        process.exit(REFUNDS_EXIT.interrupted);
      }
      io.err('mypay refunds run: finishing the enqueue first so the batch is consistent (Ctrl-C again to stop now)');
    }
  };
  signals.on('SIGINT', onSigint);
  try {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const ext = extname(file).toLowerCase();
    ctx = await openCore(io);
    const { core, stores, terminals, logger } = ctx;
    const storeUid = options.store ?? (stores.length === 1 ? stores[0] : undefined);
    if (options.store && !stores.includes(options.store)) throw new UsageError(`store ${options.store} is not configured`);
    announceTarget(io, { gatewayUrl: ctx.env.MYPAY_URL, stores: storeUid ? [storeUid] : stores, redisUrl: ctx.redisUrl });
    // Refunds on a terminal a store does not list are refused, as by the API.
    const producer = createProducer(core, { stores, terminals });
    const isTTY = Boolean(process.stderr.isTTY);
    let lastShown = 0;
    const res: RunBatchResult = await runBatch({ core, producer, logger }, {
      text, format: ext === '.json' ? 'json' : ext === '.csv' ? 'csv' : undefined,
      batchId: options.batchId, skipInvalid: options.skipInvalid, dryRun: options.dryRun, storeUid, stores,
    }, {
      concurrency: ctx.env.BATCH_ENQUEUE_CONCURRENCY,
      onEnqueued: (done, total) => {
        if (isTTY && (done === total || done - lastShown >= 500)) {
          lastShown = done;
          process.stderr.write(`\r enqueued ${done}/${total}`);
          if (done === total) process.stderr.write('\n');
        }
      },
    });
    const { batchId } = res;
    if (res.issues.length) io.err(`${res.issues.length} problem(s), ${res.skipped} row(s) skipped:\n${formatIssues(res.issues)}`);
    const n = res.alreadySubmitted;
    if (res.dryRun) {
      io.out(`batch ${batchId}: dry run — ${res.rows} rows, ${res.valid} valid (${res.existing} already enqueued${n ? `, ${n} of them in an earlier batch` : ''}), ${res.skipped} invalid; nothing was written`);
      if (res.notice) io.out(`  ${res.notice}`);
      return REFUNDS_EXIT.ok;
    }
    if (res.allSeen) {
      io.out(`batch ${batchId}: ${res.notice ?? 'every row was already submitted in an earlier batch: nothing enqueued'}`);
      for (const b of res.earlierBatches) io.out(`  see: mypay refunds status ${b}`);
      return REFUNDS_EXIT.alreadySubmitted;
    }
    io.out(`batch ${batchId}: ${res.rows} rows — ${res.enqueued} enqueued, ${res.existing} already enqueued${n ? ` (${n} of them in an earlier batch)` : ''}, ${res.skipped} skipped, ${res.notEnqueued} refused at enqueue (${Math.round(res.timings.totalMs)} ms)`);
    if (res.notice) io.out(`  ${res.notice}`);
    if (interrupts > 0 || !options.wait) {
      io.out(`the batch goes on in the workers: mypay refunds status ${batchId}`);
      return interrupts > 0 ? REFUNDS_EXIT.interrupted : REFUNDS_EXIT.ok;
    }

    phase = 'watch';
    tracker = startBatchTracker(core, { logger, reconcileMs: ctx.env.BATCH_RECONCILE_MS });
    const complete = await watch(core, batchId, io, isTTY, () => interrupts > 0);
    if (!complete) {
      io.out(`interrupted: batch ${batchId} goes on in the workers. Follow it with "mypay refunds status ${batchId}", or run the same command again to resume watching (nothing is refunded twice)`);
      return REFUNDS_EXIT.interrupted;
    }
    // Let this tracker finish the Bull Board children so ops see the batch complete.
    await tracker.reconcile();
    for (let i = 0; i < 100 && (await getBatchStatus(core, batchId))?.parent !== 'completed'; i++) await new Promise((r) => setTimeout(r, 100));
    const results = await writeResults(core, batchId, options.out ?? `${batchId}.results.csv`, io);
    const counts: Partial<Record<RowState, number>> = {};
    for (const r of results) counts[r.state] = (counts[r.state] ?? 0) + 1;
    io.out(`batch ${batchId} complete: ${countLine(counts)}`);
    return results.every((r) => r.state === 'refunded') ? REFUNDS_EXIT.ok : REFUNDS_EXIT.notAllRefunded;
  } catch (err) {
    if (err instanceof BatchRefusedError) {
      io.err(`mypay refunds run: ${err.message}\n${formatIssues(err.issues)}`);
      return REFUNDS_EXIT.refused;
    }
    if (err instanceof BatchConflictError) {
      io.err(`mypay refunds run: ${err.message}`);
      return REFUNDS_EXIT.refused;
    }
    io.err(`mypay refunds run: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof UsageError || err instanceof BatchIdError ? REFUNDS_EXIT.usage : REFUNDS_EXIT.usage;
  } finally {
    signals.off('SIGINT', onSigint);
    await tracker?.close();
    await ctx?.core.close();
  }
}

export async function runRefundsStatus(batchId: string, options: { out?: string; json?: boolean }, io: CliIo = processIo): Promise<number> {
  let ctx: Awaited<ReturnType<typeof openCore>> | undefined;
  try {
    ctx = await openCore(io);
    const status = await getBatchStatus(ctx.core, batchId);
    if (!status) {
      io.err(`mypay refunds status: no batch ${batchId}`);
      return REFUNDS_EXIT.usage;
    }
    if (options.json) io.out(JSON.stringify(status, null, 2));
    else {
      io.out(`batch ${status.batch_id}: ${status.state} — ${status.final}/${status.rows_total} final; Bull Board parent ${status.parent ?? 'not created'}`);
      io.out(`  ${countLine(status.counts)}`);
    }
    if (options.out) await writeResults(ctx.core, batchId, options.out, io);
    return REFUNDS_EXIT.ok;
  } catch (err) {
    io.err(`mypay refunds status: ${err instanceof Error ? err.message : String(err)}`);
    return REFUNDS_EXIT.usage;
  } finally {
    await ctx?.core.close();
  }
}

export function registerRefunds(program: Program, io: CliIo = processIo): void {
  const refunds = program.command('refunds').description('batch refunds: validated, resumable, observable');
  refunds
    .command('run')
    .description('validate a CSV/JSON file of refunds, enqueue them as one batch and watch it to the end')
    .argument('<file>', 'CSV (header line) or JSON (array of rows); columns: order_id | uid+key, cost, device_name, items, invoice_state, receipt_type, refund_ref, refund_id')
    .option('--dry-run', 'validate only; write nothing')
    .option('--skip-invalid', 'enqueue the valid rows and report the invalid ones (default: refuse the whole file)')
    .option('--batch-id <id>', 'batch id (default: derived from the file contents, so the same file is the same batch)')
    .option('--out <file>', 'results CSV (default: <batch-id>.results.csv)')
    .option('--store <store_uid>', 'merchant of rows without store_uid when several are configured')
    .option('--no-wait', 'enqueue and return; follow with "mypay refunds status"')
    .action(async (file: string, options: RunOptions) => {
      process.exitCode = await runRefunds(file, options, io);
    });
  refunds
    .command('status')
    .description("a batch's counts by state; --out writes its results CSV")
    .argument('<batch-id>')
    .option('--out <file>', 'write the results CSV')
    .option('--json', 'print the status as JSON')
    .action(async (batchId: string, options: { out?: string; json?: boolean }) => {
      process.exitCode = await runRefundsStatus(batchId, options, io);
    });
}
