/**
 * A re-exported batch refunds nothing again. The incident: six rows run from an LF file, then the
 * same rows saved with CRLF line endings and run under a new batch id refunded all six orders a
 * second time, because a row's refund id was `<batch id>.<row>` (the default batch id being the
 * file's hash). Refund ids of rows are now derived from store, order, amount and `refund_ref`
 * (src/batch/refund-ids.ts), so every export of the same rows maps to the same refunds, and the
 * orchestrator's idempotency recognises them. End to end: real Redis, the simulator over HTTP,
 * device/status workers and the batch tracker; the simulator's ledger counts refunds per charge.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchRefusedError, derivedRefundId, fileHash, parseBatchText, parseJsonValue, readMeta, rowKey, runBatch, startBatchTracker, validateBatch, writePlan,
  type BatchTracker, type RunBatchInput,
} from '../../src/batch/index.js';
import { REFUNDS_EXIT, runRefunds } from '../../src/cli/refunds.js';
import { operationId } from '../../src/store/keys.js';
import { STORE_UID, startHarness, type Harness } from '../support/harness.js';
import { workerEnv } from '../support/processes.js';
import { csv, waitForBatch } from './support/batch.js';
import { seedPaidCharges, type SeededCharge } from './support/seed.js';

let h: Harness;
let tracker: BatchTracker;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ sim: { devices: 10, serviceMs: 5 } });
  h.startWorker(50);
  tracker = startBatchTracker(h.core, { reconcileMs: 300 });
  dir = mkdtempSync(join(tmpdir(), 'mypay-reexport-'));
});
afterAll(async () => {
  await tracker?.close();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (input: RunBatchInput) => runBatch({ core: h.core, producer: h.producer }, { storeUid: STORE_UID, ...input });
const posts = () => h.sim.engine.stats.requests['api/posrefund'] ?? 0;
const ledger = (cs: readonly SeededCharge[]) => {
  const byUid = h.sim.engine.ledger.refundsByUid();
  return cs.map((c) => byUid[c.uid] ?? { count: 0, amount: 0, balance: c.cost });
};
/** order → refund ids of a file's valid rows, as validation derives them (read-only). */
async function idsByOrder(input: { text?: string; json?: unknown }): Promise<Record<string, string[]>> {
  const parsed = input.json !== undefined ? parseJsonValue(input.json, 'x') : parseBatchText(input.text!);
  const report = await validateBatch(h.core, parsed, { batchId: 'probe', storeUid: STORE_UID });
  const out: Record<string, string[]> = {};
  for (const p of report.planned) (out[p.order_id!] ??= []).push(p.refund_id);
  for (const ids of Object.values(out)) ids.sort();
  return out;
}
/** Lets any stray refund reach the simulator before the ledger is read. */
const settle = () => new Promise((r) => setTimeout(r, 500));

describe('refund ids of rows', () => {
  it('are readable, at most 64 characters, and depend on store, order (or uid), amount, refund_ref and occurrence only', () => {
    const base = { store: STORE_UID, order: 'A-123', cost: '30' };
    const id = derivedRefundId(base, 1);
    expect(id).toMatch(/^A-123\.30\.1\.[0-9a-f]{16}$/);
    expect(derivedRefundId(base, 1)).toBe(id);
    const others = [
      derivedRefundId(base, 2), derivedRefundId({ ...base, cost: '31' }, 1), derivedRefundId({ ...base, store: 'other' }, 1),
      derivedRefundId({ ...base, ref: 'INV-9' }, 1), derivedRefundId({ store: STORE_UID, uid: 'A-123', cost: '30' }, 1),
    ];
    expect(new Set([id, ...others]).size).toBe(6);
    // Cells as CSV or JSON give them: trimmed text, amounts without leading zeros.
    expect(rowKey({ order_id: ' A-123 ', cost: '030' }, STORE_UID)).toEqual(rowKey({ order_id: 'A-123', cost: 30 }, STORE_UID));
    const long = derivedRefundId({ store: STORE_UID, order: `訂單${'9'.repeat(48)}`, cost: '123456789', ref: 'x'.repeat(100) }, 12345);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^[A-Za-z0-9_.-]+$/);
  });
});

describe('a re-exported batch', () => {
  let charges: SeededCharge[];
  let lf: string;

  it('six rows run from an LF file, then saved with CRLF and run under a new batch id: zero new refunds, each order refunded once', async () => {
    charges = await seedPaidCharges(h.core, h.sim, { count: 6, prefix: 'rx', storeUid: STORE_UID });
    lf = csv(['order_id', 'cost'], charges.map((c) => [c.order_id, 30]));
    const first = await run({ text: lf, batchId: 'rx-lf' });
    expect(first).toMatchObject({ rows: 6, valid: 6, enqueued: 6, existing: 0, alreadySubmitted: 0, allSeen: false, flow: 'created' });
    expect(first.notice).toBeUndefined();
    expect((await waitForBatch(h.core, 'rx-lf')).counts).toEqual({ refunded: 6 });
    expect(ledger(charges)).toEqual(charges.map(() => ({ count: 1, amount: 30, balance: 70 })));
    const sent = posts();

    const crlf = lf.replace(/\n/g, '\r\n');
    expect(crlf).not.toBe(lf);
    const again = await run({ text: crlf, batchId: 'rx-crlf' });
    expect(again).toMatchObject({
      batchId: 'rx-crlf', rows: 6, valid: 6, enqueued: 0, existing: 6, alreadySubmitted: 6, allSeen: true, flow: 'none',
      earlierBatches: ['rx-lf'], skipped: 0, notEnqueued: 0,
      notice: 'all 6 rows were already submitted in an earlier batch (batch rx-lf): nothing enqueued',
    });
    // Said before anything was written: no batch, no refund, nothing sent.
    expect(await readMeta(h.core, 'rx-crlf')).toBeNull();
    // Without a batch id (derived from the CRLF file's bytes, so a new one): the same.
    const byHash = await run({ text: crlf });
    expect(byHash).toMatchObject({ enqueued: 0, alreadySubmitted: 6, allSeen: true });
    expect(byHash.batchId).not.toBe('rx-lf');
    await settle();
    expect(posts()).toBe(sent);
    expect(ledger(charges)).toEqual(charges.map(() => ({ count: 1, amount: 30, balance: 70 })));
  });

  it('BOM, reordered columns, trailing blank lines, reordered rows, JSON: the same refund ids, nothing enqueued', async () => {
    const sent = posts();
    const rows = charges.map((c) => [c.order_id, 30] as const);
    const variants: { name: string; input: { text?: string; json?: unknown } }[] = [
      { name: 'BOM + CRLF + trailing blank lines', input: { text: `\uFEFF${lf.replace(/\n/g, '\r\n')}\r\n\r\n` } },
      { name: 'columns reordered', input: { text: csv(['cost', 'order_id'], rows.map(([o, c]) => [c, o])) } },
      { name: 'rows reordered', input: { text: csv(['order_id', 'cost'], [...rows].reverse().map(([o, c]) => [o, c])) } },
      { name: 'JSON', input: { json: { rows: rows.map(([order_id, cost]) => ({ cost, order_id })) } } },
      { name: 'empty refund_id and refund_ref columns', input: { text: csv(['refund_id', 'order_id', 'refund_ref', 'cost'], rows.map(([o, c]) => [undefined, o, undefined, c])) } },
    ];
    const expected = await idsByOrder({ text: lf });
    expect(Object.values(expected).flat()).toHaveLength(6);
    for (const [i, v] of variants.entries()) {
      expect(await idsByOrder(v.input), v.name).toEqual(expected);
      const r = await run({ ...v.input, batchId: `rx-v${i}` });
      expect(r, v.name).toMatchObject({ rows: 6, enqueued: 0, alreadySubmitted: 6, allSeen: true, flow: 'none' });
      expect(await readMeta(h.core, `rx-v${i}`)).toBeNull();
    }
    // A dry run shows the count too.
    const dry = await run({ text: variants[2]!.input.text, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, valid: 6, alreadySubmitted: 6, allSeen: true, notice: 'all 6 rows were already submitted in an earlier batch (batch rx-lf): nothing would be enqueued' });
    await settle();
    expect(posts()).toBe(sent);
    expect(ledger(charges)).toEqual(charges.map(() => ({ count: 1, amount: 30, balance: 70 })));
  });

  it('a re-export whose row changed (another device) is refused, naming the row, rather than refunded again', async () => {
    const text = csv(['order_id', 'cost', 'device_name'], charges.map((c, i) => [c.order_id, 30, i === 2 ? 'A09' : c.device]));
    expect(charges[2]!.device).not.toBe('A09');
    const err = await run({ text, batchId: 'rx-changed' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchRefusedError);
    expect((err as BatchRefusedError).issues).toEqual([
      { row: 3, field: 'refund_id', message: expect.stringMatching(/\(derived from store, order, amount\) is already used by a refund with other parameters \(refunded, batch rx-lf\): if this row is another refund, give it a refund_ref$/) },
    ]);
  });
});

describe('rows of one file', () => {
  it('two equal refunds of one order stay two; the file re-exported with its rows reordered adds none; a third is new', async () => {
    const cs = await seedPaidCharges(h.core, h.sim, { count: 2, prefix: 'eq', storeUid: STORE_UID });
    const [a, b] = [cs[0]!.order_id, cs[1]!.order_id];
    const first = await run({ text: csv(['order_id', 'cost'], [[a, 30], [b, 10], [a, 30]]), batchId: 'eq-a' });
    expect(first).toMatchObject({ valid: 3, enqueued: 3, alreadySubmitted: 0 });
    expect((await waitForBatch(h.core, 'eq-a')).counts).toEqual({ refunded: 3 });
    expect(ledger(cs)).toEqual([{ count: 2, amount: 60, balance: 40 }, { count: 1, amount: 10, balance: 90 }]);

    const reordered = csv(['order_id', 'cost'], [[b, 10], [a, 30], [a, 30]]).replace(/\n/g, '\r\n');
    expect(await run({ text: reordered, batchId: 'eq-b' })).toMatchObject({ enqueued: 0, alreadySubmitted: 3, allSeen: true });

    // A third equal refund: the first two are the ones already made, the third is new.
    const third = await run({ text: csv(['order_id', 'cost'], [[a, 30], [a, 30], [b, 10], [a, 30]]), batchId: 'eq-c' });
    expect(third).toMatchObject({
      valid: 4, enqueued: 1, existing: 3, alreadySubmitted: 3, allSeen: false, flow: 'created',
      notice: '3 of 4 rows were already submitted in an earlier batch (batch eq-a) and are not enqueued again',
    });
    // The batch tracks its known rows too (their refunds are final): it completes with all four.
    expect((await waitForBatch(h.core, 'eq-c')).counts).toEqual({ refunded: 4 });
    await settle();
    expect(ledger(cs)).toEqual([{ count: 3, amount: 90, balance: 10 }, { count: 1, amount: 10, balance: 90 }]);
  });

  it('refund_ref tells otherwise equal refunds apart, and is part of the key', async () => {
    const [c] = await seedPaidCharges(h.core, h.sim, { count: 1, prefix: 'ref', storeUid: STORE_UID });
    const o = c!.order_id;
    const header = ['order_id', 'cost', 'refund_ref'];
    const first = await run({ text: csv(header, [[o, 20, 'INV-1'], [o, 20, 'INV-2']]), batchId: 'ref-a' });
    expect(first).toMatchObject({ valid: 2, enqueued: 2, alreadySubmitted: 0 });
    await waitForBatch(h.core, 'ref-a');
    expect(ledger([c!])).toEqual([{ count: 2, amount: 40, balance: 60 }]);

    // INV-2 again is known; INV-3 and a row without a ref are other refunds.
    const next = await run({ text: csv(header, [[o, 20, 'INV-3'], [o, 20, 'INV-2'], [o, 20, undefined]]), batchId: 'ref-b' });
    expect(next).toMatchObject({ valid: 3, enqueued: 2, alreadySubmitted: 1, allSeen: false, notice: '1 of 3 rows was already submitted in an earlier batch (batch ref-a) and is not enqueued again' });
    await waitForBatch(h.core, 'ref-b');
    // The same two files re-exported together, rows shuffled: all known.
    const both = csv(header, [[o, 20, undefined], [o, 20, 'INV-2'], [o, 20, 'INV-1'], [o, 20, 'INV-3']]).replace(/\n/g, '\r\n');
    expect(await run({ text: both, batchId: 'ref-c' })).toMatchObject({ enqueued: 0, alreadySubmitted: 4, allSeen: true, earlierBatches: ['ref-a', 'ref-b'] });
    await settle();
    expect(ledger([c!])).toEqual([{ count: 4, amount: 80, balance: 20 }]);
  });

  it('an explicit refund_id still names the refund (and a rerun of the same batch is a resume, not "already submitted")', async () => {
    const cs = await seedPaidCharges(h.core, h.sim, { count: 2, prefix: 'exp', storeUid: STORE_UID });
    const text = csv(['order_id', 'cost', 'refund_id'], [[cs[0]!.order_id, 10, 'FIN-1'], [cs[1]!.order_id, 10, undefined]]);
    expect(await run({ text, batchId: 'exp-a' })).toMatchObject({ enqueued: 2 });
    await waitForBatch(h.core, 'exp-a');
    expect((await h.producer.getOperation(`refund.${STORE_UID}.FIN-1`))?.state).toBe('refunded');
    expect(await run({ text, batchId: 'exp-a' })).toMatchObject({ enqueued: 0, existing: 2, alreadySubmitted: 0, allSeen: false, flow: 'exists' });
    expect(await run({ text: text.replace(/\n/g, '\r\n'), batchId: 'exp-b' })).toMatchObject({ enqueued: 0, alreadySubmitted: 2, allSeen: true });
    await settle();
    expect(ledger(cs).map((l) => l.count)).toEqual([1, 1]);
  });
});

describe('a batch planned before refund ids were derived from the row (`<batch-id>.<row>`)', () => {
  it('resumes with the refund ids of its plan: nothing refunded twice', async () => {
    const cs = await seedPaidCharges(h.core, h.sim, { count: 2, prefix: 'old', storeUid: STORE_UID });
    const text = csv(['order_id', 'cost'], cs.map((c) => [c.order_id, 10]));
    // What a run of the earlier code left: its refunds enqueued under `old-a.<row>`, the plan written, no flow yet.
    for (const [i, c] of cs.entries()) {
      await h.producer.enqueueRefund({ store_uid: STORE_UID, order_id: c.order_id, refund_id: `old-a.${i + 1}`, cost: 10, lane: 'bulk', batch_id: 'old-a' });
    }
    await writePlan(h.core, { id: 'old-a', store: STORE_UID, file_hash: fileHash(text), rows: 2, tracked: 2, skipped: 0, status: 'enqueuing', created: Date.now() },
      cs.map((c, i) => ({ row: i + 1, order_id: c.order_id, refund_id: `old-a.${i + 1}`, op: operationId('refund', STORE_UID, `old-a.${i + 1}`), cost: 10, device: c.device })));
    const r = await run({ text, batchId: 'old-a' });
    expect(r).toMatchObject({ enqueued: 0, existing: 2, alreadySubmitted: 0, allSeen: false, flow: 'created' });
    const status = await waitForBatch(h.core, 'old-a');
    expect(status.rows!.map((x) => [x.refund_id, x.state])).toEqual([['old-a.1', 'refunded'], ['old-a.2', 'refunded']]);
    await settle();
    expect(ledger(cs)).toEqual(cs.map(() => ({ count: 1, amount: 10, balance: 90 })));
  });
});

describe('the CLI', () => {
  function cli(args: { file: string; batchId?: string; dryRun?: boolean; wait?: boolean }) {
    const out: string[] = [];
    const err: string[] = [];
    const env = { ...workerEnv({ redisUrl: h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url }), LOG_LEVEL: 'warn', BATCH_RECONCILE_MS: '300' };
    const io = { env, out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) };
    return runRefunds(args.file, { batchId: args.batchId, dryRun: args.dryRun, wait: args.wait ?? true }, io, new EventEmitter()).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
  }

  it('says when every row was already submitted in an earlier batch, enqueues nothing (exit 4); a dry run and a partly-seen batch count them', async () => {
    const cs = await seedPaidCharges(h.core, h.sim, { count: 4, prefix: 'cli', storeUid: STORE_UID });
    const lfFile = join(dir, 'refunds.csv');
    const crlfFile = join(dir, 'refunds-crlf.csv');
    const moreFile = join(dir, 'refunds-more.csv');
    const lf = csv(['order_id', 'cost'], cs.slice(0, 3).map((c) => [c.order_id, 15]));
    writeFileSync(lfFile, lf);
    writeFileSync(crlfFile, lf.replace(/\n/g, '\r\n'));
    writeFileSync(moreFile, csv(['cost', 'order_id'], cs.map((c) => [15, c.order_id])));

    const first = await cli({ file: lfFile, batchId: 'cli-a', wait: false });
    expect(first.code, first.err).toBe(REFUNDS_EXIT.ok);
    expect(first.out).toContain('batch cli-a: 3 rows — 3 enqueued, 0 already enqueued, 0 skipped');
    await waitForBatch(h.core, 'cli-a');
    const sent = posts();

    const dry = await cli({ file: crlfFile, batchId: 'cli-b', dryRun: true });
    expect(dry.code).toBe(REFUNDS_EXIT.ok);
    expect(dry.out).toContain('batch cli-b: dry run — 3 rows, 3 valid (3 already enqueued, 3 of them in an earlier batch), 0 invalid; nothing was written');
    expect(dry.out).toContain('all 3 rows were already submitted in an earlier batch (batch cli-a): nothing would be enqueued');

    const again = await cli({ file: crlfFile, batchId: 'cli-b' });
    expect(again.code, again.err).toBe(REFUNDS_EXIT.alreadySubmitted);
    expect(again.out).toBe('batch cli-b: all 3 rows were already submitted in an earlier batch (batch cli-a): nothing enqueued\n  see: mypay refunds status cli-a');
    expect(await readMeta(h.core, 'cli-b')).toBeNull();

    const more = await cli({ file: moreFile, batchId: 'cli-c', wait: false });
    expect(more.code, more.err).toBe(REFUNDS_EXIT.ok);
    expect(more.out).toContain('batch cli-c: 4 rows — 1 enqueued, 3 already enqueued (3 of them in an earlier batch), 0 skipped');
    expect(more.out).toContain('3 of 4 rows were already submitted in an earlier batch (batch cli-a) and are not enqueued again');
    await waitForBatch(h.core, 'cli-c');
    await settle();
    expect(posts()).toBe(sent + 1);
    expect(ledger(cs).map((l) => l.count)).toEqual([1, 1, 1, 1]);
  });
});
