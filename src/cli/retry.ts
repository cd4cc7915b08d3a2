/**
 * `mypay retry <operation-id…>` and `mypay retry --batch <batch-id>`: starts `not_received`
 * operations again — the explicit act that replaces any automatic resend (docs/CORE.md). For each
 * one the workers first query the gateway once more: a row found there settles it (flagged as a late
 * row) and nothing is sent; only with still no trace is it sent again, as a new attempt. `--batch`
 * retries every `not_received` row of a refund batch (the batch rerun for rows the gateway never got).
 * Before any of it, one line on stderr names the gateway, the store(s) and the Redis (src/cli/target.ts).
 *
 * Exit codes: 0 every retry requested · 1 usage/config/Redis · 2 some operations could not be retried.
 */
import type { Command as Program } from 'commander';
import { getBatchStatus } from '../batch/index.js';
import { operationId } from '../store/keys.js';
import { requestRetry } from '../producers/callbacks.js';
import { openCore } from './refunds.js';
import { processIo, type CliIo } from './send.js';
import { announceTarget } from './target.js';

export const RETRY_EXIT = { ok: 0, usage: 1, notRetryable: 2 } as const;

export async function runRetry(ids: readonly string[], options: { batch?: string }, io: CliIo = processIo): Promise<number> {
  if (ids.length === 0 && !options.batch) {
    io.err('give operation ids, or --batch <batch-id>');
    return RETRY_EXIT.usage;
  }
  let opened;
  try {
    opened = await openCore(io);
  } catch (err) {
    io.err((err as Error).message);
    return RETRY_EXIT.usage;
  }
  const { core, stores } = opened;
  announceTarget(io, { gatewayUrl: opened.env.MYPAY_URL, stores, redisUrl: opened.redisUrl });
  try {
    const targets = [...ids];
    if (options.batch) {
      const status = await getBatchStatus(core, options.batch, { rows: true });
      if (!status) {
        io.err(`no refund batch ${options.batch}`);
        return RETRY_EXIT.usage;
      }
      const store = status.store_uid ?? stores[0]!;
      const rows = (status.rows ?? []).filter((r) => r.state === 'not_received');
      io.out(`batch ${options.batch}: ${rows.length} not_received row(s) of ${status.rows_total}`);
      targets.push(...rows.map((r) => operationId('refund', store, r.refund_id)));
    }
    let refused = 0;
    for (const id of targets) {
      const op = await core.store.get(id);
      if (!op || !stores.includes(op.store)) {
        io.err(`${id}: no such operation`);
        refused++;
        continue;
      }
      const r = await requestRetry(core, op);
      if (r.ok) io.out(`${id}: retry requested (a fresh query first; sent again only if the gateway still has no trace)`);
      else {
        io.err(`${id}: ${r.why}`);
        refused++;
      }
    }
    return refused ? RETRY_EXIT.notRetryable : RETRY_EXIT.ok;
  } finally {
    await core.close();
  }
}

export function registerRetry(program: Program): void {
  program
    .command('retry')
    .description('start not_received operations again (a fresh query first; never automatic)')
    .argument('[ids...]', 'operation ids (as the API shows them)')
    .option('--batch <batch-id>', 'every not_received row of this refund batch')
    .action(async (ids: string[], opts: { batch?: string }) => {
      process.exitCode = await runRetry(ids, opts);
    });
}
