/** The one path every producer takes into Redis: create the record (idempotently), then its job. */
import type { Core } from '../queues/core.js';
import type { CreateOperation } from '../store/operations.js';
import { storedOperationSchema, toRecord, type OperationRecord, type StoredOperation } from '../store/record.js';
import { IdempotencyConflictError, RefundBalanceError, chargeNotPaid, fieldError } from './errors.js';

export interface EnqueueResult {
  /** `false` when the key already named this operation (an idempotent replay). */
  created: boolean;
  operation: OperationRecord;
}

export type EnqueueOutcome = { ok: true; result: EnqueueResult } | { ok: false; error: Error };

type EnqueueItem = { create: CreateOperation; keyField: string };

/** Enqueue calls waiting for the next flush (their items in call order), per core. */
interface Flush {
  items: EnqueueItem[];
  callers: { from: number; count: number; resolve: (out: EnqueueOutcome[]) => void; reject: (err: unknown) => void }[];
}
const pending = new WeakMap<Core, Flush>();

export async function enqueueOperation(core: Core, create: CreateOperation, keyField: string): Promise<EnqueueResult> {
  const [out] = await enqueueOperations(core, [{ create, keyField }]);
  if (!out!.ok) throw out!.error;
  return out!.result;
}

/**
 * Creates operations and their jobs; one outcome per item, in order. Per-item errors (conflict,
 * balance, …) do not stop the others.
 *
 * Every call of this process made before the event loop turns — concurrent API requests, each one
 * operation — joins one flush: one pipeline of enqueue scripts, one `addBulk`, one lease check for
 * all of them, instead of two or three round trips each. The items keep call order (a terminal's line is
 * the order the scripts ran), each script is still atomic on its own, so idempotency is the
 * scripts': a duplicate in the same flush is an `existing` replay of the first.
 */
export function enqueueOperations(core: Core, items: EnqueueItem[]): Promise<EnqueueOutcome[]> {
  if (items.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    let flush = pending.get(core);
    if (!flush) {
      flush = { items: [], callers: [] };
      pending.set(core, flush);
      // setImmediate, not a microtask: it runs after this turn's I/O, so every request (or Redis
      // reply) that arrived together joins the same flush.
      setImmediate(() => void run(core, flush!));
    }
    flush.callers.push({ from: flush.items.length, count: items.length, resolve, reject });
    for (const item of items) flush.items.push(item);
  });
}

async function run(core: Core, flush: Flush): Promise<void> {
  pending.delete(core);
  try {
    const outcomes = await enqueueNow(core, flush.items);
    for (const c of flush.callers) c.resolve(outcomes.slice(c.from, c.from + c.count));
  } catch (err) {
    for (const c of flush.callers) c.reject(err);
  }
}

/**
 * One pipeline of enqueue scripts, then one `addBulk` of the new jobs (and of replays still queued);
 * a replay's record and lease holder come back with its script's answer.
 */
async function enqueueNow(core: Core, items: EnqueueItem[]): Promise<EnqueueOutcome[]> {
  const now = core.now();
  const results = await core.store.createMany(items.map((i) => i.create), now, now + core.settings.leaseMs);
  const outcomes: EnqueueOutcome[] = [];
  const toPark: { op: StoredOperation; holdsLease: boolean }[] = [];
  items.forEach(({ create, keyField }, i) => {
    const res = results[i]!;
    if (res instanceof Error) return outcomes.push({ ok: false, error: res });
    switch (res.status) {
      case 'conflict':
        return outcomes.push({ ok: false, error: new IdempotencyConflictError(keyField, create.id, res.state) });
      case 'over_refund':
        return outcomes.push({ ok: false, error: new RefundBalanceError(res.refundable, create.reserveOn?.amount ?? 0) });
      case 'reused':
        // The record expired but the order_id's tombstone did not: a new charge under it would be
        // refused by the gateway as a duplicate (or, worse, matched to the old order).
        return outcomes.push({
          ok: false,
          error: fieldError(keyField, `was already used for a charge on ${new Date(res.firstUsedAt).toISOString()} (its record has expired; order ids are never reused): use a new order_id`),
        });
      case 'charge_not_refundable':
        // The charge moved on since it was read (or was never paid): say what is true of its state.
        return outcomes.push({ ok: false, error: notRefundable(create, res.state) });
      case 'existing': {
        const op = storedOperationSchema.safeParse(res.record);
        if (!op.success) return outcomes.push({ ok: false, error: op.error });
        // A replay of an enqueue whose first run may have died between the record and the job.
        if (op.data.state === 'queued') toPark.push({ op: op.data, holdsLease: res.holder === op.data.id });
        return outcomes.push({ ok: true, result: { created: false, operation: toRecord(op.data) } });
      }
      case 'created': {
        const op = newRecord(create, now);
        toPark.push({ op, holdsLease: res.dispatched });
        return outcomes.push({ ok: true, result: { created: true, operation: toRecord(op) } });
      }
    }
  });
  await core.parkMany(toPark);
  return outcomes;
}

/** A refund the enqueue script refused because its charge is not paid or partially refunded. */
function notRefundable(create: CreateOperation, state: string): Error {
  if (state === 'refunded') return new RefundBalanceError(0, create.reserveOn?.amount ?? 0);
  if (state === 'missing') return fieldError('order_id', 'the charge is gone (its record expired): nothing to refund');
  return chargeNotPaid('order_id', String(create.fields.order_id ?? create.reserveOn?.chargeId ?? ''), state, 'refund');
}

/**
 * The record as the enqueue script wrote it, without reading it back: the hash's strings, parsed.
 * Built with a plain loop: spreading and `Object.fromEntries` over mapped entries cost ten times as
 * much, which mattered at thousands of enqueues a second.
 */
function newRecord(c: CreateOperation, now: number): StoredOperation {
  const hash: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.fields)) if (v !== undefined && v !== null) hash[k] = String(v);
  Object.assign(hash, { id: c.id, fp: c.fingerprint, lane: c.lane, state: 'queued', created: String(now), updated: String(now), store: c.store, device: c.device });
  return storedOperationSchema.parse(hash);
}
