/**
 * Status worker: follows an accepted or unknown charge/refund up with `querydirect` on the schedule
 * of domain/operation/schedule.ts until a final prc, recording every answer (issue #4).
 *
 * Resend rule for an unknown outcome (DESIGN.md §3.2): a charge or refund whose POST may have been
 * lost is re-sent — with the same `order_id` — only when a query made at least one terminal window
 * after we stopped waiting for the last POST's answer shows the gateway does not know it, and at most `maxResends` times; each
 * resend restarts the window, so there is at most one resend per window.
 *
 * The terminal is handed on when the operation is final, or earlier when it is known to be free:
 * prc 280 / A0001 (the terminal's part is done), or the terminal window has passed since a B200.
 */
import { DelayedError, type Job } from 'bullmq';
import { nextPollDelay } from '../domain/operation/schedule.js';
import { interpretChargeQuery, interpretRefundQuery, type Outcome, type QueryRowLike } from '../domain/operation/outcome.js';
import { assertTransition, isFinalState } from '../domain/operation/states.js';
import { isGatewayError } from '../gateway/errors.js';
import { operationJobSchema, type OperationJob } from '../queues/registry.js';
import type { StoredOperation } from '../store/record.js';
import { redactAnswer, type WorkerContext } from './context.js';
import { finishOperation, releaseTerminal } from './handoff.js';

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
    await job.moveToDelayed(core.now() + next, token);
    throw new DelayedError();
  };
}

/**
 * The follow-up loop shared by the status worker and the device worker (which follows a fresh B200
 * up in the same job when the first poll is due within `inlineWaitMs`, saving a job per payment on
 * fast terminals): polls until a final word (string) or a wait longer than `inlineWaitMs` (number,
 * the delay the caller schedules).
 */
export function createFollowUp(ctx: WorkerContext) {
  const { core } = ctx;
  const { poll } = core.settings;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  return async function followUp(job: Job, opId: string, firstWaitMs = 0): Promise<string | number> {
    if (firstWaitMs > 0) {
      if (firstWaitMs > core.settings.inlineWaitMs) return firstWaitMs;
      await sleep(firstWaitMs);
    }
    for (;;) {
      const next = await pollOnce(job, opId);
      if (typeof next === 'string' || next > core.settings.inlineWaitMs) return next;
      await sleep(next);
    }
  };

  /** One status query and what follows from it: a final word (string) or the delay to the next poll. */
  async function pollOnce(job: Job, opId: string): Promise<string | number> {
    const op = await core.store.get(opId);
    if (!op) return 'missing';
    if (op.state === 'unresolved' && (op.kind === 'charge' || op.kind === 'refund')) return recheckUnresolved(op);
    if (isFinalState(op.state)) {
      if ((await core.store.leaseHolder(op.store, op.device)) === op.id) await releaseTerminal(ctx, op);
      return op.state;
    }
    if (op.state !== 'accepted' && op.state !== 'unknown' && op.state !== 'pending') return op.state; // the device worker has it
    if (op.kind !== 'charge' && op.kind !== 'refund') return op.state;

    const log = ctx.logger.child({ queue: 'status', jobId: job.id, store: op.store, device: op.device, orderId: op.order_id, opId });
    const now = core.now();
    // The terminal window runs from the B200 (when the terminal demonstrably took the operation),
    // not from `sent`: that is stamped before the claim reaches Redis, and a Redis stall between the
    // two would make the window look over while the terminal is still serving the customer.
    const sinceAccepted = now - (op.accepted ?? op.unknown_at ?? op.sent ?? op.created);
    // The resend clock starts when we stopped waiting for the answer, not at the POST: a request
    // can still be on its way (or queued at the gateway) while we time out.
    const sinceUnknown = now - Math.max(op.sent ?? op.created, op.unknown_at ?? 0);
    const key = ctx.merchantKey(op.store);
    let outcome: Outcome | null = null;
    if (key && op.order_id) {
      const query = { store_uid: op.store, order_id: op.order_id, cost: String(op.kind === 'refund' ? (op.order_cost ?? (await chargeCost(op))) : op.cost) };
      try {
        const answer = await ctx.gateway.send({ store_uid: op.store, key }, 'api/querydirect', query);
        const rows = (answer.rows ?? []) as QueryRowLike[];
        outcome = op.kind === 'charge'
          ? interpretChargeQuery(rows, op.order_id)
          : interpretRefundQuery(rows, op.order_id, op.cost ?? 0, await core.store.claimedRefundUids(op.charge ?? op.id));
        await core.store.audit(op, 'query', { answer: redactAnswer({ code: answer.code, msg: answer.msg, rows }), latencyMs: answer.latencyMs }, describe(outcome));
        ctx.onEvent?.({ type: 'poll', op, prc: outcome.type === 'not_found' ? 'none' : outcome.prc, latencyMs: answer.latencyMs });
      } catch (err) {
        if (!isGatewayError(err)) throw err;
        await core.store.audit(op, 'query', { error: err.kind, message: err.message }, `query ${err.kind}`);
        log.warn({ err: err.message }, 'status query failed; will ask again');
      }
    }
    await core.store.redis.hincrby(core.store.keys.op(op.id), 'polls', 1);
    const polls = (op.polls ?? 0) + 1;
    await Promise.all([
      job.log(`poll ${polls}: ${outcome ? describe(outcome) : 'no answer'}`),
      job.updateProgress({ polls, prc: outcome && outcome.type !== 'not_found' ? outcome.prc : null, outcome: outcome?.type ?? 'no_answer' }),
    ]);

    if (outcome?.type === 'final') {
      const done = await finishOperation(ctx, op, outcome.state, { prc: outcome.prc, uid: outcome.uid, key: outcome.key, msg: outcome.message }, { refundUid: outcome.refundUid });
      if (done && op.kind === 'charge' && outcome.uid) await core.store.indexUid(op.store, outcome.uid, op.id);
      return outcome.state;
    }

    let current = op;
    if (outcome?.type === 'pending') {
      assertTransition(op.state, 'pending');
      await core.store.transition(op, 'pending', {
        expect: [op.state], now,
        fields: { prc: outcome.prc, uid: outcome.uid, key: outcome.key, msg: outcome.message, unknown_prc: outcome.unknownPrc ? outcome.prc : undefined },
      });
      current = { ...op, state: 'pending' };
      if (outcome.uid && op.kind === 'charge') await core.store.indexUid(op.store, outcome.uid, op.id);
      if (outcome.unknownPrc) log.warn({ prc: outcome.prc }, 'prc not in the spec table: kept pending, flagged for review');
    }

    if (outcome?.type === 'not_found' && op.state === 'unknown' && sinceUnknown >= poll.terminalWindowMs) {
      // The gateway does not know the order a whole terminal window after the POST: it never got it.
      if ((op.resends ?? 0) < core.settings.maxResends) {
        assertTransition(op.state, 'retry_wait');
        const moved = await core.store.transition(op, 'retry_wait', {
          expect: ['unknown'], now, incr: 'resends',
          // A resend gets its own retry deadline for an offline/busy terminal.
          fields: { msg: 'order unknown to the gateway after the terminal window: resending', deadline: now + core.settings.retryDeadlineMs },
          leaseUntil: now + core.settings.leaseMs,
        });
        if (moved.ok) {
          await job.log('order unknown to the gateway after the terminal window: resending with the same order_id');
          await core.dispatch({ ...op, state: 'retry_wait' });
        }
        return 'resend';
      }
      await finishOperation(ctx, op, 'unresolved', { msg: `order still unknown to the gateway after ${op.resends ?? 0} resend(s)` });
      return 'unresolved';
    }

    const terminalFree =
      (outcome?.type === 'pending' && outcome.terminalFree) ||
      (current.state !== 'unknown' && sinceAccepted >= poll.terminalWindowMs);
    const holds = (await core.store.leaseHolder(op.store, op.device)) === op.id;
    if (holds && terminalFree) {
      await releaseTerminal(ctx, current);
      await job.log(`terminal ${op.device} free; handed to the next operation while this one is reconciled`);
    }

    // Age from the last POST: a resend restarts the schedule (dense polls while the customer is at
    // the terminal, then reconciliation). From the first POST, a resend decided at the last
    // reconciliation poll was followed at once by `unresolved` and a hand-off of the terminal that
    // was still running the resent charge.
    const age = now - (op.sent ?? op.first_sent ?? op.created);
    const delay = nextPollDelay(age, poll);
    if (delay === null) {
      await finishOperation(ctx, current, 'unresolved', { msg: `no final answer after ${Math.round(age / 60_000)} min: manual review` });
      log.warn('operation unresolved: manual review');
      return 'unresolved';
    }
    if (holds && !terminalFree) await core.store.renewLease(op, now + delay + core.settings.leaseMs);
    return delay;
  }

  /** One query for an `unresolved` operation: a final answer settles it; nothing else changes it. */
  async function recheckUnresolved(op: StoredOperation): Promise<string> {
    const key = ctx.merchantKey(op.store);
    if (!key || !op.order_id) return op.state;
    const query = { store_uid: op.store, order_id: op.order_id, cost: String(op.kind === 'refund' ? (op.order_cost ?? (await chargeCost(op))) : op.cost) };
    const answer = await ctx.gateway.send({ store_uid: op.store, key }, 'api/querydirect', query).catch((err: unknown) => {
      if (isGatewayError(err)) return null;
      throw err;
    });
    if (!answer) return op.state;
    const rows = (answer.rows ?? []) as QueryRowLike[];
    const outcome = op.kind === 'charge'
      ? interpretChargeQuery(rows, op.order_id)
      : interpretRefundQuery(rows, op.order_id, op.cost ?? 0, await core.store.claimedRefundUids(op.charge ?? op.id));
    await core.store.audit(op, 'query', { answer: redactAnswer({ code: answer.code, msg: answer.msg, rows }), latencyMs: answer.latencyMs, recheck: true }, `recheck: ${describe(outcome)}`);
    if (outcome.type !== 'final') return op.state;
    await finishOperation(ctx, op, outcome.state, { prc: outcome.prc, uid: outcome.uid, key: outcome.key, msg: outcome.message }, { refundUid: outcome.refundUid });
    if (op.kind === 'charge' && outcome.uid) await core.store.indexUid(op.store, outcome.uid, op.id);
    return outcome.state;
  }

  async function chargeCost(op: StoredOperation): Promise<number | undefined> {
    return op.charge ? (await core.store.get(op.charge))?.cost : undefined;
  }
}

function describe(o: Outcome): string {
  if (o.type === 'not_found') return `not found${o.message ? ` (${o.message})` : ''}`;
  if (o.type === 'final') return `prc ${o.prc} → ${o.state}`;
  return `prc ${o.prc} pending${o.unknownPrc ? ' (unknown code)' : ''}`;
}
