/**
 * Device worker: takes an operation whose turn it is, sends it to its terminal through the gateway,
 * and acts on the answer (issue #4, DESIGN.md §3.1–3.3):
 * - B200 → charge/refund: status follow-up; reprint: `printed`, terminal kept for the print cool-down.
 * - B500 terminal offline/busy, or not delivered → retry with backoff at the head of the line until
 *   the retry deadline, then `failed`.
 * - B500 invalid data (or any other B500: the gateway did not process it) → `rejected`, no retry.
 * - Outcome unknown (timeout, reset, 5xx, bad answer, or this worker died mid-POST) → `unknown`,
 *   handed to the status follow-up. A charge is never re-sent from here: only the status worker may
 *   decide a resend, after a query has shown the order unknown to the gateway.
 */
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { retryDelay } from '../domain/operation/schedule.js';
import { assertTransition, isFinalState, type OperationState } from '../domain/operation/states.js';
import { GatewayNotDeliveredError, GatewayRejectedError, GatewayConfigError, isGatewayError } from '../gateway/errors.js';
import { operationJobSchema, type OperationJob } from '../queues/registry.js';
import type { StoredOperation } from '../store/record.js';
import { COMMAND_OF, auditPayload, requestPayload, type WorkerContext } from './context.js';
import { finishOperation, releaseTerminal } from './handoff.js';
import { createFollowUp } from './status.worker.js';

const FOLLOWED_UP: OperationState[] = ['accepted', 'unknown', 'pending'];

export function createDeviceProcessor(ctx: WorkerContext) {
  const { core } = ctx;
  const random = ctx.random ?? Math.random;
  const followUp = createFollowUp(ctx);

  async function sleep(job: Job, token: string | undefined, ms: number): Promise<never> {
    await job.moveToDelayed(core.now() + ms, token);
    throw new DelayedError();
  }

  return async function processDevice(job: Job<OperationJob>, token?: string): Promise<string> {
    const { opId } = operationJobSchema.parse(job.data);
    const op = await core.store.get(opId);
    if (!op) {
      ctx.logger.warn({ queue: 'device', jobId: job.id, opId }, 'operation record not found; nothing to do');
      return 'missing';
    }
    const log = ctx.logger.child({ queue: 'device', jobId: job.id, store: op.store, device: op.device, orderId: op.order_id, opId });

    if (isFinalState(op.state)) {
      // End of a reprint's print cool-down (or a late duplicate): hand the terminal on.
      await releaseTerminal(ctx, op);
      return op.state;
    }
    // A live operation ready to send skips this read: its claim checks the lease atomically. An
    // operation being followed up needs no terminal: a rerun (its worker died during the in-job
    // follow-up, after the terminal was handed on) must hand it to the status worker, not park it.
    if (!(op.lane === 'live' && (op.state === 'queued' || op.state === 'retry_wait')) && !FOLLOWED_UP.includes(op.state)) {
      const holder = await core.store.leaseHolder(op.store, op.device);
      if (holder !== op.id) return park(job, token, op, holder);
    }
    switch (op.state) {
      case 'queued':
      case 'retry_wait':
        return send(job, token, op, log);
      case 'sending':
        // A previous run died between the POST and its answer: the gateway may have acted.
        if (op.kind === 'reprint_invoice' || op.kind === 'reprint_signature') {
          // Reprints have no status follow-up (the status worker leaves them alone), so `unknown`
          // would hold the terminal for ever; a resend could print twice. As for any unknown
          // reprint outcome: `unresolved`, the terminal handed on after the print cool-down.
          await job.log('previous attempt stopped during the POST: reprint outcome unknown');
          return printed(job, token, op, 'unresolved', "reprint outcome unknown (worker stopped during the POST); check the terminal's printer");
        }
        await job.log('previous attempt stopped during the POST: outcome unknown, following up by query');
        await markUnknown(op, 'worker stopped during the POST', log);
        return 'unknown';
      default:
        if (FOLLOWED_UP.includes(op.state)) await core.ensureStatusJob(op, 0);
        return op.state;
    }
  };

  /** Not this operation's turn: sleep until the hand-off promotes the job (O(1): no polling). */
  async function park(job: Job, token: string | undefined, op: StoredOperation, holder: string | null): Promise<never> {
    await job.log(`waiting in line for terminal ${op.device} (now serving ${holder ?? 'nobody'})`);
    return sleep(job, token, core.settings.parkMs);
  }

  async function send(job: Job, token: string | undefined, op: StoredOperation, log: Logger): Promise<string> {
    const cmd = COMMAND_OF[op.kind];
    if (op.lane === 'bulk' && ctx.bulkGate) {
      // Batch traffic is rate-limited; the wait holds the terminal only until this send's own slot.
      const waitMs = await ctx.bulkGate.wait(op.id, core.now());
      if (waitMs > 0) {
        await core.store.renewLease(op, core.now() + waitMs + core.settings.leaseMs);
        await job.log(`batch rate limit: sending in ${waitMs} ms`);
        return sleep(job, token, waitMs);
      }
    }
    const now = core.now();
    const deadline = op.deadline ?? now + core.settings.retryDeadlineMs;
    assertTransition(op.state, 'sending');
    const claim = await core.store.transition(op, 'sending', {
      expect: ['queued', 'retry_wait'], now, requireHolder: true, incr: 'sends',
      leaseUntil: now + core.settings.answerTimeoutMs + core.settings.leaseMs,
      fields: { sent: now, first_sent: op.first_sent ?? now, deadline },
    });
    if (!claim.ok) {
      if (claim.reason === 'not_holder') return park(job, token, op, claim.value || null);
      await job.log(`not sent: ${claim.reason} (${claim.value})`);
      return claim.reason;
    }
    const sending: StoredOperation = { ...op, state: 'sending', sent: now, deadline };
    const merchantKey = ctx.merchantKey(op.store);
    if (!merchantKey) {
      await finishOperation(ctx, sending, 'rejected', { msg: `no merchant key configured for store ${op.store}` });
      return 'rejected';
    }
    await core.store.audit(op, 'request', { cmd, attempt: claim.counter, payload: auditPayload(op) }, `POST ${cmd}`);
    await job.log(`POST ${cmd} to terminal ${op.device} (attempt ${claim.counter})`);
    let answerMsg: string;
    let latencyMs: number | undefined;
    try {
      const answer = await ctx.gateway.send({ store_uid: op.store, key: merchantKey }, cmd, requestPayload(op));
      answerMsg = answer.msg ?? '';
      latencyMs = answer.latencyMs;
    } catch (err) {
      return onFailure(job, token, sending, err, deadline, claim.counter, log);
    }
    const at = core.now();
    await Promise.all([
      core.store.audit(op, 'answer', { code: 'B200', msg: answerMsg, latencyMs }, `B200 ${answerMsg}`),
      core.store.noteAnswer(op.store, op.device, 'B200', at),
      job.log(`answer B200 ${answerMsg} (${latencyMs ?? '?'} ms)`),
      job.updateProgress({ step: 'answered', code: 'B200', posts: claim.counter }),
    ]);
    ctx.onEvent?.({ type: 'post', op, cmd, latencyMs, outcome: 'B200' });

    if (op.kind === 'charge' || op.kind === 'refund') {
      const moved = await core.store.transition(sending, 'accepted', { expect: ['sending'], now: at, fields: { accepted: at, msg: answerMsg } });
      if (moved.ok) return followUpFrom(job, { ...sending, state: 'accepted' });
      return 'accepted';
    }
    return printed(job, token, sending, 'printed', answerMsg);
  }

  /** Reprints: final at once; the terminal stays reserved for the print cool-down, then is handed on. */
  async function printed(job: Job, token: string | undefined, op: StoredOperation, state: 'printed' | 'unresolved', msg: string): Promise<never> {
    const now = core.now();
    assertTransition(op.state, state);
    await core.store.transition(op, state, {
      expect: ['sending'], now, fields: { msg, finished: now },
      leaseUntil: now + core.settings.printCooldownMs + core.settings.leaseMs,
    });
    await core.store.audit(op, 'final', { state, msg }, state);
    ctx.onEvent?.({ type: 'final', op, state });
    await job.log(`${state}; terminal kept ${core.settings.printCooldownMs} ms for printing`);
    return sleep(job, token, core.settings.printCooldownMs);
  }

  async function onFailure(job: Job, token: string | undefined, op: StoredOperation, err: unknown, deadline: number, attempt: number, log: Logger): Promise<string> {
    const cmd = COMMAND_OF[op.kind];
    const now = core.now();
    if (!isGatewayError(err)) throw err; // a bug or Redis trouble: BullMQ retries; the rerun sees `sending`.
    await core.store.audit(op, 'answer', { error: err.kind, reason: 'reason' in err ? err.reason : undefined, message: err.message }, `${err.kind}`);
    await Promise.all([job.log(`${err.kind}: ${err.message}`), job.updateProgress({ step: 'answered', code: err.kind, posts: attempt })]);
    ctx.onEvent?.({ type: 'post', op, cmd, outcome: err.kind });

    const retryable =
      err instanceof GatewayNotDeliveredError || err instanceof GatewayConfigError ||
      (err instanceof GatewayRejectedError && (err.reason === 'terminal_offline' || err.reason === 'terminal_busy'));
    if (err instanceof GatewayRejectedError) await core.store.noteAnswer(op.store, op.device, 'B500', now);

    if (retryable) {
      const message = err instanceof GatewayRejectedError ? err.gatewayMessage : err.message;
      if (now >= deadline) {
        if (earlierPostMayHaveActed(op)) {
          await markUnknown(op, `resend not accepted (${message}); an earlier POST may have been processed: following up by query`, log);
          return 'unknown';
        }
        await finishOperation(ctx, op, 'failed', { msg: `gave up after ${attempt} attempt(s): ${message}` });
        log.warn({ attempt }, 'operation failed: terminal unavailable until the retry deadline');
        return 'failed';
      }
      const delay = Math.min(retryDelay(attempt, random(), core.settings.retry), Math.max(1, deadline - now));
      await core.store.transition(op, 'retry_wait', { expect: ['sending'], now, fields: { msg: message }, leaseUntil: now + delay + core.settings.leaseMs });
      await job.log(`retrying in ${delay} ms (holding its place at the head of ${op.device}'s line)`);
      return sleep(job, token, delay);
    }
    if (err instanceof GatewayRejectedError && !(err.reason === 'duplicate_order' && op.kind === 'charge') && !earlierPostMayHaveActed(op)) {
      await finishOperation(ctx, op, 'rejected', { msg: err.gatewayMessage });
      return 'rejected';
    }
    // Below: the gateway may have acted — outcome_unknown, bad_answer, or a charge whose order_id the
    // gateway already knows (an earlier POST of ours arrived after all): only a query can tell.
    // outcome_unknown or bad_answer: the gateway may have acted.
    if (op.kind === 'reprint_invoice' || op.kind === 'reprint_signature') {
      return printed(job, token, op, 'unresolved', `reprint outcome unknown (${err.message}); check the terminal's printer`);
    }
    await markUnknown(op, err.message, log);
    return 'unknown';
  }

  /**
   * A resend (after an unknown outcome) that is refused says nothing about the earlier POST, which
   * may have been processed after all: such an operation is only ever finished by a query.
   */
  function earlierPostMayHaveActed(op: StoredOperation): boolean {
    return (op.kind === 'charge' || op.kind === 'refund') && (op.resends ?? 0) > 0;
  }

  async function markUnknown(op: StoredOperation, why: string, log: Logger): Promise<void> {
    const now = core.now();
    const moved = await core.store.transition(op, 'unknown', { expect: ['sending'], now, fields: { msg: why, unknown_at: now } });
    if (!moved.ok) return;
    log.warn({ why }, 'outcome unknown; following up by query before any resend');
    ctx.onEvent?.({ type: 'unknown_outcome', op });
    await core.ensureStatusJob({ ...op, state: 'unknown' }, core.settings.poll.denseIntervalMs);
  }

  /**
   * After a B200: when the first poll is due within `inlineWaitMs`, follow up in this job (one job
   * per payment instead of two on fast terminals); otherwise, or when the answer is not final by
   * then, the status job takes over.
   */
  async function followUpFrom(job: Job, op: StoredOperation): Promise<string> {
    const dense = core.settings.poll.denseIntervalMs;
    if (dense > core.settings.inlineWaitMs) {
      await core.ensureStatusJob(op, dense);
      return 'accepted';
    }
    const next = await followUp(job, op.id, dense);
    if (typeof next === 'string') return next;
    const current = await core.store.get(op.id);
    if (current) await core.ensureStatusJob(current, next);
    return current?.state ?? 'missing';
  }
}
