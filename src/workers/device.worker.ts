/**
 * Device worker: takes an operation whose turn it is, sends it to its terminal through the gateway,
 * and acts on the answer (docs/CORE.md). The decisions are pure functions of domain/operation/policy.ts;
 * this file carries them out:
 * - B200 → charge/refund: status follow-up; reprint: `printed`, terminal kept for the print cool-down.
 * - Provably not acted on (not delivered, terminal offline/busy) → retry with backoff at the head of
 *   the line until the retry deadline, then `failed`.
 * - B500 invalid data → `rejected`; a charge refused because its order_id already exists → `rejected`
 *   (the id was used before us), never the old order's outcome.
 * - Outcome unknown (timeout, reset, 5xx, bad answer, or a worker stopped mid-POST) → `unknown`,
 *   settled by query only. Nothing here ever sends an operation whose earlier POST may have acted.
 *
 * The fenced claim: the POST's first byte leaves within `claimBudgetMs` of sending the claim to Redis
 * or not at all, and nothing that can wait on Redis stands between the two; nobody takes a `sending`
 * operation over before its fence (`claimFenceMs` after the claim, Redis' clock) has passed.
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { decideAfterPostFailure, judgeStaleAnswer, type PostFailure } from '../domain/operation/policy.js';
import { nextPollDelay } from '../domain/operation/schedule.js';
import { assertTransition, isFinalState, type OperationState } from '../domain/operation/states.js';
import { eventTypeFor } from '../domain/events.js';
import { isGatewayError, type GatewayFailure } from '../gateway/errors.js';
import { operationJobSchema, type OperationJob } from '../queues/registry.js';
import type { AuditInput, Refused } from '../store/operations.js';
import type { StoredOperation } from '../store/record.js';
import { COMMAND_OF, auditPayload, jobLog, requestPayload, type WorkerContext } from './context.js';
import { finishOperation, releaseTerminal } from './handoff.js';
import { readOperation } from './read.js';
import { createFollowUp } from './status.worker.js';
import { createPreSend } from './pre-send.js';

const FOLLOWED_UP: OperationState[] = ['accepted', 'unknown', 'pending'];

export function toPostFailure(err: GatewayFailure): PostFailure {
  if (err.kind === 'rejected') return { kind: 'rejected', reason: err.reason, message: err.gatewayMessage };
  return { kind: err.kind, message: err.message };
}

export function createDeviceProcessor(ctx: WorkerContext) {
  const { core } = ctx;
  const { settings } = core;
  const random = ctx.random ?? Math.random;
  const followUp = createFollowUp(ctx);
  const { preSendCheck, earlierAttemptLanded } = createPreSend(ctx);
  const due = (afterMs: number) => core.now() + afterMs + settings.janitorGraceMs;

  async function sleep(job: Job, token: string | undefined, ms: number): Promise<never> {
    // BullMQ promotes delayed jobs by the fetching process's own clock: schedule on it, not on Redis'.
    await job.moveToDelayed(Date.now() + ms, token);
    throw new DelayedError();
  }

  return async function processDevice(job: Job<OperationJob>, token?: string): Promise<string> {
    const { opId } = operationJobSchema.parse(job.data);
    const op = await readOperation(ctx, opId);
    if (!op) {
      ctx.logger.warn({ queue: 'device', jobId: job.id, opId }, 'operation record not found; nothing to do');
      return 'missing';
    }
    const log = ctx.logger.child({ queue: 'device', jobId: job.id, store: op.store, device: op.device, orderId: op.order_id, opId });

    if (isFinalState(op.state)) {
      // End of a reprint's print cool-down (or a late duplicate): hand the terminal on — but not
      // before the cool-down has passed on Redis' clock: a worker whose own clock runs ahead may
      // release the delayed job early.
      const printing = (op.kind === 'reprint_invoice' || op.kind === 'reprint_signature') && op.finished !== undefined
        ? op.finished + settings.printCooldownMs - core.now() : 0;
      if (printing > 0 && (await core.store.leaseHolder(op.store, op.device)) === op.id) return sleep(job, token, printing);
      await releaseTerminal(ctx, op);
      return op.state;
    }
    // A live operation ready to send skips this read: its claim checks the lease atomically. An
    // operation being followed up needs no terminal: a rerun (its worker died during the in-job
    // follow-up, after the terminal was handed on) must hand it to the status worker, not park it.
    if (!(op.lane === 'live' && (op.state === 'queued' || op.state === 'retry_wait')) && !FOLLOWED_UP.includes(op.state) && op.state !== 'sending') {
      const holder = await core.store.leaseHolder(op.store, op.device);
      if (holder !== op.id) return park(job, token, op, holder);
    }
    switch (op.state) {
      case 'queued':
      case 'retry_wait':
        return send(job, token, op, log);
      case 'sending':
        return takeOver(job, token, op, log);
      default:
        if (FOLLOWED_UP.includes(op.state)) await core.ensureStatusJob(op, 0);
        return op.state;
    }
  };

  /** Not this operation's turn: sleep until the hand-off promotes the job (O(1): no polling). */
  async function park(job: Job, token: string | undefined, op: StoredOperation, holder: string | null): Promise<never> {
    await job.log(`waiting in line for terminal ${op.device} (now serving ${holder ?? 'nobody'})`);
    return sleep(job, token, settings.parkMs);
  }

  /**
   * A rerun finds `sending`: the worker that claimed it stopped (crash, stall, lost Redis) and may have
   * POSTed. Only after the claim's fence may it be taken over — from then on that worker can no longer
   * send — and then only a query may settle it.
   */
  async function takeOver(job: Job, token: string | undefined, op: StoredOperation, log: Logger): Promise<string> {
    const reprint = op.kind === 'reprint_invoice' || op.kind === 'reprint_signature';
    // Reprints have no status follow-up, and a resend could print twice: `unresolved`, a person
    // checks the printer; the terminal is handed on after the print cool-down.
    const to: OperationState = reprint ? 'unresolved' : 'unknown';
    const now = core.now();
    const why = 'worker stopped during the POST: outcome unknown';
    const moved = await core.store.transition(op, to, {
      expect: ['sending'], now, claim: op.claim, afterFence: true, janitorDue: due(settings.poll.denseIntervalMs),
      incr: reprint ? undefined : 'unknown_posts',
      fields: { msg: reprint ? "reprint outcome unknown (worker stopped during the POST); check the terminal's printer" : why, unknown_at: now, finished: reprint ? now : undefined },
      leaseUntil: reprint ? now + settings.printCooldownMs + settings.leaseMs : undefined,
      effects: { audit: { event: 'takeover', data: { from: 'sending', to, sends: op.sends ?? 0 }, summary: `taken over → ${to}` }, event: eventTypeFor(op.kind, to) },
    });
    if (!moved.ok) {
      if (moved.reason === 'fenced') {
        const wait = Math.max(1, moved.until - now + 10);
        await job.log(`claimed by another worker until ${new Date(moved.until).toISOString()}: looking again in ${wait} ms`);
        return sleep(job, token, wait);
      }
      return moved.reason === 'stale' ? moved.state : 'not_holder';
    }
    await job.log(`${why}; ${reprint ? 'reprint unresolved' : 'following up by query'}`);
    if (reprint) {
      ctx.onEvent?.({ type: 'final', op, state: 'unresolved' });
      return sleep(job, token, settings.printCooldownMs);
    }
    log.warn({ why }, 'outcome unknown; following up by query (never resent)');
    ctx.onEvent?.({ type: 'unknown_outcome', op });
    await core.ensureStatusJob({ ...op, state: 'unknown' }, 0);
    return 'unknown';
  }

  async function send(job: Job, token: string | undefined, op: StoredOperation, log: Logger): Promise<string> {
    const cmd = COMMAND_OF[op.kind];
    if (op.lane === 'bulk' && ctx.bulkGate) {
      // Batch traffic is rate-limited; the wait holds the terminal only until this send's own slot.
      const waitMs = await ctx.bulkGate.wait(op.id, core.now());
      if (waitMs > 0) {
        await core.store.renewLease(op, core.now() + waitMs + settings.leaseMs, due(waitMs));
        await job.log(`batch rate limit: sending in ${waitMs} ms`);
        return sleep(job, token, waitMs);
      }
    }
    const merchantKey = ctx.merchantKey(op.store);
    if (!merchantKey) {
      await finishOperation(ctx, op, 'rejected', { msg: `no merchant key configured for store ${op.store}` });
      return 'rejected';
    }
    const deadline = op.deadline ?? core.now() + settings.retryDeadlineMs;

    // An earlier attempt's POST may have acted (an explicit retry after not_received): the gateway
    // must still show no trace of it right before we send again, or it is settled by query instead.
    const earlier = (op.unknown_posts ?? 0) > 0;
    // Refunds: the charge as the gateway shows it, just before our POST — its refund rows (only a row
    // that did not exist yet can be ours) and its refundable balance (also for charges we did not make).
    let seen: string | undefined = op.seen_refunds;
    if (op.kind === 'refund' || earlier) {
      const snap = await preSendCheck(op, merchantKey, earlier);
      if (snap.type === 'retry') return notSent(job, token, op, deadline, { kind: 'not_delivered', message: `pre-send query failed: ${snap.message}` });
      if (snap.type === 'earlier') return earlierAttemptLanded(op, snap.message, log);
      if (snap.type === 'refuse') {
        await finishOperation(ctx, op, 'rejected', { msg: snap.message });
        log.warn({ why: snap.message }, 'refund refused before sending');
        return 'rejected';
      }
      // The first snapshot stays: a retry's rows and a late row of the first attempt are both "new" then.
      seen ??= snap.uids ? JSON.stringify(snap.uids) : undefined;
    }

    const payload = requestPayload(op);
    assertTransition(op.state, 'sending');
    const now = core.now();
    // ── The fenced claim. From here to the POST's first byte: no await on Redis, no log write. ──
    const claimSentAt = performance.now();
    const claimToken = randomUUID();
    const claim = await core.store.claim(op, {
      token: claimToken, expect: ['queued', 'retry_wait'], now, fenceMs: settings.claimFenceMs,
      leaseUntil: now + settings.claimBudgetMs + settings.answerTimeoutMs + settings.leaseMs,
      janitorDue: due(settings.claimFenceMs + settings.answerTimeoutMs),
      audit: { data: { cmd, payload: auditPayload(op) }, summary: `POST ${cmd}` },
      fields: { sent: now, first_sent: op.first_sent ?? now, deadline, seen_refunds: seen },
    });
    if (!claim.ok) {
      if (claim.reason === 'not_holder') return park(job, token, op, claim.holder);
      const state = claim.reason === 'stale' ? claim.state : 'fenced';
      await job.log(`not sent: the record is ${state}`);
      return state;
    }
    const elapsed = performance.now() - claimSentAt;
    const sending: StoredOperation = { ...op, state: 'sending', sent: now, first_sent: op.first_sent ?? now, deadline, sends: claim.sends, claim: claimToken, seen_refunds: seen };
    if (elapsed >= settings.claimBudgetMs) return abandonClaim(job, token, sending, elapsed, log);
    let answer;
    try {
      answer = await ctx.gateway.send({ store_uid: op.store, key: merchantKey }, cmd, payload, { writeBy: claimSentAt + settings.claimBudgetMs });
    } catch (err) {
      if (!isGatewayError(err)) throw err; // a bug: BullMQ retries; the rerun finds `sending` and follows up by query.
      return onFailure(job, token, sending, err, log);
    }
    // ── The POST is answered; everything below may wait on Redis. ──
    const at = core.now();
    const msg = answer.msg ?? '';
    const data = { code: 'B200', msg, latencyMs: answer.latencyMs };
    // The answer's audit entry, the terminal's last answer and the job's log lines are written by the
    // script that records what the answer means: one round trip.
    const recorded = { entry: answerEntry(sending, data), lines: answerLines(sending, data) };
    ctx.onEvent?.({ type: 'post', op, cmd, latencyMs: answer.latencyMs, outcome: 'B200' });
    if (op.kind === 'charge' || op.kind === 'refund') {
      const moved = await core.store.transition(sending, 'accepted', {
        expect: ['sending'], claim: claimToken, now: at, janitorDue: due(settings.poll.denseIntervalMs),
        fields: { accepted: at, msg },
        effects: { prior: [recorded.entry], answer: 'B200', jobLog: jobLog(job, ...recorded.lines), event: eventTypeFor(op.kind, 'accepted') },
      });
      if (!moved.ok) {
        await recordAnswer(job, sending, data, moved);
        return staleAnswer(sending, moved, 'B200', log);
      }
      return followUpFrom(job, { ...sending, state: 'accepted', accepted: at, msg });
    }
    return printed(job, token, sending, 'printed', msg, log, recorded);
  }

  /** The audit entry for one answer (or failure) of this claim's POST. */
  function answerEntry(op: StoredOperation, data: Record<string, unknown>, stale?: Refused): AuditInput {
    const code = String(data.code ?? data.error ?? '');
    const staleNote = stale ? { stale: stale.reason === 'stale' ? { state: stale.state, sends: stale.sends, claim: stale.claim } : stale } : {};
    return { event: 'answer', data: { ...data, attempt: op.sends, ...staleNote }, summary: `${code}${data.msg ? ` ${String(data.msg)}` : ''}` };
  }

  /** What Bull Board shows for the POST and its answer (logged after the fact: nothing may wait on Redis before the POST). */
  function answerLines(op: StoredOperation, data: Record<string, unknown>): string[] {
    const code = String(data.code ?? data.error ?? '');
    return [
      `POST ${COMMAND_OF[op.kind]} to terminal ${op.device} (attempt ${op.sends ?? 1})`,
      `answer ${code} ${String(data.msg ?? data.message ?? '')}${data.latencyMs !== undefined ? ` (${String(data.latencyMs)} ms)` : ''}`,
    ];
  }

  /** The audit entry, the terminal's last answer and the job log for an answer no state change records. */
  async function recordAnswer(job: Job, op: StoredOperation, data: Record<string, unknown>, stale?: Refused): Promise<void> {
    const entry = answerEntry(op, data, stale);
    await Promise.all([
      core.store.audit(op, entry.event, entry.data, entry.summary),
      data.code ? core.store.noteAnswer(op.store, op.device, String(data.code), core.now()) : undefined,
      ...answerLines(op, data).map((line) => job.log(line)),
    ]);
  }

  /**
   * An answer arrived but the record is no longer this POST's `sending`. Taken over legitimately →
   * the follow-up settles it (the answer is in the audit trail). Gone backwards → lost writes: review.
   */
  async function staleAnswer(op: StoredOperation, refused: Refused, what: string, log: Logger): Promise<string> {
    if (refused.reason !== 'stale') return refused.reason;
    const current = refused.state as OperationState | 'missing';
    const verdict = judgeStaleAnswer({ state: current, claim: refused.claim }, op.claim ?? '');
    if (verdict === 'taken_over') {
      log.info({ state: current, what }, 'answer for an operation another worker took over: recorded, the follow-up settles it');
      return current;
    }
    const detail = `lost writes: ${what} for POST ${op.sends ?? 0} (claim ${op.claim ?? '-'}), but the record is ${current} with ${refused.sends} POST(s) counted and claim ${refused.claim || '-'}`;
    log.error({ state: current, sends: refused.sends, mine: op.sends, what }, 'record went backwards: operation moved to review, nothing more is sent');
    ctx.onEvent?.({ type: 'lost_writes', op, detail });
    if (current === 'missing' || isFinalState(current)) {
      await core.store.audit(op, 'review', { reason: detail, state: current }, 'lost writes (record final or missing: left as is)');
      return current;
    }
    await finishOperation(ctx, { ...op, state: current }, 'needs_review', { review: detail, msg: detail });
    return 'needs_review';
  }

  /** The budget ran out between the claim and the POST: nothing was sent; release the claim. */
  async function abandonClaim(job: Job, token: string | undefined, op: StoredOperation, elapsedMs: number, log: Logger): Promise<string> {
    log.warn({ elapsedMs: Math.round(elapsedMs), budgetMs: settings.claimBudgetMs }, 'claim took longer than its budget: not POSTing');
    ctx.onEvent?.({ type: 'claim_abandoned', op, elapsedMs });
    await core.store.audit(op, 'answer', { error: 'claim_abandoned', attempt: op.sends, elapsedMs: Math.round(elapsedMs) }, 'claim over budget: not sent');
    return notSent(job, token, op, op.deadline ?? core.now(), { kind: 'not_delivered', message: `claim took ${Math.round(elapsedMs)} ms (budget ${settings.claimBudgetMs} ms): not sent` });
  }

  /** Not acted on (no byte left, or a pre-POST step failed): retry at the head of the line, or fail at the deadline. */
  async function notSent(job: Job, token: string | undefined, op: StoredOperation, deadline: number, failure: PostFailure): Promise<string> {
    return act(job, token, op, decideAfterPostFailure(postContext(op, deadline), failure), ctx.logger);
  }

  function postContext(op: StoredOperation, deadline: number) {
    return {
      kind: op.kind, attempt: Math.max(1, op.sends ?? 1), now: core.now(), deadline,
      earlierPostMayHaveActed: (op.unknown_posts ?? 0) > 0, random: random(), retry: settings.retry,
    };
  }

  async function onFailure(job: Job, token: string | undefined, op: StoredOperation, err: GatewayFailure, log: Logger): Promise<string> {
    const cmd = COMMAND_OF[op.kind];
    await recordAnswer(job, op, { error: err.kind, reason: 'reason' in err ? err.reason : undefined, message: err.message, code: err.kind === 'rejected' ? 'B500' : undefined, msg: err.kind === 'rejected' ? err.gatewayMessage : undefined });
    ctx.onEvent?.({ type: 'post', op, cmd, outcome: err.kind });
    return act(job, token, op, decideAfterPostFailure(postContext(op, op.deadline ?? core.now()), toPostFailure(err)), log);
  }

  /** Carries a {@link decideAfterPostFailure} decision out, each step only for this claim's POST. */
  async function act(job: Job, token: string | undefined, op: StoredOperation, d: ReturnType<typeof decideAfterPostFailure>, log: Logger): Promise<string> {
    const now = core.now();
    const claim = op.state === 'sending' ? op.claim : undefined;
    switch (d.type) {
      case 'retry': {
        assertTransition(op.state, 'retry_wait');
        const moved = await core.store.transition(op, 'retry_wait', {
          expect: [op.state], claim, now, fields: { msg: d.message, deadline: op.deadline ?? now + settings.retryDeadlineMs },
          leaseUntil: now + d.delayMs + settings.leaseMs, janitorDue: due(d.delayMs),
        });
        if (!moved.ok) return staleAnswer(op, moved, 'a retryable failure', log);
        await job.log(`retrying in ${d.delayMs} ms (holding its place at the head of ${op.device}'s line): ${d.message}`);
        return sleep(job, token, d.delayMs);
      }
      case 'final': {
        const res = await finishOperation(ctx, op, d.state, { msg: d.message }, { claim });
        if (res === false && claim !== undefined) {
          const current = await core.store.get(op.id);
          if (current) return staleAnswer(op, { ok: false, reason: 'stale', state: current.state, sends: current.sends ?? 0, claim: current.claim ?? '' }, `a ${d.state} answer`, log);
        }
        if (d.state === 'failed') log.warn({ why: d.message }, 'operation failed: not sent');
        return d.state;
      }
      case 'reprint_unknown':
        return printed(job, token, op, 'unresolved', `reprint outcome unknown (${d.message}); check the terminal's printer`, log);
      case 'unknown': {
        const moved = await core.store.transition(op, 'unknown', {
          expect: [op.state], claim, now, incr: op.state === 'sending' ? 'unknown_posts' : undefined, janitorDue: due(settings.poll.denseIntervalMs),
          fields: { msg: d.message, unknown_at: now },
        });
        if (!moved.ok) return staleAnswer(op, moved, 'an outcome-unknown failure', log);
        log.warn({ why: d.message }, 'outcome unknown; following up by query (never resent)');
        ctx.onEvent?.({ type: 'unknown_outcome', op });
        await core.ensureStatusJob({ ...op, state: 'unknown' }, settings.poll.denseIntervalMs);
        return 'unknown';
      }
    }
  }

  /**
   * Reprints: final at once; the terminal stays reserved for the print cool-down, then is handed on.
   * `answer`: the B200 this state records (written by the same script).
   */
  async function printed(job: Job, token: string | undefined, op: StoredOperation, state: 'printed' | 'unresolved', msg: string, log: Logger, answer?: { entry: AuditInput; lines: string[] }): Promise<string> {
    const now = core.now();
    assertTransition(op.state, state);
    const lines = [...(answer?.lines ?? []), `${state}; terminal kept ${settings.printCooldownMs} ms for printing`];
    const moved = await core.store.transition(op, state, {
      expect: ['sending'], claim: op.claim, now, fields: { msg, finished: now },
      leaseUntil: now + settings.printCooldownMs + settings.leaseMs,
      effects: {
        prior: answer ? [answer.entry] : undefined, answer: answer ? 'B200' : undefined, jobLog: jobLog(job, ...lines),
        audit: { event: 'final', data: { state, msg }, summary: state }, event: eventTypeFor(op.kind, state),
      },
    });
    if (!moved.ok) {
      if (answer) await recordAnswer(job, op, answer.entry.data as Record<string, unknown>, moved);
      return staleAnswer(op, moved, `a reprint answer (${state})`, log);
    }
    ctx.onEvent?.({ type: 'final', op, state });
    return sleep(job, token, settings.printCooldownMs);
  }

  /**
   * After a B200: when the first poll is due within `inlineWaitMs`, follow up in this job (one job
   * per payment instead of two on fast terminals); otherwise, or when the answer is not final by
   * then, the status job takes over.
   */
  async function followUpFrom(job: Job, op: StoredOperation): Promise<string> {
    // The schedule's first query (after its quiet phase, if it has one), counted from the POST.
    const first = nextPollDelay(Math.max(0, core.now() - (op.sent ?? core.now())), settings.poll) ?? settings.poll.denseIntervalMs;
    if (first > settings.inlineWaitMs) {
      await core.ensureStatusJob(op, first);
      return 'accepted';
    }
    // The record as this job just wrote it: the first poll needs no read (its writes compare-and-set).
    const next = await followUp(job, op.id, first, op);
    if (typeof next === 'string') return next;
    const current = await core.store.get(op.id);
    if (current) await core.ensureStatusJob(current, next);
    return current?.state ?? 'missing';
  }
}
