/**
 * Status worker: follows an accepted or unknown charge/refund up with `querydirect` on the schedule
 * of domain/operation/schedule.ts until a final prc, recording every answer (docs/CORE.md).
 *
 * No resend, ever: an operation whose POST outcome is unknown is settled by query only. If a query
 * made a full terminal window after we stopped waiting still finds no trace of it, it ends
 * `not_received` (nothing moved) and is verified once more at the reconciliation horizon; a row that
 * appears late moves it to its real outcome, flagged for review. Starting again is an explicit act
 * (`POST /v1/operations/{id}/retry`), which this worker carries out after a fresh query.
 *
 * A row is ours only with proof (order, amount, and not finished before our first POST; for a
 * refund, a row that did not exist before our POST); anything ambiguous goes to `needs_review`.
 *
 * The terminal is handed on when the operation is final, or earlier when it is known to be free:
 * prc 280 / A0001 (the terminal's part is done), or the terminal window has passed since a B200.
 */
import { DelayedError, type Job } from 'bullmq';
import { decideFollowUp } from '../domain/operation/follow-up.js';
import { interpretChargeQuery, interpretRefundQuery, type Outcome, type QueryRowLike } from '../domain/operation/outcome.js';
import { assertTransition, isFinalState } from '../domain/operation/states.js';
import { isGatewayError } from '../gateway/errors.js';
import { operationJobSchema, type OperationJob } from '../queues/registry.js';
import type { AuditInput } from '../store/operations.js';
import type { StoredOperation } from '../store/record.js';
import { QUEUES } from '../queues/registry.js';
import { jobLog, redactAnswer, type WorkerContext } from './context.js';
import { readOperation } from './read.js';
import { finishOperation, releaseTerminal, type FinishExtra } from './handoff.js';

export function createStatusProcessor(ctx: WorkerContext) {
  const { core } = ctx;
  const followUp = createFollowUp(ctx);

  /**
   * Runs polls; a wait up to `inlineWaitMs` happens in this job run (Redis' timer would wake a
   * delayed job up to 1/hz late), a longer one by moving the job to delayed (no slot held).
   */
  return async function processStatus(job: Job<OperationJob>, token?: string): Promise<string> {
    const { opId, notBefore } = operationJobSchema.parse(job.data);
    const next = await followUp(job, opId, (notBefore ?? 0) - core.now());
    if (typeof next === 'string') return next;
    // BullMQ promotes delayed jobs by the fetching process's own clock: schedule on it, not on Redis'.
    await job.moveToDelayed(Date.now() + next, token);
    // A hint (callback, recheck) that came while this run was querying (core.ts makeRunnable): this
    // run's answer may predate the news — ask again now, not at the next scheduled poll.
    if (await core.redis.getdel(core.store.keys.askAgain(opId))) await job.promote().catch(() => undefined);
    throw new DelayedError();
  };
}

/** A query's outcome, when it was sent, and its audit entry (written with whatever the outcome changes). */
type Asked = { outcome: Outcome; at: number; entry: AuditInput } | null;
/** What a settling poll writes with the final state (FinishExtra.effects). */
type Step = NonNullable<FinishExtra['effects']>;

/**
 * The follow-up loop shared by the status worker and the device worker (which follows a fresh B200
 * up in the same job when the first poll is due within `inlineWaitMs`, saving a job per payment on
 * fast terminals): polls until a final word (string) or a wait longer than `inlineWaitMs` (number,
 * the delay the caller schedules).
 */
export function createFollowUp(ctx: WorkerContext) {
  const { core } = ctx;
  const { settings } = core;
  const { poll } = settings;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const due = (afterMs: number) => core.now() + afterMs + settings.janitorGraceMs;

  /** `known`: the record as the caller just wrote it (a fresh B200), so the first poll needs no read. */
  return async function followUp(job: Job, opId: string, firstWaitMs = 0, known?: StoredOperation): Promise<string | number> {
    if (firstWaitMs > 0) {
      if (firstWaitMs > settings.inlineWaitMs) return firstWaitMs;
      await sleep(firstWaitMs);
    }
    for (let first = known; ; first = undefined) {
      const next = await pollOnce(job, opId, first);
      if (typeof next === 'string' || next > settings.inlineWaitMs) return next;
      await sleep(next);
    }
  };

  /** One status query, read with proof of ownership; `null` when the gateway could not be asked. */
  async function ask(op: StoredOperation, note: Record<string, unknown> = {}): Promise<Asked> {
    const key = ctx.merchantKey(op.store);
    if (!key || !op.order_id) return null;
    const orderCost = op.kind === 'refund' ? (op.order_cost ?? (await chargeCost(op))) : op.cost;
    const query = { store_uid: op.store, order_id: op.order_id, cost: String(orderCost) };
    const at = core.now();
    try {
      const answer = await ctx.gateway.send({ store_uid: op.store, key }, 'api/querydirect', query);
      const rows = (answer.rows ?? []) as QueryRowLike[];
      const outcome = await interpret(op, rows);
      ctx.onEvent?.({ type: 'poll', op, prc: outcome.type === 'final' || outcome.type === 'pending' ? outcome.prc : 'none', latencyMs: answer.latencyMs });
      // Written by the caller with the change the outcome makes (or alone when it changes nothing).
      const entry = { event: 'query', data: { ...note, answer: redactAnswer({ code: answer.code, msg: answer.msg, rows }), latencyMs: answer.latencyMs }, summary: describe(outcome) };
      return { outcome, at, entry };
    } catch (err) {
      if (!isGatewayError(err)) throw err;
      await core.store.audit(op, 'query', { ...note, error: err.kind, message: err.message }, `query ${err.kind}`);
      ctx.logger.warn({ opId: op.id, err: err.message }, 'status query failed; will ask again');
      return null;
    }
  }

  async function interpret(op: StoredOperation, rows: QueryRowLike[]): Promise<Outcome> {
    const firstSent = op.first_sent ?? op.sent;
    const notBefore = firstSent === undefined ? undefined : firstSent - settings.clockToleranceMs;
    if (op.kind === 'charge') return interpretChargeQuery(rows, op.order_id!, { cost: op.cost ?? 0, notBefore });
    const seen = op.seen_refunds ? new Set(JSON.parse(op.seen_refunds) as string[]) : undefined;
    const claimed = await core.store.claimedRefundUids(op);
    // A row this refund itself claimed earlier (a late verification, a recheck) is still its own.
    if (op.refund_uid) claimed.delete(op.refund_uid);
    return interpretRefundQuery(rows, op.order_id!, { cost: op.cost ?? 0, notBefore, seen, claimed });
  }

  /**
   * A final or ambiguous answer settles the operation (from whatever follow-up state it is in). `step`
   * (the query's audit entry, the job's log line, the poll count) is written with the final state; when
   * the final state does not apply, the caller records it.
   */
  async function settle(op: StoredOperation, outcome: Outcome, review: string | undefined, step: Step): Promise<{ state: string | null; recorded: boolean }> {
    if (outcome.type === 'final') {
      const done = await finishOperation(ctx, op, outcome.state, { prc: outcome.prc, uid: outcome.uid, key: outcome.key, msg: outcome.message, review }, {
        refundUid: outcome.refundUid, claim: op.claim, uid: op.kind === 'charge' ? outcome.uid : undefined, effects: step,
      });
      if (!done) {
        // Another actor moved it on — or the refund row was claimed by another refund of ours
        // meanwhile (then it is not this one's): look again.
        const current = await core.store.get(op.id);
        if (current && !isFinalState(current.state)) return { state: null, recorded: false };
        return { state: current?.state ?? 'missing', recorded: false };
      }
      return { state: outcome.state, recorded: true };
    }
    if (outcome.type === 'ambiguous') {
      const why = `${outcome.message}: ${outcome.candidates.join(', ')} — the gateway rows are in the audit trail; a person decides which is ours`;
      const done = await finishOperation(ctx, op, 'needs_review', { review: why, msg: why }, { claim: op.claim, effects: step });
      ctx.logger.warn({ opId: op.id, candidates: outcome.candidates }, 'ambiguous gateway rows: needs review');
      return { state: 'needs_review', recorded: done };
    }
    return { state: null, recorded: false };
  }

  /**
   * A poll whose final state did not apply because another actor moved the operation on: only its
   * query's audit entry (not the poll count or the janitor's index: the record may be final, or gone).
   */
  async function recordMovedOn(op: StoredOperation, step: Step, state?: string): Promise<void> {
    if (state === 'missing') return;
    for (const e of step.prior ?? []) await core.store.audit(op, e.event, e.data, e.summary);
  }

  /** A poll that changed nothing (or whose change did not apply): its step, in one pipeline with the lease renewal, if any. */
  function recordStep(op: StoredOperation, step: Step, janitorDue: number, leaseUntil?: number): Promise<void> {
    return core.store.recordPoll(op, step.prior ?? [], janitorDue, { jobLog: step.jobLog, leaseUntil });
  }

  /** One status query and what follows from it: a final word (string) or the delay to the next poll. */
  async function pollOnce(job: Job, opId: string, known?: StoredOperation): Promise<string | number> {
    const op = known ?? (await readOperation(ctx, opId));
    if (!op) return 'missing';
    if (op.kind !== 'charge' && op.kind !== 'refund') return op.state;
    if (op.state === 'unresolved') return recheckUnresolved(op);
    if (op.state === 'not_received') return lateVerification(op);
    if (isFinalState(op.state)) {
      if ((await core.store.leaseHolder(op.store, op.device)) === op.id) await releaseTerminal(ctx, op);
      return op.state;
    }
    if (op.state !== 'accepted' && op.state !== 'unknown' && op.state !== 'pending') return op.state; // the device worker has it

    const log = ctx.logger.child({ queue: 'status', jobId: job.id, store: op.store, device: op.device, orderId: op.order_id, opId });
    const asked = await ask(op);
    const outcome = asked?.outcome ?? null;
    const now = core.now();
    const d = decideFollowUp({
      state: op.state, outcome, askedAt: asked?.at, now, poll,
      created: op.created, sent: op.sent, firstSent: op.first_sent, accepted: op.accepted, unknownAt: op.unknown_at,
    });
    const polls = (op.polls ?? 0) + 1;
    const prc = outcome && (outcome.type === 'final' || outcome.type === 'pending') ? outcome.prc : null;
    // The query's audit entry, the poll count and the job's log line go with the state change the
    // query makes (one script), or with the janitor's next look when it makes none (one pipeline).
    const step: Step = { prior: asked ? [asked.entry] : undefined, jobLog: jobLog(job, `poll ${polls}: ${outcome ? describe(outcome) : 'no answer'}`), incr: 'polls' };
    // A status job's progress is what Bull Board shows of a long follow-up (a device job's inline poll has none).
    const progress = job.queueName === QUEUES.status ? job.updateProgress({ polls, prc, outcome: outcome?.type ?? 'no_answer' }) : undefined;
    const final = await settleBy(d, op, outcome, step, log);
    await progress;
    if (final !== undefined) return final;
    if (d.type !== 'continue' && d.type !== 'unresolved') return d.type === 'settle' ? d.delayMs : 'stale';
    // Renewed (if it still holds the terminal) with the step, unless the terminal is handed on below.
    const renew = d.type === 'continue' && !d.releaseTerminal ? now + d.delayMs + settings.leaseMs : undefined;
    await recordStep(op, step, due(d.type === 'continue' ? d.delayMs : 0), renew);

    let current = op;
    if (outcome?.type === 'pending') {
      assertTransition(op.state, 'pending');
      await core.store.transition(op, 'pending', {
        expect: [op.state], claim: op.claim, now, janitorDue: due(d.type === 'continue' ? d.delayMs : 0),
        fields: { prc: outcome.prc, uid: outcome.uid, key: outcome.key, msg: outcome.message, unknown_prc: outcome.unknownPrc ? outcome.prc : undefined },
      });
      current = { ...op, state: 'pending' };
      if (outcome.uid && op.kind === 'charge') await core.store.indexUid(op.store, outcome.uid, op.id);
      if (outcome.unknownPrc) log.warn({ prc: outcome.prc }, 'prc not in the spec table: kept pending, flagged for review');
    }
    if (d.type === 'unresolved') {
      await finishOperation(ctx, current, 'unresolved', { msg: `no final answer after ${Math.round(d.ageMs / 60_000)} min: manual review` }, { claim: op.claim });
      log.warn('operation unresolved: manual review');
      return 'unresolved';
    }
    // Only if this operation still holds the terminal (checked in the script).
    if (d.releaseTerminal) await releaseTerminal(ctx, current);
    return d.delayMs;
  }

  /**
   * The decisions that end the follow-up (a final state, review, not_received): the final word or the
   * next delay; `undefined` for the others. A step whose state change did not apply is recorded alone.
   */
  async function settleBy(d: ReturnType<typeof decideFollowUp>, op: StoredOperation, outcome: Outcome | null, step: Step, log: typeof ctx.logger): Promise<string | number | undefined> {
    switch (d.type) {
      case 'settle': {
        const settled = await settle(op, outcome!, undefined, step);
        // null: the row was claimed by another refund of ours meanwhile — not this one's; ask again.
        if (settled.state === null) await recordStep(op, step, due(d.delayMs));
        else if (!settled.recorded) await recordMovedOn(op, step, settled.state);
        return settled.state ?? undefined;
      }
      case 'review': {
        const done = await finishOperation(ctx, op, 'needs_review', { review: d.reason, msg: d.reason }, { claim: op.claim, effects: step });
        if (!done) await recordMovedOn(op, step);
        return 'needs_review';
      }
      case 'not_received': {
        const msg = `not received: no trace at the gateway a terminal window after the outcome became unknown; verified again at ${new Date(d.verifyAt).toISOString()}`;
        const done = await finishOperation(ctx, op, 'not_received', { msg }, { janitorDue: d.verifyAt + settings.janitorGraceMs, claim: op.claim, effects: step });
        if (!done) {
          await recordMovedOn(op, step);
          return 'stale';
        }
        log.warn('operation not received by the gateway: nothing moved; retry is an explicit act');
        return Math.max(1, d.verifyAt - core.now());
      }
      default:
        return undefined;
    }
  }

  /** One query for an `unresolved` operation: a final answer settles it; nothing else changes it. */
  async function recheckUnresolved(op: StoredOperation): Promise<string> {
    const asked = await ask(op, { recheck: true });
    if (!asked) return op.state;
    const settled = await settle(op, asked.outcome, undefined, { prior: [asked.entry] });
    if (!settled.recorded) await core.store.audit(op, asked.entry.event, asked.entry.data, asked.entry.summary);
    return settled.state ?? op.state;
  }

  /**
   * A `not_received` operation: its verification at the horizon (or an early look on a callback, a
   * recheck or a retry request). A row that appeared late is the real outcome, flagged for review;
   * nothing found at the horizon closes it (a refund's reservation is released then); an explicit
   * retry request with nothing found sends it again as a new attempt.
   */
  async function lateVerification(op: StoredOperation): Promise<string | number> {
    if (op.reverified !== undefined && !op.retry_requested) return op.state;
    const asked = await ask(op, { verification: op.retry_requested ? 'before retry' : 'not_received' });
    const verifyAt = (op.unknown_at ?? op.sent ?? op.created) + poll.maxAgeMs;
    // The gateway could not be asked: again after the retry backoff (never a hot loop past the horizon).
    if (!asked) {
      const left = verifyAt - core.now();
      return left > 0 ? Math.max(1, Math.min(left, settings.retry.maxMs)) : Math.max(poll.reconcileMaxIntervalMs, settings.retry.maxMs);
    }
    // A rare path: the query's entry is written first, on its own.
    await core.store.audit(op, asked.entry.event, asked.entry.data, asked.entry.summary);
    const { outcome } = asked;
    if (outcome.type === 'final' || outcome.type === 'pending' || outcome.type === 'ambiguous') {
      const review = `late row: the gateway shows this operation after it was reported not_received (${describe(outcome)})`;
      ctx.logger.error({ opId: op.id, outcome: describe(outcome) }, 'a not_received operation appeared at the gateway late: flagged for review');
      if (outcome.type === 'pending') {
        await core.store.transition(op, 'pending', {
          expect: ['not_received'], claim: op.claim, now: core.now(), janitorDue: due(poll.denseIntervalMs),
          fields: { prc: outcome.prc, uid: outcome.uid, key: outcome.key, msg: outcome.message, review, retry_requested: '' },
        });
        return poll.denseIntervalMs;
      }
      return (await settle(op, outcome, review, {})).state ?? op.state;
    }
    if (op.retry_requested) return retryNow(op);
    if (asked.at < verifyAt) {
      // A retry asked for while this query ran would otherwise wait for the horizon.
      const fresh = await core.store.get(op.id);
      if (fresh?.state === 'not_received' && fresh.retry_requested) return retryNow(fresh);
      return Math.max(1, verifyAt - core.now());
    }
    const now = core.now();
    await core.store.finish(op, 'not_received', {
      expect: ['not_received'], claim: op.claim, now, nextLeaseUntil: now + settings.leaseMs,
      settleRefund: op.kind === 'refund' && op.reverified === undefined ? 'released' : undefined,
      fields: { reverified: now, msg: `${op.msg ?? 'not received'}; verified again at the horizon: still no trace` },
    });
    return 'not_received';
  }

  /** The explicit retry, after a fresh query found nothing: a new attempt at the end of the line. */
  async function retryNow(op: StoredOperation): Promise<string> {
    if (op.kind === 'refund' && op.reverified !== undefined) {
      await core.store.annotate(op.id, 'not_received', { retry_requested: '', msg: 'retry refused: the refund was closed at its verification (its reservation released); enqueue a new refund' });
      return op.state;
    }
    const now = core.now();
    const res = await core.store.requeue(op, now, now + settings.leaseMs, due(settings.leaseMs), { retry_requested: '', msg: `retry requested ${new Date(op.retry_requested || now).toISOString()}: a fresh query found no trace; sending as a new attempt` });
    if (!res.ok) return res.state;
    await core.store.audit(op, 'retry', { attempt: (op.attempt ?? 1) + 1 }, 'explicit retry: new attempt');
    await core.dispatch({ ...op, state: 'queued' });
    return 'queued';
  }

  async function chargeCost(op: StoredOperation): Promise<number | undefined> {
    return op.charge ? (await core.store.get(op.charge))?.cost : undefined;
  }
}

function describe(o: Outcome): string {
  if (o.type === 'not_found') return `not found${o.message ? ` (${o.message})` : ''}`;
  if (o.type === 'foreign') return `not ours: ${o.message}`;
  if (o.type === 'ambiguous') return `ambiguous: ${o.message} (${o.candidates.join(', ')})`;
  if (o.type === 'final') return `prc ${o.prc} → ${o.state}`;
  return `prc ${o.prc} pending${o.unknownPrc ? ' (unknown code)' : ''}`;
}

